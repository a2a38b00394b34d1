package io.warren.master.task;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import io.warren.protocol.TaskError;

import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The durable task records, in SQL that runs on both H2 and PostgreSQL. Status changes go
 * through {@link TaskStateMachine}; the conditional updates here take their allowed
 * source statuses from it.
 */
@Repository
public class TaskStore {

	private static final String COLUMNS = "id, type, status, priority, payload, result, error_code, error_message, "
			+ "attempt, deliveries, duplicates, worker_id, created_at, queued_at, started_at, finished_at, updated_at";

	private static final String SUMMARY_COLUMNS = "id, type, status, priority, attempt, deliveries, duplicates, "
			+ "worker_id, created_at, queued_at, started_at, finished_at, updated_at";

	private static final String UPDATE = "UPDATE tasks SET status = ?, result = ?, error_code = ?, "
			+ "error_message = ?, attempt = ?, deliveries = ?, duplicates = ?, worker_id = ?, queued_at = ?, "
			+ "started_at = ?, finished_at = ?, updated_at = ? WHERE id = ?";

	/**
	 * The order both databases sort UUIDs in (unsigned, most significant bits first):
	 * every batch that locks several rows takes them in this order.
	 */
	public static final Comparator<UUID> ID_ORDER = Comparator
		.comparing(UUID::getMostSignificantBits, Long::compareUnsigned)
		.thenComparing(UUID::getLeastSignificantBits, Long::compareUnsigned);

	/** The most ids in one {@code IN} list. */
	private static final int CHUNK = 500;

	private final JdbcClient jdbc;

	private final JdbcTemplate template;

	public TaskStore(JdbcClient jdbc, JdbcTemplate template) {
		this.jdbc = jdbc;
		this.template = template;
	}

	/**
	 * Stores new tasks in one batch, to be published once {@code publishAfter} has passed
	 * if not confirmed by then.
	 */
	public void insertAll(List<Task> tasks, Instant publishAfter) {
		List<Object[]> rows = new ArrayList<>(tasks.size());
		for (Task task : tasks) {
			rows.add(new Object[] { task.id(), task.type(), task.status().name(), task.priority(), task.payload(),
					task.attempt(), utc(task.createdAt()), utc(task.createdAt()), utc(publishAfter) });
		}
		this.template.batchUpdate(
				"INSERT INTO tasks (id, type, status, priority, payload, attempt, created_at, updated_at, publish_after) "
						+ "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
				rows);
	}

	/** The task, if stored. */
	public Optional<Task> find(UUID id) {
		return this.jdbc.sql("SELECT " + COLUMNS + " FROM tasks WHERE id = ?")
			.param(id)
			.query(TaskStore::task)
			.optional();
	}

	/**
	 * The tasks with their rows locked until the transaction ends, locked in the order of
	 * their ids, so that two transactions locking overlapping sets cannot deadlock; call
	 * inside a transaction.
	 */
	public Map<UUID, Task> lockAll(Collection<UUID> ids) {
		List<UUID> sorted = ids.stream().distinct().sorted(ID_ORDER).toList();
		Map<UUID, Task> locked = new HashMap<>();
		for (List<UUID> chunk : chunks(sorted)) {
			this.jdbc
				.sql("SELECT " + COLUMNS + " FROM tasks WHERE id IN (" + placeholders(chunk.size())
						+ ") ORDER BY id FOR UPDATE")
				.params(new ArrayList<>(chunk))
				.query(TaskStore::task)
				.list()
				.forEach((task) -> locked.put(task.id(), task));
		}
		return locked;
	}

	/** The deliveries already recorded for these tasks, of any attempt. */
	public Set<TaskDelivery> deliveriesOf(Collection<UUID> taskIds) {
		Set<TaskDelivery> seen = new HashSet<>();
		for (List<UUID> chunk : chunks(taskIds.stream().distinct().toList())) {
			this.jdbc
				.sql("SELECT task_id, attempt, delivery_id FROM task_deliveries WHERE task_id IN ("
						+ placeholders(chunk.size()) + ")")
				.params(new ArrayList<>(chunk))
				.query((rs, row) -> new TaskDelivery(rs.getObject("task_id", UUID.class), rs.getInt("attempt"),
						rs.getObject("delivery_id", UUID.class)))
				.list()
				.forEach(seen::add);
		}
		return seen;
	}

	/** Records new deliveries, with who reported them; call with their tasks locked. */
	public void insertDeliveries(List<NewDelivery> deliveries, Instant now) {
		List<Object[]> rows = new ArrayList<>(deliveries.size());
		for (NewDelivery delivery : deliveries) {
			rows.add(new Object[] { delivery.delivery().taskId(), delivery.delivery().attempt(),
					delivery.delivery().deliveryId(), delivery.workerId(), delivery.redelivered(), utc(now) });
		}
		this.template.batchUpdate("INSERT INTO task_deliveries (task_id, attempt, delivery_id, worker_id, redelivered, "
				+ "seen_at) VALUES (?, ?, ?, ?, ?, ?)", rows);
	}

	/** Writes every mutable field of tasks whose rows the caller has locked. */
	public void updateAll(List<Task> tasks, Instant now) {
		List<Object[]> rows = new ArrayList<>(tasks.size());
		for (Task task : tasks) {
			rows.add(updateRow(task, now));
		}
		this.template.batchUpdate(UPDATE, rows);
	}

	private static Object[] updateRow(Task task, Instant now) {
		TaskError error = task.error();
		return new Object[] { task.status().name(), task.result(), (error != null) ? error.code() : null,
				(error != null) ? error.message() : null, task.attempt(), task.deliveries(), task.duplicates(),
				task.workerId(), utc(task.queuedAt()), utc(task.startedAt()), utc(task.finishedAt()), utc(now),
				task.id() };
	}

	/**
	 * Moves each confirmed attempt to {@code QUEUED}, where the state machine allows it;
	 * a confirm that arrives after a started notice or a result changes nothing. Returns
	 * the attempts that moved. One set of conditional updates, taken in id order like
	 * every batch that locks rows (H2 waits out its lock timeout on a deadlock instead of
	 * detecting it).
	 */
	public Set<TaskAttempt> markConfirmed(Collection<TaskAttempt> confirmed, Instant now) {
		String sources = inList(TaskStateMachine.sourcesOf(TaskEvent.CONFIRMED));
		TaskStatus target = TaskStateMachine.next(TaskStatus.PENDING, TaskEvent.CONFIRMED).orElseThrow();
		List<TaskAttempt> sorted = confirmed.stream()
			.sorted(Comparator.comparing(TaskAttempt::taskId, ID_ORDER))
			.toList();
		List<Object[]> rows = new ArrayList<>(sorted.size());
		for (TaskAttempt attempt : sorted) {
			rows.add(new Object[] { target.name(), utc(now), utc(now), attempt.taskId(), attempt.attempt() });
		}
		int[] counts = this.template.batchUpdate(
				"UPDATE tasks SET status = ?, queued_at = ?, updated_at = ? WHERE id = ? AND attempt = ? AND status IN "
						+ sources,
				rows);
		Set<TaskAttempt> moved = new HashSet<>();
		for (int i = 0; i < sorted.size(); i++) {
			if (counts[i] == 1) {
				moved.add(sorted.get(i));
			}
		}
		return moved;
	}

	/**
	 * Claims up to {@code limit} {@code PENDING} tasks whose confirm is overdue and
	 * pushes their next claim to {@code nextClaim}; rows another master holds are
	 * skipped, and so are the {@code skip} rows (task id to an attempt known to be listed
	 * wrongly). Each row is claimed by an update that checks its status and attempt
	 * again, so a row that the query lists as {@code PENDING} but that is not (an index
	 * that disagrees with its table) is never claimed: it is returned as mismatched. Call
	 * inside a transaction.
	 */
	public Claim claimOverduePending(int limit, Map<UUID, Integer> skip, Instant now, Instant nextClaim) {
		List<Task> candidates = new ArrayList<>(limit);
		List<Task> mismatched = new ArrayList<>();
		for (Task task : listOverduePending(limit + skip.size(), now)) {
			if (candidates.size() == limit) {
				break;
			}
			if (Integer.valueOf(task.attempt()).equals(skip.get(task.id()))) {
				continue;
			}
			if (task.status() != TaskStatus.PENDING) {
				mismatched.add(task);
			}
			else {
				candidates.add(task);
			}
		}
		List<Object[]> rows = new ArrayList<>(candidates.size());
		for (Task task : candidates) {
			rows.add(new Object[] { utc(nextClaim), task.id(), task.attempt() });
		}
		int[] counts = this.template
			.batchUpdate("UPDATE tasks SET publish_after = ?, publish_count = publish_count + 1 "
					+ "WHERE id = ? AND attempt = ? AND status = 'PENDING'", rows);
		List<Task> claimed = new ArrayList<>(candidates.size());
		for (int i = 0; i < candidates.size(); i++) {
			if (counts[i] == 1) {
				claimed.add(candidates.get(i));
			}
			else {
				mismatched.add(candidates.get(i));
			}
		}
		return new Claim(claimed, mismatched);
	}

	/**
	 * The overdue {@code PENDING} rows as the status index lists them, oldest first,
	 * locked; rows another master holds are skipped.
	 */
	protected List<Task> listOverduePending(int limit, Instant now) {
		return this.jdbc
			.sql("SELECT " + COLUMNS + " FROM tasks WHERE status = 'PENDING' AND publish_after <= ? "
					+ "ORDER BY publish_after FETCH FIRST " + limit + " ROWS ONLY FOR UPDATE SKIP LOCKED")
			.param(utc(now))
			.query(TaskStore::task)
			.list();
	}

	/**
	 * What a claim found.
	 *
	 * @param claimed the tasks claimed, to be published
	 * @param mismatched rows the query listed as overdue {@code PENDING} whose row says
	 * otherwise
	 */
	public record Claim(List<Task> claimed, List<Task> mismatched) {
	}

	/**
	 * Newest first, after the {@code after} id when given; payload and result left out.
	 */
	public List<Task> list(TaskStatus status, String type, UUID after, int limit) {
		StringBuilder sql = new StringBuilder("SELECT " + SUMMARY_COLUMNS + " FROM tasks WHERE 1 = 1");
		List<Object> params = new ArrayList<>();
		if (status != null) {
			sql.append(" AND status = ?");
			params.add(status.name());
		}
		if (type != null) {
			sql.append(" AND type = ?");
			params.add(type);
		}
		if (after != null) {
			sql.append(" AND id < ?");
			params.add(after);
		}
		sql.append(" ORDER BY id DESC FETCH FIRST ").append(limit).append(" ROWS ONLY");
		return this.jdbc.sql(sql.toString()).params(params).query(TaskStore::summary).list();
	}

	/** Whether the database answers {@code SELECT 1}. */
	public boolean reachable() {
		try {
			return this.jdbc.sql("SELECT 1").query(Integer.class).single() == 1;
		}
		catch (DataAccessException ex) {
			return false;
		}
	}

	/**
	 * Records an idempotency key with the tasks it created; call in the transaction that
	 * inserts them. The same key in the same scope already recorded (by a concurrent
	 * request, another master) raises a duplicate key.
	 */
	public void insertIdempotencyKey(IdempotencyKey key) {
		this.jdbc
			.sql("INSERT INTO idempotency_keys (scope, idem_key, fingerprint, task_ids, created_at) "
					+ "VALUES (?, ?, ?, ?, ?)")
			.params(key.scope(), key.key(), key.fingerprint(),
					String.join(",", key.taskIds().stream().map(UUID::toString).toList()), utc(key.createdAt()))
			.update();
	}

	/**
	 * The key as recorded at or after {@code notBefore}; an older record of it is
	 * deleted, so that the key can be used again.
	 */
	public Optional<IdempotencyKey> findIdempotencyKey(String scope, String key, Instant notBefore) {
		Optional<IdempotencyKey> found = this.jdbc
			.sql("SELECT scope, idem_key, fingerprint, task_ids, created_at FROM idempotency_keys "
					+ "WHERE scope = ? AND idem_key = ?")
			.params(scope, key)
			.query((rs, row) -> new IdempotencyKey(rs.getString("scope"), rs.getString("idem_key"),
					rs.getString("fingerprint"),
					java.util.Arrays.stream(rs.getString("task_ids").split(",")).map(UUID::fromString).toList(),
					instant(rs, "created_at")))
			.optional();
		if (found.isPresent() && found.get().createdAt().isBefore(notBefore)) {
			this.jdbc.sql("DELETE FROM idempotency_keys WHERE scope = ? AND idem_key = ? AND created_at < ?")
				.params(scope, key, utc(notBefore))
				.update();
			return Optional.empty();
		}
		return found;
	}

	/** Deletes the keys recorded before {@code notBefore}; returns how many. */
	public int purgeIdempotencyKeys(Instant notBefore) {
		return this.jdbc.sql("DELETE FROM idempotency_keys WHERE created_at < ?").param(utc(notBefore)).update();
	}

	/** The task types that have ever been submitted. */
	public List<String> types() {
		return this.jdbc.sql("SELECT type FROM task_types").query(String.class).list();
	}

	/**
	 * Records a task type as submitted; does nothing if it already is. The same type
	 * registered at the same moment by another transaction raises a duplicate key (which
	 * on PostgreSQL aborts the transaction): callers register in a transaction of its own
	 * and take that as done.
	 */
	public void registerType(String type) {
		this.jdbc
			.sql("INSERT INTO task_types (type) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM task_types WHERE type = ?)")
			.params(type, type)
			.update();
	}

	/**
	 * How many tasks of each type are in each active status ({@code PENDING},
	 * {@code QUEUED}, {@code RUNNING}); pairs without tasks are left out. Reads the
	 * status index over active rows only, so its cost does not grow with finished
	 * history.
	 */
	public Map<String, Map<TaskStatus, Long>> countActiveByTypeAndStatus() {
		Map<String, Map<TaskStatus, Long>> counts = new HashMap<>();
		this.jdbc
			.sql("SELECT type, status, COUNT(*) AS n FROM tasks WHERE status IN " + inList(TaskStatus.active())
					+ " GROUP BY type, status")
			.query((rs) -> {
				counts.computeIfAbsent(rs.getString("type"), (type) -> new EnumMap<>(TaskStatus.class))
					.put(TaskStatus.valueOf(rs.getString("status")), rs.getLong("n"));
			});
		return counts;
	}

	/** When the oldest task still {@code PENDING} was submitted; empty when none is. */
	public Optional<Instant> oldestPending() {
		return this.jdbc.sql("SELECT MIN(created_at) AS oldest FROM tasks WHERE status = 'PENDING'")
			.query((rs, row) -> Optional.ofNullable(instant(rs, "oldest")))
			.single();
	}

	private static Task task(ResultSet rs, int row) throws SQLException {
		String errorCode = rs.getString("error_code");
		TaskError error = (errorCode != null) ? new TaskError(errorCode, rs.getString("error_message"), false) : null;
		return new Task(rs.getObject("id", UUID.class), rs.getString("type"),
				TaskStatus.valueOf(rs.getString("status")), rs.getInt("priority"), rs.getString("payload"),
				rs.getString("result"), error, rs.getInt("attempt"), rs.getInt("deliveries"), rs.getInt("duplicates"),
				rs.getString("worker_id"), instant(rs, "created_at"), instant(rs, "queued_at"),
				instant(rs, "started_at"), instant(rs, "finished_at"), instant(rs, "updated_at"));
	}

	private static Task summary(ResultSet rs, int row) throws SQLException {
		return new Task(rs.getObject("id", UUID.class), rs.getString("type"),
				TaskStatus.valueOf(rs.getString("status")), rs.getInt("priority"), null, null, null,
				rs.getInt("attempt"), rs.getInt("deliveries"), rs.getInt("duplicates"), rs.getString("worker_id"),
				instant(rs, "created_at"), instant(rs, "queued_at"), instant(rs, "started_at"),
				instant(rs, "finished_at"), instant(rs, "updated_at"));
	}

	private static Instant instant(ResultSet rs, String column) throws SQLException {
		OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
		return (value != null) ? value.toInstant() : null;
	}

	private static OffsetDateTime utc(Instant instant) {
		return (instant != null) ? instant.atOffset(ZoneOffset.UTC) : null;
	}

	private static List<List<UUID>> chunks(List<UUID> ids) {
		List<List<UUID>> chunks = new ArrayList<>();
		for (int from = 0; from < ids.size(); from += CHUNK) {
			chunks.add(ids.subList(from, Math.min(ids.size(), from + CHUNK)));
		}
		return chunks;
	}

	private static String placeholders(int count) {
		return String.join(", ", java.util.Collections.nCopies(count, "?"));
	}

	/**
	 * One delivery of one attempt, as recorded.
	 *
	 * @param taskId the task
	 * @param attempt the attempt
	 * @param deliveryId chosen by the worker that ran it
	 */
	public record TaskDelivery(UUID taskId, int attempt, UUID deliveryId) {
	}

	/**
	 * A delivery to record.
	 *
	 * @param delivery which one
	 * @param workerId who reported it
	 * @param redelivered whether the broker flagged it as redelivered
	 */
	public record NewDelivery(TaskDelivery delivery, String workerId, boolean redelivered) {
	}

	private static String inList(Collection<TaskStatus> statuses) {
		return statuses.stream()
			.map((status) -> "'" + status.name() + "'")
			.reduce((a, b) -> a + ", " + b)
			.map((list) -> "(" + list + ")")
			.orElseThrow();
	}

}
