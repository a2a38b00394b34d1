package io.warren.master.task;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import io.warren.master.config.MasterProperties;
import io.warren.protocol.Outcome;
import io.warren.protocol.ReleasedNotice;
import io.warren.protocol.Reply;
import io.warren.protocol.StartedNotice;
import io.warren.protocol.TaskError;
import io.warren.protocol.TaskResult;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The one place that carries out a task's moves after submission. A batch of replies (or
 * a dead letter) is applied in one transaction: the tasks' rows are locked in id order,
 * each reply is applied in memory in the order given, fenced by attempt, its delivery
 * counted once, its move judged by {@link TaskStateMachine}; then each changed row is
 * written once (a started notice and the result of the same delivery cost one write) and
 * new deliveries are inserted in one batch. After the commit, what changed is announced
 * as a {@link TasksChanged} event; meters listen to it.
 */
@Component
public class TaskTransitions {

	/**
	 * How many times a task message that reached the delivery limit without being started
	 * is published again before its task fails: a message that kills its workers before
	 * they can send a started notice must not go round for ever.
	 */
	public static final int MAX_REPUBLISHED = 3;

	private static final Logger log = LoggerFactory.getLogger(TaskTransitions.class);

	private final TaskStore store;

	private final WireFormat wire;

	private final Clock clock;

	private final ApplicationEventPublisher events;

	private final long maxResultBytes;

	public TaskTransitions(TaskStore store, WireFormat wire, Clock clock, ApplicationEventPublisher events,
			MasterProperties properties) {
		this.store = store;
		this.wire = wire;
		this.clock = clock;
		this.events = events;
		this.maxResultBytes = properties.maxResultSize().toBytes();
	}

	/** Applies replies in one transaction; returns what each did, in the order given. */
	@Transactional
	public List<Applied> apply(List<? extends Reply> replies) {
		return apply(replies, List.of());
	}

	/**
	 * Applies replies and fails the tasks of refused results in one transaction; returns
	 * what each reply did, in the order given. A result that could not be decoded is
	 * refused (its worker acked the task message, so nothing else will come): its task
	 * fails with {@link ReplyChecks#REPLY_REFUSED} if the attempt is current and not
	 * finished.
	 */
	@Transactional
	public List<Applied> apply(List<? extends Reply> replies, List<RefusedResult> refused) {
		List<UUID> ids = new ArrayList<>(replies.size() + refused.size());
		replies.forEach((reply) -> ids.add(reply.taskId()));
		refused.forEach((result) -> ids.add(result.taskId()));
		Batch batch = new Batch(ids, true);
		List<Applied> applied = new ArrayList<>(replies.size());
		for (Reply reply : replies) {
			applied.add(batch.apply(reply));
		}
		for (RefusedResult result : refused) {
			batch.refuse(result);
		}
		batch.write();
		return applied;
	}

	/**
	 * Whether the store answers a trivial query now: tells a failure of what was applied
	 * from the store being down.
	 */
	public boolean storeReachable() {
		return this.store.reachable();
	}

	/**
	 * Moves tasks whose message the broker confirmed to {@code QUEUED}, where the state
	 * machine allows it (one set-based conditional update; a confirm that comes after a
	 * started notice or a result changes nothing), and announces the moves made.
	 */
	@Transactional
	public void confirmed(List<Task> published) {
		Instant now = this.clock.instant();
		Set<TaskAttempt> moved = this.store
			.markConfirmed(published.stream().map((task) -> new TaskAttempt(task.id(), task.attempt())).toList(), now);
		List<TaskChange> changes = new ArrayList<>();
		for (Task task : published) {
			if (moved.contains(new TaskAttempt(task.id(), task.attempt()))) {
				changes.add(new TaskChange(task.id(), task.type(), TaskStatus.PENDING, TaskStatus.QUEUED,
						task.createdAt(), null, now, false));
			}
		}
		if (!changes.isEmpty()) {
			TasksChanged event = new TasksChanged(changes, Map.of(), Map.of());
			afterCommit(() -> this.events.publishEvent(event));
		}
	}

	/** Fails the task whose message was dead-lettered, if that attempt is current. */
	@Transactional
	public Applied deadLettered(UUID taskId, Integer attempt, TaskError error) {
		Batch batch = new Batch(List.of(taskId), false);
		Applied applied = batch.deadLettered(taskId, attempt, error);
		batch.write();
		return applied;
	}

	/**
	 * The broker dead-lettered the task's message at the queue's delivery limit. The
	 * broker counts every delivery, also those that only waited in the prefetch of a
	 * worker that stopped or died without starting them: for a {@code QUEUED} task that
	 * no worker ever started in this attempt, nothing changes and
	 * {@link Applied#NEVER_STARTED} tells the caller to publish the message again, if
	 * {@code mayPublishAgain}; a {@code PENDING} one is left to the relay. A task that
	 * started is failed as any dead letter.
	 */
	@Transactional
	public Applied deliveryLimitReached(UUID taskId, Integer attempt, TaskError error, boolean mayPublishAgain) {
		Batch batch = new Batch(List.of(taskId), true);
		Task task = batch.current.get(taskId);
		if (task != null && (attempt == null || attempt == task.attempt()) && !batch.started(task)) {
			if (task.status() == TaskStatus.QUEUED && mayPublishAgain) {
				return Applied.NEVER_STARTED;
			}
			if (task.status() == TaskStatus.PENDING) {
				// another message of the attempt, or this dead letter again: the relay
				// publishes a PENDING task
				return Applied.REFUSED;
			}
		}
		Applied applied = batch.deadLettered(taskId, attempt, error);
		batch.write();
		return applied;
	}

	/**
	 * The moves and counts of one transaction, applied to the locked tasks in memory and
	 * written once at the end.
	 */
	private final class Batch {

		private final Instant now = TaskTransitions.this.clock.instant();

		private final Map<UUID, Task> before;

		private final Map<UUID, Task> current;

		private final Set<TaskStore.TaskDelivery> seen;

		private final List<TaskStore.NewDelivery> newDeliveries = new ArrayList<>();

		private final List<TaskChange> changes = new ArrayList<>();

		private final Map<String, Integer> duplicates = new HashMap<>();

		private final Map<String, Integer> stale = new HashMap<>();

		Batch(Collection<UUID> taskIds, boolean withDeliveries) {
			this.before = TaskTransitions.this.store.lockAll(taskIds);
			this.current = new LinkedHashMap<>(this.before);
			this.seen = withDeliveries ? TaskTransitions.this.store.deliveriesOf(this.before.keySet()) : Set.of();
		}

		Applied apply(Reply reply) {
			Task task = this.current.get(reply.taskId());
			if (task == null) {
				return Applied.UNKNOWN_TASK;
			}
			String kind = (reply instanceof StartedNotice) ? "started"
					: (reply instanceof TaskResult) ? "result" : "released";
			if (reply.attempt() != task.attempt()) {
				log.debug("task {} stale {} for attempt {} (current {})", task.id(), kind, reply.attempt(),
						task.attempt());
				this.stale.merge(kind, 1, Integer::sum);
				return Applied.STALE;
			}
			String problem = invalid(reply, task);
			if (problem != null) {
				log.warn("task {} {} from worker {} refused: {}", task.id(), kind, abbreviated(reply.workerId()),
						problem);
				if (reply instanceof TaskResult) {
					fail(task, ReplyChecks.REPLY_REFUSED, "the worker's result was refused: " + problem);
				}
				return Applied.INVALID;
			}
			Task counted = countDelivery(task, reply);
			Task next;
			if (reply instanceof StartedNotice notice) {
				next = start(counted, notice);
			}
			else if (reply instanceof TaskResult result) {
				next = finish(counted, result);
			}
			else {
				next = release(counted, (ReleasedNotice) reply);
			}
			this.current.put(task.id(), (next != null) ? next : counted);
			if (next == null) {
				return Applied.REFUSED;
			}
			log.debug("task {} {} -> {} by {}", task.id(), task.status(), next.status(), reply.workerId());
			this.changes.add(new TaskChange(task.id(), task.type(), task.status(), next.status(), task.createdAt(),
					next.startedAt(), this.now, task.startedAt() == null && next.startedAt() != null));
			return Applied.APPLIED;
		}

		/** A refused result of the task's current attempt fails it. */
		void refuse(RefusedResult result) {
			Task task = this.current.get(result.taskId());
			if (task == null || task.attempt() != result.attempt()) {
				return;
			}
			log.warn("task {} result refused: {}", task.id(), result.reason());
			fail(task, ReplyChecks.REPLY_REFUSED, "the worker's result was refused: " + result.reason());
		}

		private void fail(Task task, String code, String message) {
			TaskStateMachine.next(task.status(), TaskEvent.FAILED).ifPresent((status) -> {
				Task next = task.finished(status, null, ReplyChecks.storable(new TaskError(code, message, false)), null,
						null, this.now);
				this.current.put(task.id(), next);
				this.changes.add(new TaskChange(task.id(), task.type(), task.status(), status, task.createdAt(),
						next.startedAt(), this.now, false));
			});
		}

		/** Whether a started notice of the task's current attempt was recorded. */
		boolean started(Task task) {
			return this.seen.stream()
				.anyMatch((delivery) -> delivery.taskId().equals(task.id()) && delivery.attempt() == task.attempt());
		}

		Applied deadLettered(UUID taskId, Integer attempt, TaskError error) {
			Task task = this.current.get(taskId);
			if (task == null) {
				return Applied.UNKNOWN_TASK;
			}
			if (attempt != null && attempt != task.attempt()) {
				this.stale.merge("dead-letter", 1, Integer::sum);
				return Applied.STALE;
			}
			return TaskStateMachine.next(task.status(), TaskEvent.DEAD_LETTERED).map((status) -> {
				Task next = task.finished(status, null, ReplyChecks.storable(error), null, null, this.now);
				this.current.put(taskId, next);
				log.warn("task {} FAILED: its message was dead-lettered ({})", taskId, error.message());
				this.changes.add(new TaskChange(taskId, task.type(), task.status(), status, task.createdAt(),
						next.startedAt(), this.now, false));
				return Applied.APPLIED;
			}).orElse(Applied.REFUSED);
		}

		/**
		 * Writes each changed row once and the new deliveries, then announces after
		 * commit.
		 */
		void write() {
			List<Task> changed = new ArrayList<>();
			this.current.forEach((id, task) -> {
				if (!task.equals(this.before.get(id))) {
					changed.add(task);
				}
			});
			if (!this.newDeliveries.isEmpty()) {
				TaskTransitions.this.store.insertDeliveries(this.newDeliveries, this.now);
			}
			if (!changed.isEmpty()) {
				TaskTransitions.this.store.updateAll(changed, this.now);
			}
			TasksChanged event = new TasksChanged(this.changes, this.duplicates, this.stale);
			if (!event.isEmpty()) {
				afterCommit(() -> TaskTransitions.this.events.publishEvent(event));
			}
		}

		private Task countDelivery(Task task, Reply reply) {
			TaskStore.TaskDelivery delivery = new TaskStore.TaskDelivery(task.id(), task.attempt(), reply.deliveryId());
			if (!this.seen.add(delivery)) {
				return task;
			}
			this.newDeliveries.add(new TaskStore.NewDelivery(delivery, reply.workerId(), reply.redelivered()));
			int deliveries = task.deliveries() + 1;
			if (deliveries == 1) {
				return task.withCounts(deliveries, task.duplicates());
			}
			log.info("task {} duplicate delivery {} of attempt {} on worker {} (deliveries: {})", task.id(),
					reply.deliveryId(), task.attempt(), reply.workerId(), deliveries);
			this.duplicates.merge(task.type(), 1, Integer::sum);
			return task.withCounts(deliveries, task.duplicates() + 1);
		}

		private Task start(Task task, StartedNotice notice) {
			return TaskStateMachine.next(task.status(), TaskEvent.STARTED)
				.map((status) -> task.started(status, notice.workerId(), notice.startedAt()))
				.orElse(null);
		}

		/**
		 * Only from the worker that holds the task: once another worker's started notice
		 * is applied, a late release from the stopping worker changes nothing.
		 */
		private Task release(Task task, ReleasedNotice notice) {
			if (!notice.workerId().equals(task.workerId())) {
				return null;
			}
			return TaskStateMachine.next(task.status(), TaskEvent.RELEASED).map(task::released).orElse(null);
		}

		private Task finish(Task task, TaskResult result) {
			String value = null;
			TaskError error = ReplyChecks.storable(result.error());
			if (result.outcome() == Outcome.SUCCEEDED) {
				value = TaskTransitions.this.wire.json().writeValueAsString(result.result());
				if (ReplyChecks.tooLarge(value, TaskTransitions.this.maxResultBytes)) {
					error = new TaskError(ReplyChecks.RESULT_TOO_LARGE,
							"the result's JSON is larger than this master stores (warren.master.max-result-size: "
									+ TaskTransitions.this.maxResultBytes + " bytes)",
							false);
					value = null;
				}
			}
			TaskEvent event = (value != null) ? TaskEvent.SUCCEEDED : TaskEvent.FAILED;
			String stored = value;
			TaskError failure = error;
			return TaskStateMachine.next(task.status(), event)
				.map((status) -> task.finished(status, stored, failure, result.workerId(), result.startedAt(),
						result.finishedAt()))
				.orElse(null);
		}

		/** Why the reply cannot be applied to the task, or {@code null}. */
		private static String invalid(Reply reply, Task task) {
			String problem = ReplyChecks.problem(reply);
			if (problem == null && !reply.type().equals(task.type())) {
				problem = "its type " + reply.type() + " is not the task's type " + task.type();
			}
			return problem;
		}

		private static String abbreviated(String text) {
			return (text.length() > 80) ? text.substring(0, 80) + "..." : text;
		}

	}

	/**
	 * Announcements go out only with what was committed: a batch whose transaction rolls
	 * back is handed back to the broker and applied again, and must not count twice.
	 */
	private static void afterCommit(Runnable action) {
		if (!TransactionSynchronizationManager.isSynchronizationActive()) {
			action.run();
			return;
		}
		TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
			@Override
			public void afterCommit() {
				action.run();
			}
		});
	}

}
