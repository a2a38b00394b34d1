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
			+ "attempt, deliveries, duplicates, worker_id, created_at, queued_at, started_at, finished_at, updated_at, "
			+ "publish_after, max_attempts, budget_from, timeout_ms, cancel_requested_at, seq, callback_url";

	private static final String SUMMARY_COLUMNS = "id, type, status, priority, error_code, attempt, deliveries, "
			+ "duplicates, "
			+ "worker_id, created_at, queued_at, started_at, finished_at, updated_at, publish_after, max_attempts, "
			+ "budget_from, timeout_ms, cancel_requested_at, seq, callback_url";

	private static final String UPDATE = "UPDATE tasks SET status = ?, result = ?, error_code = ?, "
			+ "error_message = ?, attempt = ?, deliveries = ?, duplicates = ?, worker_id = ?, queued_at = ?, "
			+ "started_at = ?, finished_at = ?, updated_at = ?, publish_after = COALESCE(?, publish_after), "
			+ "budget_from = ?, cancel_requested_at = ?, seq = ? WHERE id = ?";

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
	 * Stores new tasks in one batch: a waiting one to be published at its due time, the
	 * others once {@code publishAfter} has passed if not confirmed by then.
	 */
	public void insertAll(List<Task> tasks, Instant publishAfter) {
		List<Object[]> rows = new ArrayList<>(tasks.size());
		for (Task task : tasks) {
			Instant due = (task.status().isWaiting()) ? task.dueAt() : publishAfter;
			rows.add(new Object[] { task.id(), task.type(), task.status().name(), task.priority(), task.payload(),
					task.attempt(), utc(task.createdAt()), utc(task.createdAt()), utc(due), task.maxAttempts(),
					task.timeoutMs(), task.callbackUrl() });
		}
		this.template.batchUpdate("INSERT INTO tasks (id, type, status, priority, payload, attempt, created_at, "
				+ "updated_at, publish_after, max_attempts, timeout_ms, callback_url) "
				+ "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows);
	}

	/**
	 * Those of the tasks that are {@code CANCELLED} or whose cancel waits for their
	 * worker.
	 */
	public List<UUID> cancelledAmong(Collection<UUID> ids) {
		List<UUID> cancelled = new ArrayList<>();
		for (List<UUID> chunk : chunks(new ArrayList<>(ids))) {
			cancelled.addAll(this.jdbc
				.sql("SELECT id FROM tasks WHERE id IN (" + placeholders(chunk.size())
						+ ") AND (status = 'CANCELLED' OR cancel_requested_at IS NOT NULL)")
				.params(new ArrayList<Object>(chunk))
				.query((rs, row) -> rs.getObject("id", UUID.class))
				.list());
		}
		return cancelled;
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

	/**
	 * The deliveries already recorded for these tasks, of any attempt, each with whether
	 * its worker handed it back unfinished (released).
	 */
	public Map<TaskDelivery, Boolean> deliveriesOf(Collection<UUID> taskIds) {
		Map<TaskDelivery, Boolean> seen = new HashMap<>();
		for (List<UUID> chunk : chunks(taskIds.stream().distinct().toList())) {
			this.jdbc
				.sql("SELECT task_id, attempt, delivery_id, released FROM task_deliveries WHERE task_id IN ("
						+ placeholders(chunk.size()) + ")")
				.params(new ArrayList<>(chunk))
				.query((rs) -> {
					seen.put(new TaskDelivery(rs.getObject("task_id", UUID.class), rs.getInt("attempt"),
							rs.getObject("delivery_id", UUID.class)), rs.getBoolean("released"));
				});
		}
		return seen;
	}

	/** Records new deliveries, with who reported them; call with their tasks locked. */
	public void insertDeliveries(List<NewDelivery> deliveries, Instant now) {
		List<Object[]> rows = new ArrayList<>(deliveries.size());
		for (NewDelivery delivery : deliveries) {
			rows.add(new Object[] { delivery.delivery().taskId(), delivery.delivery().attempt(),
					delivery.delivery().deliveryId(), delivery.workerId(), delivery.redelivered(), utc(now),
					delivery.released() });
		}
		this.template.batchUpdate("INSERT INTO task_deliveries (task_id, attempt, delivery_id, worker_id, redelivered, "
				+ "seen_at, released) VALUES (?, ?, ?, ?, ?, ?, ?)", rows);
	}

	/**
	 * Marks recorded deliveries as handed back unfinished; call with their tasks locked.
	 */
	public void markReleased(List<TaskDelivery> deliveries) {
		List<Object[]> rows = new ArrayList<>(deliveries.size());
		for (TaskDelivery delivery : deliveries) {
			rows.add(new Object[] { delivery.taskId(), delivery.attempt(), delivery.deliveryId() });
		}
		this.template.batchUpdate(
				"UPDATE task_deliveries SET released = TRUE WHERE task_id = ? AND attempt = ? AND delivery_id = ?",
				rows);
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
				utc(task.dueAt()), task.budgetFrom(), utc(task.cancelRequestedAt()), task.seq(), task.id() };
	}

	/**
	 * Moves each confirmed attempt to {@code QUEUED}, where the state machine allows it;
	 * a confirm that arrives after a started notice or a result changes nothing. Returns
	 * the attempts that moved. One set of conditional updates, taken in id order like
	 * every batch that locks rows (H2 waits out its lock timeout on a deadlock instead of
	 * detecting it).
	 */
	public Set<TaskAttempt> markConfirmed(Collection<TaskAttempt> confirmed, Instant now) {
		return moveWhereAllowed(TaskEvent.CONFIRMED, TaskStatus.PENDING, "queued_at = ?, updated_at = ?, seq = seq + 1",
				confirmed, utc(now), utc(now));
	}

	/**
	 * One conditional update per attempt, in id order: the row moves where {@code event}
	 * takes {@code from}, setting {@code assignments} to {@code values}, only if it is
	 * still at that attempt in a status the state machine lets {@code event} move;
	 * returns the attempts that moved.
	 */
	private Set<TaskAttempt> moveWhereAllowed(TaskEvent event, TaskStatus from, String assignments,
			Collection<TaskAttempt> attempts, Object... values) {
		String sources = inList(TaskStateMachine.sourcesOf(event));
		TaskStatus target = TaskStateMachine.next(from, event).orElseThrow();
		List<TaskAttempt> sorted = attempts.stream()
			.sorted(Comparator.comparing(TaskAttempt::taskId, ID_ORDER))
			.toList();
		List<Object[]> rows = new ArrayList<>(sorted.size());
		for (TaskAttempt attempt : sorted) {
			Object[] row = new Object[values.length + 3];
			row[0] = target.name();
			System.arraycopy(values, 0, row, 1, values.length);
			row[values.length + 1] = attempt.taskId();
			row[values.length + 2] = attempt.attempt();
			rows.add(row);
		}
		int[] counts = this.template.batchUpdate("UPDATE tasks SET status = ?, " + assignments
				+ " WHERE id = ? AND attempt = ? AND status IN " + sources, rows);
		Set<TaskAttempt> moved = new HashSet<>();
		for (int i = 0; i < sorted.size(); i++) {
			if (counts[i] == 1) {
				moved.add(sorted.get(i));
			}
		}
		return moved;
	}

	/**
	 * Moves each due task of {@code due} to {@code PENDING}, to be published again after
	 * {@code publishAfter} if unconfirmed, where its row is still waiting at the same
	 * attempt (the last attempt's error goes to the history); returns the attempts that
	 * moved. Call with the rows locked.
	 */
	public Set<TaskAttempt> markDue(Collection<TaskAttempt> due, Instant publishAfter, Instant now) {
		return moveWhereAllowed(TaskEvent.DUE, TaskStatus.SCHEDULED,
				"publish_after = ?, updated_at = ?, error_code = NULL, error_message = NULL, seq = seq + 1", due,
				utc(publishAfter), utc(now));
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
	 * The tasks the filter selects, newest first, after the {@code after} id when given;
	 * payload and result left out.
	 */
	public List<Task> list(TaskFilter filter, UUID after, int limit) {
		List<Object> params = new ArrayList<>();
		StringBuilder sql = new StringBuilder("SELECT " + SUMMARY_COLUMNS + " FROM tasks WHERE ")
			.append(where(filter, params));
		if (after != null) {
			sql.append(" AND id < ?");
			params.add(after);
		}
		sql.append(" ORDER BY id DESC FETCH FIRST ").append(limit).append(" ROWS ONLY");
		return this.jdbc.sql(sql.toString()).params(params).query(TaskStore::summary).list();
	}

	/**
	 * The ids of up to {@code limit} tasks the filter selects, oldest first, locked; rows
	 * another transaction holds are skipped. Call inside a transaction.
	 */
	public List<UUID> lockSelected(TaskFilter filter, int limit) {
		return lockSelected(filter, limit, false);
	}

	/**
	 * As {@link #lockSelected(TaskFilter, int)}, leaving out the tasks whose cancel was
	 * asked for, if {@code uncancelled}.
	 */
	public List<UUID> lockSelected(TaskFilter filter, int limit, boolean uncancelled) {
		List<Object> params = new ArrayList<>();
		String sql = "SELECT id FROM tasks WHERE " + where(filter, params)
				+ (uncancelled ? " AND cancel_requested_at IS NULL" : "") + " ORDER BY id FETCH FIRST " + limit
				+ " ROWS ONLY FOR UPDATE SKIP LOCKED";
		return this.jdbc.sql(sql).params(params).query((rs, row) -> rs.getObject("id", UUID.class)).list();
	}

	/**
	 * Locks up to {@code limit} finished tasks created before {@code idBefore} and last
	 * changed before {@code changedBefore}, oldest first; rows another transaction holds
	 * are skipped. Walks the primary key: ids grow with time. Call inside a transaction.
	 */
	public List<UUID> lockExpired(UUID idBefore, Instant changedBefore, int limit) {
		return this.jdbc
			.sql("SELECT id FROM tasks WHERE id < ? AND status IN " + inList(TaskStatus.terminal())
					+ " AND updated_at < ? ORDER BY id FETCH FIRST " + limit + " ROWS ONLY FOR UPDATE SKIP LOCKED")
			.params(idBefore, utc(changedBefore))
			.query((rs, row) -> rs.getObject("id", UUID.class))
			.list();
	}

	/**
	 * Deletes tasks with their deliveries and attempt history; call with their rows
	 * locked. Returns how many tasks were deleted.
	 */
	public int deleteAll(List<UUID> ids) {
		int deleted = 0;
		for (List<UUID> chunk : chunks(ids)) {
			String in = " IN (" + placeholders(chunk.size()) + ")";
			List<Object> params = new ArrayList<>(chunk);
			this.jdbc.sql("DELETE FROM task_deliveries WHERE task_id" + in).params(params).update();
			this.jdbc.sql("DELETE FROM task_attempts WHERE task_id" + in).params(params).update();
			this.jdbc
				.sql("DELETE FROM callback_attempts WHERE delivery_id IN (SELECT delivery_id FROM callbacks "
						+ "WHERE task_id" + in + ")")
				.params(params)
				.update();
			this.jdbc.sql("DELETE FROM callbacks WHERE task_id" + in).params(params).update();
			deleted += this.jdbc.sql("DELETE FROM tasks WHERE id" + in).params(params).update();
		}
		return deleted;
	}

	private static String where(TaskFilter filter, List<Object> params) {
		StringBuilder where = new StringBuilder("1 = 1");
		if (filter.status() != null) {
			where.append(" AND status = ?");
			params.add(filter.status().name());
		}
		if (filter.type() != null) {
			where.append(" AND type = ?");
			params.add(filter.type());
		}
		if (filter.errorCode() != null) {
			where.append(" AND error_code = ?");
			params.add(filter.errorCode());
		}
		if (filter.since() != null) {
			where.append(" AND updated_at >= ?");
			params.add(utc(filter.since()));
		}
		if (filter.until() != null) {
			where.append(" AND updated_at < ?");
			params.add(utc(filter.until()));
		}
		return where.toString();
	}

	/**
	 * Records ended attempts of tasks that go on to another attempt; call with their
	 * tasks locked.
	 */
	public void insertAttempts(List<AttemptRecord> attempts) {
		List<Object[]> rows = new ArrayList<>(attempts.size());
		for (AttemptRecord attempt : attempts) {
			TaskError error = attempt.error();
			rows.add(new Object[] { attempt.taskId(), attempt.attempt(), attempt.outcome().name(), attempt.workerId(),
					utc(attempt.startedAt()), utc(attempt.finishedAt()), (error != null) ? error.code() : null,
					(error != null) ? error.message() : null, attempt.deliveries(), attempt.duplicates() });
		}
		this.template.batchUpdate("INSERT INTO task_attempts (task_id, attempt, outcome, worker_id, started_at, "
				+ "finished_at, error_code, error_message, deliveries, duplicates) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				rows);
	}

	/**
	 * Records the callbacks of tasks that just ended (an outbox: in the transaction that
	 * ended them), each due now.
	 */
	public void insertCallbacks(List<TaskChange> ended, Map<UUID, String> urls, Instant now) {
		List<Object[]> rows = new ArrayList<>(ended.size());
		for (TaskChange change : ended) {
			rows.add(new Object[] { UUID.randomUUID(), change.taskId(), change.to().name(), change.attempt(),
					urls.get(change.taskId()), utc(now), utc(now) });
		}
		this.template.batchUpdate("INSERT INTO callbacks (delivery_id, task_id, task_status, attempt, url, state, "
				+ "tries, created_at, next_at) VALUES (?, ?, ?, ?, ?, 'PENDING', 0, ?, ?)", rows);
	}

	/** A task's callbacks, oldest first, each with its POSTs. */
	public List<TaskView.CallbackView> callbacksOf(UUID taskId) {
		Map<UUID, List<TaskView.CallbackTry>> tries = new HashMap<>();
		this.jdbc
			.sql("SELECT a.delivery_id, a.try, a.at, a.http_status, a.error FROM callback_attempts a "
					+ "JOIN callbacks c ON c.delivery_id = a.delivery_id WHERE c.task_id = ? ORDER BY a.try")
			.param(taskId)
			.query((rs) -> {
				tries.computeIfAbsent(rs.getObject("delivery_id", UUID.class), (id) -> new ArrayList<>())
					.add(new TaskView.CallbackTry(rs.getInt("try"), instant(rs, "at"),
							rs.getObject("http_status", Integer.class), rs.getString("error")));
			});
		return this.jdbc
			.sql("SELECT delivery_id, task_status, attempt, url, state, next_at, delivered_at FROM callbacks "
					+ "WHERE task_id = ? ORDER BY created_at, delivery_id")
			.param(taskId)
			.query((rs, row) -> {
				UUID id = rs.getObject("delivery_id", UUID.class);
				String state = rs.getString("state");
				return new TaskView.CallbackView(id, TaskStatus.valueOf(rs.getString("task_status")),
						rs.getInt("attempt"), rs.getString("url"), state,
						"PENDING".equals(state) ? instant(rs, "next_at") : null, instant(rs, "delivered_at"),
						tries.getOrDefault(id, List.of()));
			})
			.list();
	}

	/** The ended attempts recorded for a task, in order. */
	public List<AttemptRecord> attemptsOf(UUID taskId) {
		return this.jdbc
			.sql("SELECT task_id, attempt, outcome, worker_id, started_at, finished_at, error_code, error_message, "
					+ "deliveries, duplicates FROM task_attempts WHERE task_id = ? ORDER BY attempt")
			.param(taskId)
			.query((rs, row) -> {
				String code = rs.getString("error_code");
				return new AttemptRecord(rs.getObject("task_id", UUID.class), rs.getInt("attempt"),
						TaskStatus.valueOf(rs.getString("outcome")), rs.getString("worker_id"),
						instant(rs, "started_at"), instant(rs, "finished_at"),
						(code != null) ? new TaskError(code, rs.getString("error_message"), false) : null,
						rs.getInt("deliveries"), rs.getInt("duplicates"));
			})
			.list();
	}

	/**
	 * Locks up to {@code limit} waiting tasks ({@code SCHEDULED}, {@code RETRYING}) whose
	 * due time has come, earliest first; rows another master holds are skipped. Call
	 * inside a transaction.
	 */
	protected List<Task> lockDue(int limit, Instant now) {
		return this.jdbc
			.sql("SELECT " + COLUMNS + " FROM tasks WHERE status IN "
					+ inList(TaskStateMachine.sourcesOf(TaskEvent.DUE))
					+ " AND publish_after <= ? ORDER BY publish_after FETCH FIRST " + limit
					+ " ROWS ONLY FOR UPDATE SKIP LOCKED")
			.param(utc(now))
			.query(TaskStore::task)
			.list();
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

	/**
	 * Since when the task {@code PENDING} the longest has been so (submitted, or made
	 * due); empty when none is. A task that waited for its due time is not late for that.
	 */
	public Optional<Instant> oldestPending() {
		return this.jdbc.sql("SELECT MIN(updated_at) AS oldest FROM tasks WHERE status = 'PENDING'")
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
				instant(rs, "started_at"), instant(rs, "finished_at"), instant(rs, "updated_at"),
				instant(rs, "publish_after"), (Integer) rs.getObject("max_attempts", Integer.class),
				rs.getInt("budget_from"), rs.getObject("timeout_ms", Long.class), instant(rs, "cancel_requested_at"),
				rs.getInt("seq"), rs.getString("callback_url"));
	}

	private static Task summary(ResultSet rs, int row) throws SQLException {
		String errorCode = rs.getString("error_code");
		return new Task(rs.getObject("id", UUID.class), rs.getString("type"),
				TaskStatus.valueOf(rs.getString("status")), rs.getInt("priority"), null, null,
				(errorCode != null) ? new TaskError(errorCode, "", false) : null, rs.getInt("attempt"),
				rs.getInt("deliveries"), rs.getInt("duplicates"), rs.getString("worker_id"), instant(rs, "created_at"),
				instant(rs, "queued_at"), instant(rs, "started_at"), instant(rs, "finished_at"),
				instant(rs, "updated_at"), instant(rs, "publish_after"),
				(Integer) rs.getObject("max_attempts", Integer.class), rs.getInt("budget_from"),
				rs.getObject("timeout_ms", Long.class), instant(rs, "cancel_requested_at"), rs.getInt("seq"),
				rs.getString("callback_url"));
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
	 * @param released whether its worker handed it back unfinished
	 */
	public record NewDelivery(TaskDelivery delivery, String workerId, boolean redelivered, boolean released) {
	}

	private static String inList(Collection<TaskStatus> statuses) {
		return statuses.stream()
			.map((status) -> "'" + status.name() + "'")
			.reduce((a, b) -> a + ", " + b)
			.map((list) -> "(" + list + ")")
			.orElseThrow();
	}

}
