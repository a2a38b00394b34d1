package io.warren.master.reply;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.warren.master.task.Task;
import io.warren.master.task.TaskEvent;
import io.warren.master.task.TaskStateMachine;
import io.warren.master.task.TaskStatus;
import io.warren.master.task.TaskStore;
import io.warren.protocol.Outcome;
import io.warren.protocol.ReleasedNotice;
import io.warren.protocol.Reply;
import io.warren.protocol.StartedNotice;
import io.warren.protocol.TaskError;
import io.warren.protocol.TaskResult;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Applies started notices, results and dead letters to task records, with the task's row
 * locked. Fenced by attempt: a reply for another attempt is stale and changes nothing.
 * Each distinct delivery of the current attempt is recorded once, so a second delivery is
 * a counted duplicate, while the same reply received twice changes nothing.
 */
@Component
class ReplyApplier {

	private static final Logger log = LoggerFactory.getLogger(ReplyApplier.class);

	private final TaskStore store;

	private final WireFormat wire;

	private final Clock clock;

	private final MeterRegistry meters;

	ReplyApplier(TaskStore store, WireFormat wire, Clock clock, MeterRegistry meters) {
		this.store = store;
		this.wire = wire;
		this.clock = clock;
		this.meters = meters;
		for (String kind : new String[] { "started", "result", "released", "dead-letter" }) {
			meters.counter("warren.replies.stale", "kind", kind);
		}
	}

	@Transactional
	public Applied apply(Reply reply) {
		Optional<Task> locked = this.store.lock(reply.taskId());
		if (locked.isEmpty()) {
			return Applied.UNKNOWN_TASK;
		}
		Task task = locked.get();
		String kind = (reply instanceof StartedNotice) ? "started"
				: (reply instanceof TaskResult) ? "result" : "released";
		if (reply.attempt() != task.attempt()) {
			log.debug("task {} stale {} for attempt {} (current {})", task.id(), kind, reply.attempt(), task.attempt());
			this.meters.counter("warren.replies.stale", "kind", kind).increment();
			return Applied.STALE;
		}
		Instant now = this.clock.instant();
		Task counted = countDelivery(task, reply, now);
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
		Applied applied = (next != null) ? Applied.APPLIED : Applied.REFUSED;
		Task toStore = (next != null) ? next : counted;
		if (!toStore.equals(task)) {
			this.store.update(toStore, now);
		}
		if (applied == Applied.APPLIED) {
			log.debug("task {} {} -> {} by {}", task.id(), task.status(), toStore.status(), reply.workerId());
			if (task.startedAt() == null && toStore.startedAt() != null) {
				afterCommit(
						() -> time("warren.tasks.queue-wait", "Time from submission until a worker started the task",
								task.type(), Duration.between(task.createdAt(), toStore.startedAt())));
			}
			if (toStore.status().isTerminal()) {
				afterCommit(() -> {
					this.meters
						.counter("warren.tasks.completed", "type", task.type(), "outcome", toStore.status().name())
						.increment();
					time("warren.tasks.end-to-end", "Time from submission until the result was recorded", task.type(),
							Duration.between(task.createdAt(), now));
				});
			}
		}
		return applied;
	}

	@Transactional
	public Applied deadLettered(UUID taskId, Integer attempt, TaskError error) {
		Optional<Task> locked = this.store.lock(taskId);
		if (locked.isEmpty()) {
			return Applied.UNKNOWN_TASK;
		}
		Task task = locked.get();
		if (attempt != null && attempt != task.attempt()) {
			this.meters.counter("warren.replies.stale", "kind", "dead-letter").increment();
			return Applied.STALE;
		}
		Optional<TaskStatus> next = TaskStateMachine.next(task.status(), TaskEvent.DEAD_LETTERED);
		if (next.isEmpty()) {
			return Applied.REFUSED;
		}
		Instant now = this.clock.instant();
		this.store.update(task.finished(next.get(), null, error, null, null, now), now);
		log.warn("task {} FAILED: its message was dead-lettered ({})", task.id(), error.message());
		afterCommit(
				() -> this.meters.counter("warren.tasks.completed", "type", task.type(), "outcome", next.get().name())
					.increment());
		return Applied.APPLIED;
	}

	/**
	 * Meters move only with what was committed: a reply whose transaction rolls back is
	 * handed back to the broker and applied again, and must not count twice.
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

	private void time(String name, String description, String type, Duration duration) {
		// a worker's clock may run behind the master's
		Duration measured = duration.isNegative() ? Duration.ZERO : duration;
		Timer.builder(name)
			.description(description)
			.tag("type", type)
			.publishPercentileHistogram()
			.register(this.meters)
			.record(measured);
	}

	private Task countDelivery(Task task, Reply reply, Instant now) {
		boolean first = this.store.recordDelivery(task.id(), task.attempt(), reply.deliveryId(), reply.workerId(),
				reply.redelivered(), now);
		if (!first) {
			return task;
		}
		int deliveries = task.deliveries() + 1;
		if (deliveries == 1) {
			// registered at zero, so that the series exists before the first duplicate
			this.meters.counter("warren.tasks.duplicates", "type", task.type());
			return task.withCounts(deliveries, task.duplicates());
		}
		log.info("task {} duplicate delivery {} of attempt {} on worker {} (deliveries: {})", task.id(),
				reply.deliveryId(), task.attempt(), reply.workerId(), deliveries);
		afterCommit(() -> this.meters.counter("warren.tasks.duplicates", "type", task.type()).increment());
		return task.withCounts(deliveries, task.duplicates() + 1);
	}

	private Task start(Task task, StartedNotice notice) {
		return TaskStateMachine.next(task.status(), TaskEvent.STARTED)
			.map((status) -> task.started(status, notice.workerId(), notice.startedAt()))
			.orElse(null);
	}

	/**
	 * Only from the worker that holds the task: once another worker's started notice is
	 * applied, a late release from the stopping worker changes nothing.
	 */
	private Task release(Task task, ReleasedNotice notice) {
		if (!notice.workerId().equals(task.workerId())) {
			return null;
		}
		return TaskStateMachine.next(task.status(), TaskEvent.RELEASED).map(task::released).orElse(null);
	}

	private Task finish(Task task, TaskResult result) {
		TaskEvent event = (result.outcome() == Outcome.SUCCEEDED) ? TaskEvent.SUCCEEDED : TaskEvent.FAILED;
		return TaskStateMachine.next(task.status(), event).map((status) -> {
			String value = (result.outcome() == Outcome.SUCCEEDED)
					? this.wire.json().writeValueAsString(result.result()) : null;
			return task.finished(status, value, result.error(), result.workerId(), result.startedAt(),
					result.finishedAt());
		}).orElse(null);
	}

}
