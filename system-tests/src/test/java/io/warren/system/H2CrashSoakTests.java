package io.warren.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import io.warren.testsupport.WarrenApi;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The embedded default store under crashes: the master SIGKILLed again and again while a
 * client submits and two workers report, and after every kill the H2 file opened as the
 * restarted master would open it: every accepted task present, and every index of the
 * tasks and deliveries tables listing exactly the rows the table holds. A soak, minutes
 * long: {@code scripts/soak-h2.sh [kills]} (200 kills by default).
 */
@Tag("soak")
class H2CrashSoakTests {

	private static final List<String> STATUSES = List.of("PENDING", "QUEUED", "RUNNING", "SUCCEEDED", "FAILED");

	private static final String LOWEST_UUID = "00000000-0000-0000-0000-000000000000";

	@Test
	void everyAcceptedTaskSurvivesAndEveryIndexAgreesWithItsTableAfterEachKill() throws Exception {
		int kills = Integer.getInteger("warren.soak.kills", 200);
		Random random = new Random();
		List<String> accepted = new ArrayList<>();
		List<String> mismatches = new ArrayList<>();
		int lost = 0;
		long started = System.nanoTime();
		try (WarrenCluster cluster = WarrenCluster.onH2()) {
			cluster.startWorker("worker-a");
			cluster.startWorker("worker-b");
			for (int kill = 1; kill <= kills; kill++) {
				WarrenApi api = cluster.startMaster();
				try (SubmitLoad load = SubmitLoad.start(api, "echo")) {
					// pacing the faults, not waiting for an outcome
					Thread.sleep(300 + random.nextInt(1200));
					cluster.master().kill();
					accepted.addAll(load.stopAndGet());
				}
				try (Connection db = open(cluster.workDir)) {
					Set<String> stored = ids(db, "SELECT id FROM tasks USE INDEX ()");
					int missing = (int) accepted.stream().filter((id) -> !stored.contains(id)).count();
					lost += missing;
					List<String> found = indexMismatches(db);
					for (String mismatch : found) {
						mismatches.add("kill " + kill + ": " + mismatch);
					}
					if (missing > 0 || !found.isEmpty() || kill % 20 == 0) {
						System.out.printf("soak: kill %d, %d accepted, %d lost so far, mismatches %s%n", kill,
								accepted.size(), lost, found);
					}
				}
			}
			WarrenApi api = cluster.startMaster();
			await().atMost(Duration.ofMinutes(5))
				.until(() -> accepted.stream().allMatch((id) -> "SUCCEEDED".equals(api.status(id))));
			long duplicates = accepted.stream().mapToLong((id) -> api.task(id).get("duplicates").asLong()).sum();
			String summary = String.format(
					"H2 crash soak: %d master SIGKILLs in %d s, %d tasks accepted, %d lost, %d index mismatches, "
							+ "all SUCCEEDED afterwards, %d duplicate executions (at-least-once republishes)",
					kills, Duration.ofNanos(System.nanoTime() - started).toSeconds(), accepted.size(), lost,
					mismatches.size(), duplicates);
			System.out.println(summary);
			Files.writeString(Path.of("target", "h2-crash-soak.txt"), summary + System.lineSeparator()
					+ String.join(System.lineSeparator(), mismatches) + System.lineSeparator());
		}
		assertThat(lost).as("accepted tasks missing after a kill").isZero();
		assertThat(mismatches).as("indexes that disagree with their table").isEmpty();
	}

	private static Connection open(Path workDir) throws SQLException {
		// the URL the master opens, as shipped
		return DriverManager.getConnection(
				"jdbc:h2:file:" + workDir.resolve("data").resolve("warren") + ";WRITE_DELAY=0;LOCK_TIMEOUT=10000", "sa",
				"");
	}

	/**
	 * Each index of the two tables compared with a full scan: per status for the status
	 * indexes, per type for the type index, the whole key range for the primary keys.
	 */
	private static List<String> indexMismatches(Connection db) throws SQLException {
		List<String> found = new ArrayList<>();
		for (Map.Entry<String, String> index : indexes(db).entrySet()) {
			String[] tableAndColumn = index.getValue().split("\\.");
			String table = tableAndColumn[0];
			String column = tableAndColumn[1];
			String key = table.equals("TASKS") ? "id" : "task_id || '/' || attempt || '/' || delivery_id";
			List<String> values = switch (column) {
				case "STATUS" -> STATUSES;
				case "TYPE" -> List.copyOf(ids(db, "SELECT DISTINCT type FROM tasks USE INDEX ()"));
				default -> List.of(LOWEST_UUID);
			};
			String condition = (column.equals("ID") || column.equals("TASK_ID")) ? column + " >= ?" : column + " = ?";
			for (String value : values) {
				String viaIndex = "SELECT " + key + " FROM " + table + " USE INDEX (" + index.getKey() + ") WHERE "
						+ condition;
				requireIndexUsed(db, viaIndex, index.getKey(), value);
				Set<String> indexed = ids(db, viaIndex, value);
				Set<String> scanned = ids(db, "SELECT " + key + " FROM " + table + " USE INDEX () WHERE " + condition,
						value);
				if (!indexed.equals(scanned)) {
					Set<String> onlyIndexed = new HashSet<>(indexed);
					onlyIndexed.removeAll(scanned);
					Set<String> onlyScanned = new HashSet<>(scanned);
					onlyScanned.removeAll(indexed);
					found.add(index.getKey() + " " + condition.replace("?", value) + ": only in the index "
							+ onlyIndexed + ", only in the table " + onlyScanned);
				}
			}
		}
		return found;
	}

	/** Index name to TABLE.FIRST_COLUMN, for the two tables. */
	private static Map<String, String> indexes(Connection db) throws SQLException {
		Map<String, String> indexes = new LinkedHashMap<>();
		try (ResultSet rs = db.createStatement()
			.executeQuery("SELECT INDEX_NAME, TABLE_NAME, COLUMN_NAME FROM INFORMATION_SCHEMA.INDEX_COLUMNS "
					+ "WHERE TABLE_SCHEMA = 'PUBLIC' AND TABLE_NAME IN ('TASKS', 'TASK_DELIVERIES') "
					+ "AND ORDINAL_POSITION = 1")) {
			while (rs.next()) {
				indexes.put(rs.getString(1), rs.getString(2) + "." + rs.getString(3));
			}
		}
		assertThat(indexes).as("indexes found").hasSizeGreaterThanOrEqualTo(5);
		return indexes;
	}

	private static void requireIndexUsed(Connection db, String sql, String index, String value) throws SQLException {
		try (PreparedStatement explain = db.prepareStatement("EXPLAIN " + sql)) {
			explain.setString(1, value);
			try (ResultSet rs = explain.executeQuery()) {
				rs.next();
				assertThat(rs.getString(1)).as("plan of " + sql).contains("/* PUBLIC." + index);
			}
		}
	}

	private static Set<String> ids(Connection db, String sql, String... parameters) throws SQLException {
		Set<String> ids = new HashSet<>();
		try (PreparedStatement statement = db.prepareStatement(sql)) {
			for (int i = 0; i < parameters.length; i++) {
				statement.setString(i + 1, parameters[i]);
			}
			try (ResultSet rs = statement.executeQuery()) {
				while (rs.next()) {
					ids.add(rs.getString(1));
				}
			}
		}
		return ids;
	}

	static {
		try {
			Files.createDirectories(Path.of("target"));
		}
		catch (IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
	}

}
