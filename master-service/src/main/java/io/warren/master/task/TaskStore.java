package io.warren.master.task;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.warren.protocol.TaskError;

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

	private final JdbcClient jdbc;

	private final JdbcTemplate template;

	public TaskStore(JdbcClient jdbc, JdbcTemplate template) {
		this.jdbc = jdbc;
		this.template = template;
	}

	/**
	 * Stores a new task, to be published once {@code publishAfter} has passed if not
	 * confirmed by then.
	 */
	public void insert(Task task, Instant publishAfter) {
		this.jdbc.sql(
				"INSERT INTO tasks (id, type, status, priority, payload, attempt, created_at, updated_at, publish_after) "
						+ "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
			.params(task.id(), task.type(), task.status().name(), task.priority(), task.payload(), task.attempt(),
					utc(task.createdAt()), utc(task.createdAt()), utc(publishAfter))
			.update();
	}

	/** The task, if stored. */
	public Optional<Task> find(UUID id) {
		return this.jdbc.sql("SELECT " + COLUMNS + " FROM tasks WHERE id = ?")
			.param(id)
			.query(TaskStore::task)
			.optional();
	}

	/**
	 * The task with its row locked until the transaction ends; call inside a transaction.
	 */
	public Optional<Task> lock(UUID id) {
		return this.jdbc.sql("SELECT " + COLUMNS + " FROM tasks WHERE id = ? FOR UPDATE")
			.param(id)
			.query(TaskStore::task)
			.optional();
	}

	/**
	 * Writes every mutable field of a task whose row the caller has locked, as changed at
	 * {@code now}.
	 */
	public void update(Task task, Instant now) {
		TaskError error = task.error();
		this.jdbc
			.sql("UPDATE tasks SET status = ?, result = ?, error_code = ?, error_message = ?, attempt = ?, "
					+ "deliveries = ?, duplicates = ?, worker_id = ?, queued_at = ?, started_at = ?, finished_at = ?, "
					+ "updated_at = ? " + "WHERE id = ?")
			.params(task.status().name(), task.result(), (error != null) ? error.code() : null,
					(error != null) ? error.message() : null, task.attempt(), task.deliveries(), task.duplicates(),
					task.workerId(), utc(task.queuedAt()), utc(task.startedAt()), utc(task.finishedAt()), utc(now),
					task.id())
			.update();
	}

	/**
	 * Moves each confirmed attempt to {@code QUEUED}, where the state machine allows it;
	 * a confirm that arrives after a started notice or a result changes nothing.
	 */
	public void markConfirmed(Collection<TaskAttempt> confirmed, Instant now) {
		String sources = inList(TaskStateMachine.sourcesOf(TaskEvent.CONFIRMED));
		TaskStatus target = TaskStateMachine.next(TaskStatus.PENDING, TaskEvent.CONFIRMED).orElseThrow();
		List<Object[]> rows = new ArrayList<>(confirmed.size());
		for (TaskAttempt attempt : confirmed) {
			rows.add(new Object[] { target.name(), utc(now), utc(now), attempt.taskId(), attempt.attempt() });
		}
		this.template.batchUpdate(
				"UPDATE tasks SET status = ?, queued_at = ?, updated_at = ? WHERE id = ? AND attempt = ? AND status IN "
						+ sources,
				rows);
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
	 * Records that a delivery of an attempt was seen; true the first time, false when the
	 * same delivery reports again. Call with the task's row locked.
	 */
	public boolean recordDelivery(UUID taskId, int attempt, UUID deliveryId, String workerId, boolean redelivered,
			Instant now) {
		boolean seen = this.jdbc
			.sql("SELECT COUNT(*) FROM task_deliveries WHERE task_id = ? AND attempt = ? AND delivery_id = ?")
			.params(taskId, attempt, deliveryId)
			.query(Long.class)
			.single() > 0;
		if (seen) {
			return false;
		}
		this.jdbc
			.sql("INSERT INTO task_deliveries (task_id, attempt, delivery_id, worker_id, redelivered, seen_at) "
					+ "VALUES (?, ?, ?, ?, ?, ?)")
			.params(taskId, attempt, deliveryId, workerId, redelivered, utc(now))
			.update();
		return true;
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

	/** The task types that have ever been submitted. */
	public List<String> types() {
		return this.jdbc.sql("SELECT DISTINCT type FROM tasks").query(String.class).list();
	}

	/**
	 * How many tasks of each type are in each status; pairs without tasks are left out.
	 */
	public Map<String, Map<TaskStatus, Long>> countByTypeAndStatus() {
		Map<String, Map<TaskStatus, Long>> counts = new HashMap<>();
		this.jdbc.sql("SELECT type, status, COUNT(*) AS n FROM tasks GROUP BY type, status").query((rs) -> {
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

	private static String inList(Collection<TaskStatus> statuses) {
		return statuses.stream()
			.map((status) -> "'" + status.name() + "'")
			.reduce((a, b) -> a + ", " + b)
			.map((list) -> "(" + list + ")")
			.orElseThrow();
	}

}
