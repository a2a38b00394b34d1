package io.warren.master.workers;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

import io.warren.protocol.Heartbeat;
import io.warren.protocol.WireFormat;
import tools.jackson.core.type.TypeReference;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The workers the masters heard from, in the store: every master reads and writes the
 * same registry. A row holds a worker's last heartbeat; a worker whose heartbeats stop
 * for three of its intervals is marked {@code LOST}; lost and stopped workers are deleted
 * after the retention.
 */
@Repository
public class WorkerRegistry {

	public static final String LOST = "LOST";

	public static final String STOPPED = "STOPPED";

	/** Every state a worker can be in, for the gauges. */
	public static final List<String> STATES = List.of("RUNNING", "PAUSED", "DRAINING", LOST, STOPPED);

	/** Heartbeats a worker may miss before it is lost. */
	static final int MISSED_BEATS = 3;

	private static final String COLUMNS = "id, host, version, state, types, running, interval_ms, started_at, "
			+ "last_seen_at, state_since";

	private static final TypeReference<List<Heartbeat.TypeState>> TYPES = new TypeReference<>() {
	};

	private static final TypeReference<List<Heartbeat.RunningTask>> RUNNING = new TypeReference<>() {
	};

	private final JdbcClient jdbc;

	private final WireFormat wire;

	WorkerRegistry(JdbcClient jdbc, WireFormat wire) {
		this.jdbc = jdbc;
		this.wire = wire;
	}

	/**
	 * Records a heartbeat received at {@code now}. A beat of a run that already said
	 * goodbye (a late message) changes nothing; a worker that comes back after it was
	 * lost is live again. Each master applies heartbeats on one consumer; two masters
	 * writing the same worker's row at once write the same facts.
	 */
	public void record(Heartbeat heartbeat, Instant now) {
		String state = heartbeat.event().equals(Heartbeat.GOODBYE) ? STOPPED : heartbeat.state();
		String types = this.wire.json().writeValueAsString(heartbeat.types());
		String running = this.wire.json().writeValueAsString(heartbeat.running());
		OffsetDateTime seen = utc(now);
		OffsetDateTime lostAfter = utc(now.plusMillis(heartbeat.intervalMs() * MISSED_BEATS));
		String host = clip(heartbeat.host(), 255);
		String version = clip(heartbeat.version(), 64);
		for (int tries = 0; tries < 3; tries++) {
			Optional<WorkerRecord> known = find(heartbeat.workerId());
			if (known.isEmpty()) {
				break;
			}
			WorkerRecord worker = known.get();
			if (worker.state().equals(STOPPED) && worker.startedAt() != null
					&& worker.startedAt().toEpochMilli() == heartbeat.startedAt().toEpochMilli()) {
				// a late message of a run that said goodbye
				return;
			}
			// only over the row as read: another master may have written it meanwhile
			// (a goodbye that a late beat must not undo), then read it again
			int updated = this.jdbc
				.sql("UPDATE workers SET host = ?, version = ?, state_since = CASE WHEN state = ? THEN state_since "
						+ "ELSE ? END, state = ?, types = ?, running = ?, interval_ms = ?, started_at = ?, "
						+ "last_seen_at = ?, lost_after = ? WHERE id = ? AND state = ? AND last_seen_at = ?")
				.params(host, version, state, seen, state, types, running, heartbeat.intervalMs(),
						utc(heartbeat.startedAt()), seen, lostAfter, heartbeat.workerId(), worker.state(),
						utc(worker.lastSeenAt()))
				.update();
			if (updated > 0) {
				return;
			}
		}
		if (find(heartbeat.workerId()).isPresent()) {
			return;
		}
		try {
			this.jdbc
				.sql("INSERT INTO workers (id, host, version, state, types, running, interval_ms, started_at, "
						+ "last_seen_at, lost_after, state_since) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
				.params(heartbeat.workerId(), host, version, state, types, running, heartbeat.intervalMs(),
						utc(heartbeat.startedAt()), seen, lostAfter, seen)
				.update();
		}
		catch (DuplicateKeyException ex) {
			// another master recorded its first heartbeat at the same time: theirs stands
		}
	}

	/** Marks workers lost whose last heartbeat is three intervals old; how many. */
	public int markLost(Instant now) {
		return this.jdbc
			.sql("UPDATE workers SET state = 'LOST', state_since = ? WHERE state IN ('RUNNING', 'PAUSED', "
					+ "'DRAINING') AND lost_after < ?")
			.params(utc(now), utc(now))
			.update();
	}

	/**
	 * Deletes lost and stopped workers that are so since before {@code before}, but not
	 * one that a task still shows {@code RUNNING}: that task is ended by the check first.
	 */
	public int purge(Instant before) {
		return this.jdbc
			.sql("DELETE FROM workers WHERE state IN ('LOST', 'STOPPED') AND state_since < ? AND NOT EXISTS "
					+ "(SELECT 1 FROM tasks WHERE tasks.worker_id = workers.id AND tasks.status = 'RUNNING')")
			.params(utc(before))
			.update();
	}

	/** Every worker, by id. */
	public List<WorkerRecord> list() {
		return this.jdbc.sql("SELECT " + COLUMNS + " FROM workers ORDER BY id").query(this::worker).list();
	}

	public Optional<WorkerRecord> find(String id) {
		return this.jdbc.sql("SELECT " + COLUMNS + " FROM workers WHERE id = ?")
			.params(id)
			.query(this::worker)
			.optional();
	}

	/** How many workers are in each state (every state listed). */
	public Map<String, Long> countByState() {
		Map<String, Long> counts = new LinkedHashMap<>();
		STATES.forEach((state) -> counts.put(state, 0L));
		this.jdbc.sql("SELECT state, COUNT(*) AS n FROM workers GROUP BY state").query((rs) -> {
			counts.put(rs.getString("state"), rs.getLong("n"));
		});
		return counts;
	}

	/**
	 * How many live workers serve each type and take its tasks (not paused, not stopped
	 * after a stuck handler).
	 */
	public Map<String, Integer> liveWorkersByType() {
		Map<String, Integer> served = new TreeMap<>();
		for (WorkerRecord worker : list()) {
			if (worker.live()) {
				for (Heartbeat.TypeState type : worker.types()) {
					if (!type.paused() && type.stopped() == null) {
						served.merge(type.type(), 1, Integer::sum);
					}
				}
			}
		}
		return served;
	}

	/**
	 * The {@code RUNNING} tasks whose worker is lost or stopped since before
	 * {@code lostBefore}.
	 */
	public List<HeldTask> heldByLostWorkers(Instant lostBefore) {
		return this.jdbc
			.sql("SELECT t.id, t.attempt, t.worker_id, t.started_at, t.timeout_ms, w.state_since FROM tasks t "
					+ "JOIN workers w ON w.id = t.worker_id WHERE t.status = 'RUNNING' "
					+ "AND w.state IN ('LOST', 'STOPPED') AND w.state_since < ?")
			.params(utc(lostBefore))
			.query((rs, row) -> new HeldTask(rs.getObject("id", UUID.class), rs.getInt("attempt"),
					rs.getString("worker_id"), instant(rs, "started_at"), rs.getObject("timeout_ms", Long.class),
					instant(rs, "state_since")))
			.list();
	}

	/**
	 * A running task held by a lost worker.
	 *
	 * @param taskId the task
	 * @param attempt its attempt
	 * @param workerId the lost worker
	 * @param startedAt when the attempt started
	 * @param timeoutMs its timeout, if known
	 * @param lostAt since when the worker is lost or stopped
	 */
	public record HeldTask(UUID taskId, int attempt, String workerId, Instant startedAt, Long timeoutMs,
			Instant lostAt) {
	}

	private WorkerRecord worker(ResultSet rs, int row) throws SQLException {
		return new WorkerRecord(rs.getString("id"), rs.getString("state"), rs.getString("host"),
				rs.getString("version"), this.wire.json().readValue(rs.getString("types"), TYPES),
				this.wire.json().readValue(rs.getString("running"), RUNNING), rs.getLong("interval_ms"),
				instant(rs, "started_at"), instant(rs, "last_seen_at"), instant(rs, "state_since"));
	}

	private static String clip(String text, int max) {
		if (text == null) {
			return null;
		}
		String clean = text.codePoints()
			.filter((c) -> !Character.isISOControl(c))
			.collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
			.toString();
		return (clean.length() > max) ? clean.substring(0, max) : clean;
	}

	private static Instant instant(ResultSet rs, String column) throws SQLException {
		OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
		return (value != null) ? value.toInstant() : null;
	}

	private static OffsetDateTime utc(Instant instant) {
		return (instant != null) ? instant.atOffset(ZoneOffset.UTC) : null;
	}

}
