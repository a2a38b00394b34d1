package io.warren.master.task;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

	private final RetryPolicies retries;

	private final Duration confirmTimeout;

	private final int maxDeliveries;

	public TaskTransitions(TaskStore store, WireFormat wire, Clock clock, ApplicationEventPublisher events,
			MasterProperties properties, RetryPolicies retries) {
		this.store = store;
		this.wire = wire;
		this.clock = clock;
		this.events = events;
		this.maxResultBytes = properties.maxResultSize().toBytes();
		this.retries = retries;
		this.confirmTimeout = properties.relay().confirmTimeout();
		this.maxDeliveries = properties.maxDeliveries();
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
		return apply(replies, refused, Set.of());
	}

	/**
	 * As {@link #apply(List, List)}, where the started notices of the deliveries in
	 * {@code asking} asked whether to run them: such a notice for a task that may not
	 * start any more (finished, waiting) is not counted as a delivery, since its worker
	 * will not run it.
	 */
	@Transactional
	public List<Applied> apply(List<? extends Reply> replies, List<RefusedResult> refused, Set<UUID> asking) {
		List<UUID> ids = new ArrayList<>(replies.size() + refused.size());
		replies.forEach((reply) -> ids.add(reply.taskId()));
		refused.forEach((result) -> ids.add(result.taskId()));
		Batch batch = new Batch(ids, true);
		List<Applied> applied = new ArrayList<>(replies.size());
		for (Reply reply : replies) {
			applied.add(batch.apply(reply, asking));
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
				// the update added one to the row's seq, which the published task carries
				changes.add(new TaskChange(task.id(), task.type(), TaskStatus.PENDING, TaskStatus.QUEUED,
						task.createdAt(), null, now, false, task.attempt(), task.seq() + 1, null, null));
			}
		}
		if (!changes.isEmpty()) {
			TasksChanged event = new TasksChanged(changes, Map.of(), Map.of());
			afterCommit(() -> this.events.publishEvent(event));
		}
	}

	/**
	 * Makes up to {@code limit} waiting tasks whose due time has come {@code PENDING} and
	 * returns them, to be published; the relay publishes them again if no confirm is
	 * recorded within the confirm timeout. Rows another master holds are skipped, and so
	 * are the {@code skip} rows (task id to an attempt known to be listed wrongly). Each
	 * row moves by an update that checks its status and attempt again, so a row that the
	 * query lists as waiting but that is not (an index that disagrees with its table) is
	 * never published: it is returned as mismatched.
	 */
	@Transactional
	public Due due(int limit, Map<UUID, Integer> skip) {
		Instant now = this.clock.instant();
		List<Task> candidates = new ArrayList<>(limit);
		List<Task> mismatched = new ArrayList<>();
		for (Task task : this.store.lockDue(limit + skip.size(), now)) {
			if (candidates.size() == limit) {
				break;
			}
			if (Integer.valueOf(task.attempt()).equals(skip.get(task.id()))) {
				continue;
			}
			if (TaskStateMachine.next(task.status(), TaskEvent.DUE).isEmpty()) {
				mismatched.add(task);
			}
			else {
				candidates.add(task);
			}
		}
		Set<TaskAttempt> moved = this.store.markDue(
				candidates.stream().map((task) -> new TaskAttempt(task.id(), task.attempt())).toList(),
				now.plus(this.confirmTimeout), now);
		List<Task> pending = new ArrayList<>(moved.size());
		List<TaskChange> changes = new ArrayList<>(moved.size());
		for (Task task : candidates) {
			if (!moved.contains(new TaskAttempt(task.id(), task.attempt()))) {
				mismatched.add(task);
				continue;
			}
			TaskStatus status = TaskStateMachine.next(task.status(), TaskEvent.DUE).orElseThrow();
			Task next = task.due(status, now.plus(this.confirmTimeout), now).moved();
			pending.add(next);
			changes.add(TaskChange.of(task, next, now, false));
		}
		if (!changes.isEmpty()) {
			TasksChanged event = new TasksChanged(changes, Map.of(), Map.of());
			afterCommit(() -> this.events.publishEvent(event));
		}
		return new Due(pending, mismatched);
	}

	/**
	 * What a pass over the due tasks found.
	 *
	 * @param pending the tasks made {@code PENDING}, to be published
	 * @param mismatched rows the query listed as due whose row says otherwise
	 */
	public record Due(List<Task> pending, List<Task> mismatched) {
	}

	/**
	 * Starts a new attempt of each {@code FAILED} task at once, with a fresh retry
	 * budget, and returns the tasks retried ({@code PENDING}, to be published); a task
	 * that is not {@code FAILED} is left as it is. The ended attempt goes to the history.
	 */
	@Transactional
	public List<Task> retry(Collection<UUID> taskIds) {
		Batch batch = new Batch(taskIds, false);
		List<Task> retried = new ArrayList<>();
		for (UUID id : taskIds) {
			Task task = batch.current.get(id);
			if (task != null) {
				batch.newAttempt(task).ifPresent(retried::add);
			}
		}
		batch.write();
		return retried;
	}

	/**
	 * Retries the {@code FAILED} tasks the filter selects, at most {@code limit} (rows
	 * another transaction holds are skipped), as {@link #retry}.
	 */
	@Transactional
	public List<Task> retrySelected(TaskFilter filter, int limit) {
		return retry(this.store.lockSelected(filter, limit));
	}

	/**
	 * Cancels tasks: one not yet running ({@code PENDING}, {@code SCHEDULED},
	 * {@code QUEUED}, {@code RETRYING}) becomes {@code CANCELLED} now; a {@code RUNNING}
	 * one is marked, and ends {@code CANCELLED} when its worker confirms (or hands it
	 * back, or is lost); a finished one is left as it is. Returns the tasks cancelled or
	 * marked (a running one marked before included), as they are after the call; the
	 * caller broadcasts the cancel to the workers.
	 */
	@Transactional
	public Map<UUID, Task> cancel(Collection<UUID> taskIds) {
		Batch batch = new Batch(taskIds, false);
		Map<UUID, Task> cancelled = new LinkedHashMap<>();
		for (UUID id : taskIds) {
			Task task = batch.current.get(id);
			if (task != null && !task.status().isTerminal()) {
				batch.cancel(task);
				cancelled.put(id, batch.current.get(id));
			}
		}
		batch.write();
		return cancelled;
	}

	/**
	 * Cancels the unfinished tasks the filter selects, at most {@code limit} (rows
	 * another transaction holds are skipped, and so are running tasks whose cancel was
	 * asked for before), as {@link #cancel}; returns those cancelled or marked. A filter
	 * without a status selects every unfinished status.
	 */
	@Transactional
	public List<Task> cancelSelected(TaskFilter filter, int limit) {
		List<UUID> ids = new ArrayList<>();
		List<TaskStatus> statuses = (filter.status() != null) ? List.of(filter.status()) : TaskStatus.active();
		for (TaskStatus status : statuses) {
			if (ids.size() < limit && !status.isTerminal()) {
				ids.addAll(this.store.lockSelected(
						new TaskFilter(status, filter.type(), filter.errorCode(), filter.since(), filter.until()),
						limit - ids.size(), true));
			}
		}
		return List.copyOf(cancel(ids).values());
	}

	/**
	 * Ends the current attempt of {@code RUNNING} tasks whose worker was lost: failed
	 * {@code WORKER_LOST}, retryable (so retried as the policy allows), or
	 * {@code CANCELLED} if a cancel was waiting. Only a task still {@code RUNNING} on the
	 * given worker at the given attempt moves. Returns the tasks that moved.
	 */
	@Transactional
	public List<Task> workerLost(Map<UUID, TaskAttempt> attempts, Map<UUID, String> workers) {
		Batch batch = new Batch(attempts.keySet(), false);
		List<Task> moved = new ArrayList<>();
		for (Map.Entry<UUID, TaskAttempt> entry : attempts.entrySet()) {
			Task task = batch.current.get(entry.getKey());
			if (task != null && task.status() == TaskStatus.RUNNING && task.attempt() == entry.getValue().attempt()
					&& workers.get(task.id()).equals(task.workerId())) {
				moved.add(batch.lost(task));
			}
		}
		batch.write();
		return moved;
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

		/** The seen deliveries whose worker handed them back unfinished. */
		private final Set<TaskStore.TaskDelivery> released;

		private final List<TaskStore.TaskDelivery> newlyReleased = new ArrayList<>();

		private final List<TaskStore.NewDelivery> newDeliveries = new ArrayList<>();

		private final List<AttemptRecord> endedAttempts = new ArrayList<>();

		private final List<TaskChange> changes = new ArrayList<>();

		private final Map<String, Integer> duplicates = new HashMap<>();

		private final Map<String, Integer> stale = new HashMap<>();

		private final Map<String, Integer> timedOut = new HashMap<>();

		Batch(Collection<UUID> taskIds, boolean withDeliveries) {
			this.before = TaskTransitions.this.store.lockAll(taskIds);
			this.current = new LinkedHashMap<>(this.before);
			Map<TaskStore.TaskDelivery, Boolean> recorded = withDeliveries
					? TaskTransitions.this.store.deliveriesOf(this.before.keySet()) : Map.of();
			this.seen = new HashSet<>(recorded.keySet());
			this.released = new HashSet<>();
			recorded.forEach((delivery, released) -> {
				if (released) {
					this.released.add(delivery);
				}
			});
		}

		Applied apply(Reply reply, Set<UUID> asking) {
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
			if (reply instanceof StartedNotice notice && isNew(task, notice)) {
				if (unreleased(task) >= TaskTransitions.this.maxDeliveries && !task.status().isTerminal()) {
					poison(task, notice);
					return Applied.POISONED;
				}
				if (task.status() == TaskStatus.CANCELLED || cancelWaits(task)) {
					if (!asking.contains(notice.deliveryId())) {
						// it started: an execution, which its worker is told to stop
						this.current.put(task.id(), countDelivery(task, reply));
					}
					return Applied.CANCELLED;
				}
				if (asking.contains(notice.deliveryId())
						&& TaskStateMachine.next(task.status(), TaskEvent.STARTED).isEmpty()) {
					// its worker is told not to run it: not an execution
					return Applied.REFUSED;
				}
			}
			Task counted = countDelivery(task, reply);
			if (reply instanceof ReleasedNotice notice) {
				markReleased(task, notice);
			}
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
			if (next == null) {
				this.current.put(task.id(), counted);
				return Applied.REFUSED;
			}
			log.debug("task {} {} -> {} by {}", task.id(), task.status(), next.status(), reply.workerId());
			move(task, next, task.attempt() == 1 && task.startedAt() == null && next.startedAt() != null);
			return Applied.APPLIED;
		}

		/**
		 * Records the move of {@code task} to {@code next} (derived from it): one more in
		 * its sequence, announced after commit.
		 */
		private Task move(Task task, Task next, boolean firstStart) {
			Task moved = next.moved();
			this.current.put(task.id(), moved);
			this.changes.add(TaskChange.of(task, moved, this.now, firstStart));
			return moved;
		}

		/**
		 * Deliveries of the task's current attempt that started and were not handed back:
		 * each either reported, or died with its worker.
		 */
		private long unreleased(Task task) {
			return this.seen.stream()
				.filter((delivery) -> delivery.taskId().equals(task.id()) && delivery.attempt() == task.attempt()
						&& !this.released.contains(delivery))
				.count();
		}

		/**
		 * Records that the worker handed the delivery back unfinished, once, whatever the
		 * state machine does with the notice (a release applied after another worker's
		 * start moves nothing, but its delivery was no death).
		 */
		private void markReleased(Task task, ReleasedNotice notice) {
			TaskStore.TaskDelivery delivery = new TaskStore.TaskDelivery(task.id(), task.attempt(),
					notice.deliveryId());
			if (!this.released.add(delivery)) {
				return;
			}
			for (int i = 0; i < this.newDeliveries.size(); i++) {
				TaskStore.NewDelivery added = this.newDeliveries.get(i);
				if (added.delivery().equals(delivery)) {
					this.newDeliveries.set(i,
							new TaskStore.NewDelivery(delivery, added.workerId(), added.redelivered(), true));
					return;
				}
			}
			this.newlyReleased.add(delivery);
		}

		private boolean isNew(Task task, StartedNotice notice) {
			return !this.seen.contains(new TaskStore.TaskDelivery(task.id(), task.attempt(), notice.deliveryId()));
		}

		/**
		 * Another delivery of an attempt whose deliveries all started and never reported:
		 * the task ends {@code FAILED}, {@code POISONED}, not retried.
		 */
		private void poison(Task task, StartedNotice notice) {
			long started = unreleased(task);
			log.warn(
					"task {} POISONED: attempt {} started {} times without a result (its workers died running it); "
							+ "delivery {} on worker {} not counted",
					task.id(), task.attempt(), started, notice.deliveryId(), abbreviated(notice.workerId()));
			fail(task, ReplyChecks.POISONED,
					"attempt " + task.attempt() + " started " + started
							+ " times and never reported: its workers died running it (warren.master.max-deliveries: "
							+ TaskTransitions.this.maxDeliveries + ")");
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
				move(task, next, false);
			});
		}

		/**
		 * A new attempt of a {@code FAILED} task, {@code PENDING} now with a fresh retry
		 * budget; empty if the task is not {@code FAILED}.
		 */
		Optional<Task> newAttempt(Task task) {
			return TaskStateMachine.next(task.status(), TaskEvent.NEW_ATTEMPT).map((status) -> {
				Task next = task.nextAttempt(status, this.now.plus(TaskTransitions.this.confirmTimeout), true,
						this.now);
				this.endedAttempts.add(AttemptRecord.of(task, task.status()));
				log.info("task {} retried by hand: attempt {}", task.id(), next.attempt());
				return move(task, next, false);
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
				log.warn("task {} FAILED: its message was dead-lettered ({})", taskId, error.message());
				move(task, next, false);
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
			if (!this.newlyReleased.isEmpty()) {
				TaskTransitions.this.store.markReleased(this.newlyReleased);
			}
			if (!this.endedAttempts.isEmpty()) {
				TaskTransitions.this.store.insertAttempts(this.endedAttempts);
			}
			if (!changed.isEmpty()) {
				TaskTransitions.this.store.updateAll(changed, this.now);
			}
			List<TaskChange> called = new ArrayList<>();
			Map<UUID, String> urls = new HashMap<>();
			for (TaskChange change : this.changes) {
				String url = this.current.get(change.taskId()).callbackUrl();
				if (change.to().isTerminal() && url != null) {
					called.add(change);
					urls.put(change.taskId(), url);
				}
			}
			if (!called.isEmpty()) {
				TaskTransitions.this.store.insertCallbacks(called, urls, this.now);
			}
			TasksChanged event = new TasksChanged(this.changes, this.duplicates, this.stale, this.timedOut);
			if (!event.isEmpty()) {
				afterCommit(() -> TaskTransitions.this.events.publishEvent(event));
			}
		}

		private Task countDelivery(Task task, Reply reply) {
			TaskStore.TaskDelivery delivery = new TaskStore.TaskDelivery(task.id(), task.attempt(), reply.deliveryId());
			if (!this.seen.add(delivery)) {
				return task;
			}
			this.newDeliveries.add(new TaskStore.NewDelivery(delivery, reply.workerId(), reply.redelivered(), false));
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
			if (cancelWaits(task)) {
				// no need to run it elsewhere
				return cancelled(task, null, null, this.now);
			}
			return TaskStateMachine.next(task.status(), TaskEvent.RELEASED).map(task::released).orElse(null);
		}

		private Task finish(Task task, TaskResult result) {
			String value = null;
			TaskError error = ReplyChecks.storable(result.error());
			if (error != null && TaskError.TIMED_OUT.equals(error.code())) {
				this.timedOut.merge(task.type(), 1, Integer::sum);
			}
			if (cancelWaits(task) && result.outcome() == Outcome.FAILED) {
				return cancelled(task, result.workerId(), result.startedAt(), result.finishedAt());
			}
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
			if (value == null) {
				Instant due = TaskTransitions.this.retries.nextAttemptDue(task, error, this.now);
				if (due != null) {
					return retryLater(task, result, error, due);
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

		/**
		 * A retryable failure with attempts left: the attempt goes to the history and the
		 * next one waits, {@code RETRYING}, until {@code due}.
		 */
		private Task retryLater(Task task, TaskResult result, TaskError error, Instant due) {
			return TaskStateMachine.next(task.status(), TaskEvent.RETRY).map((status) -> {
				Task ended = task.finished(TaskStatus.FAILED, null, error, result.workerId(), result.startedAt(),
						result.finishedAt());
				this.endedAttempts.add(AttemptRecord.of(ended, TaskStatus.FAILED));
				log.debug("task {} attempt {} failed ({}); attempt {} due at {}", task.id(), task.attempt(),
						error.code(), task.attempt() + 1, due);
				return ended.nextAttempt(status, due, false, this.now);
			}).orElse(null);
		}

		/**
		 * Cancels a task not running now, or marks a running one (its worker is told);
		 * leaves a finished one.
		 */
		void cancel(Task task) {
			if (task.status() == TaskStatus.RUNNING) {
				if (task.cancelRequestedAt() == null) {
					log.info("task {} cancel asked for while it runs on worker {}", task.id(), task.workerId());
					this.current.put(task.id(), task.cancelRequested(this.now));
				}
				return;
			}
			if (TaskStateMachine.next(task.status(), TaskEvent.CANCEL).isPresent()) {
				log.info("task {} CANCELLED while {}", task.id(), task.status());
				move(task, cancelled(task, null, null, this.now), false);
			}
		}

		/**
		 * Whether a cancel asked for while the task ran still waits: the task is not
		 * finished (a late reply of a task that ended, cancelled or not, changes
		 * nothing).
		 */
		private static boolean cancelWaits(Task task) {
			return task.cancelRequestedAt() != null && !task.status().isTerminal();
		}

		/**
		 * The task {@code CANCELLED}, from any unfinished status (the caller records the
		 * move); the error says when it was cancelled.
		 */
		private Task cancelled(Task task, String worker, Instant started, Instant finished) {
			TaskStatus status = TaskStateMachine.next(task.status(), TaskEvent.CANCEL).orElseThrow();
			String message = (task.status() == TaskStatus.RUNNING) ? "cancelled while it ran"
					: "cancelled while " + task.status();
			return task.finished(status, null, new TaskError(TaskError.CANCELLED, message, false), worker, started,
					finished);
		}

		/**
		 * A running task whose worker is lost: cancelled if a cancel waited, else its
		 * attempt fails {@code WORKER_LOST}, retried as the policy allows.
		 */
		Task lost(Task task) {
			Task next;
			if (cancelWaits(task)) {
				next = cancelled(task, null, null, this.now);
			}
			else {
				TaskError error = new TaskError(TaskError.WORKER_LOST, "worker " + abbreviated(task.workerId())
						+ " was lost while it ran the task (no heartbeat), and no other worker took it", true);
				Instant due = TaskTransitions.this.retries.nextAttemptDue(task, error, this.now);
				if (due != null) {
					Task ended = task.finished(TaskStatus.FAILED, null, error, null, null, this.now);
					this.endedAttempts.add(AttemptRecord.of(ended, TaskStatus.FAILED));
					next = ended.nextAttempt(TaskStatus.RETRYING, due, false, this.now);
				}
				else {
					next = task.finished(TaskStatus.FAILED, null, error, null, null, this.now);
				}
			}
			log.warn("task {} attempt {} on lost worker {}: {}", task.id(), task.attempt(),
					abbreviated(task.workerId()), next.status());
			return move(task, next, false);
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
