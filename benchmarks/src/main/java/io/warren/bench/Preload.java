package io.warren.bench;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Random;
import java.util.UUID;

/**
 * Fills a stopped master's store with finished tasks, as a store with history holds:
 * {@code SUCCEEDED} rows of their own type, each with its delivery, ids in time order
 * (UUID version 7, as the master makes them) over the day before the run.
 */
final class Preload {

	/** The preloaded tasks' type: the run's own tasks are {@code echo}. */
	static final String TYPE = "bench.preloaded";

	private static final int BATCH = 5_000;

	private static final String TASK = "INSERT INTO tasks (id, type, status, priority, payload, result, attempt, "
			+ "deliveries, duplicates, worker_id, created_at, queued_at, started_at, finished_at, updated_at, "
			+ "publish_after, publish_count) VALUES (?, '" + TYPE + "', 'SUCCEEDED', 0, '{\"n\":1}', '{\"n\":1}', 1, "
			+ "1, 0, 'bench-preload', ?, ?, ?, ?, ?, ?, 1)";

	private static final String DELIVERY = "INSERT INTO task_deliveries (task_id, attempt, delivery_id, worker_id, "
			+ "redelivered, seen_at) VALUES (?, 1, ?, 'bench-preload', FALSE, ?)";

	private Preload() {
	}

	/**
	 * Inserts {@code count} finished tasks; returns how many rows of tasks it inserted.
	 */
	static int fill(String url, String user, int count) throws SQLException {
		int inserted = 0;
		Random random = new SecureRandom();
		long first = Instant.now().minusSeconds(86_400).toEpochMilli();
		double step = 86_400_000.0 / Math.max(1, count);
		try (Connection connection = DriverManager.getConnection(url, user, "")) {
			connection.setAutoCommit(false);
			try (PreparedStatement type = connection
				.prepareStatement("INSERT INTO task_types (type) VALUES ('" + TYPE + "')")) {
				type.executeUpdate();
			}
			try (PreparedStatement tasks = connection.prepareStatement(TASK);
					PreparedStatement deliveries = connection.prepareStatement(DELIVERY)) {
				for (int i = 0; i < count; i++) {
					long millis = first + (long) (i * step);
					UUID id = version7(millis, random);
					Timestamp at = new Timestamp(millis);
					tasks.setObject(1, id);
					for (int column = 2; column <= 7; column++) {
						tasks.setTimestamp(column, at);
					}
					tasks.addBatch();
					deliveries.setObject(1, id);
					deliveries.setObject(2, UUID.randomUUID());
					deliveries.setTimestamp(3, at);
					deliveries.addBatch();
					if ((i + 1) % BATCH == 0 || i == count - 1) {
						for (int rows : tasks.executeBatch()) {
							inserted += (rows == java.sql.Statement.SUCCESS_NO_INFO) ? 1 : rows;
						}
						deliveries.executeBatch();
						connection.commit();
					}
				}
			}
		}
		return inserted;
	}

	/** A version 7 UUID for the given time: 48 bits of milliseconds, then random bits. */
	static UUID version7(long millis, Random random) {
		long most = (millis << 16) | 0x7000L | (random.nextInt() & 0x0FFFL);
		long least = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
		return new UUID(most, least);
	}

}
