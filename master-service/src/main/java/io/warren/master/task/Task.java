package io.warren.master.task;

import java.time.Instant;
import java.util.UUID;

import io.warren.protocol.TaskError;

/**
 * The durable record of a task, as stored.
 *
 * @param id time-ordered id chosen by the master
 * @param type the task type
 * @param status where it stands
 * @param priority 0-9
 * @param payload the submitted JSON, as text
 * @param result the handler's JSON result, as text, once it succeeded
 * @param error why it failed, once it failed (for a {@code RETRYING} task: why the last
 * attempt failed)
 * @param attempt the current attempt number, from 1
 * @param deliveries distinct deliveries reported for the current attempt
 * @param duplicates deliveries beyond the first for the current attempt
 * @param workerId the worker that reported last
 * @param createdAt when it was submitted
 * @param queuedAt when the broker confirmed it
 * @param startedAt when a worker started it
 * @param finishedAt when the handler of the terminal result ended (or the dead letter was
 * applied)
 * @param updatedAt when the master last changed the record; for a finished task, when its
 * result was recorded
 * @param dueAt when a waiting task ({@code SCHEDULED}, {@code RETRYING}) is published;
 * for another task, when the relay may publish it again if it is still {@code PENDING};
 * {@code null} when not read
 * @param maxAttempts the task's own retry limit, or {@code null} for its type's policy
 * @param budgetFrom the first attempt of the current retry budget (a manual retry starts
 * a fresh budget)
 * @param timeoutMs how long one run may take, from the submission or the type's master
 * settings; {@code null} leaves it to the worker
 * @param cancelRequestedAt when a cancel was asked for while the task ran, or
 * {@code null}
 * @param seq the number of the task's last status move: 1 when submitted, one more for
 * each move; orders its status events across threads and masters
 * @param callbackUrl where the master POSTs the record when the task ends, or
 * {@code null}
 */
public record Task(UUID id, String type, TaskStatus status, int priority, String payload, String result,
		TaskError error, int attempt, int deliveries, int duplicates, String workerId, Instant createdAt,
		Instant queuedAt, Instant startedAt, Instant finishedAt, Instant updatedAt, Instant dueAt, Integer maxAttempts,
		int budgetFrom, Long timeoutMs, Instant cancelRequestedAt, int seq, String callbackUrl) {

	/** A new task, {@code PENDING} at attempt 1. */
	public static Task submitted(UUID id, String type, int priority, String payload, Instant now) {
		return submitted(id, type, priority, payload, now, null, null);
	}

	/** A new task at attempt 1, as below, without a timeout of its own. */
	public static Task submitted(UUID id, String type, int priority, String payload, Instant now, Instant runAt,
			Integer maxAttempts) {
		return submitted(id, type, priority, payload, now, runAt, maxAttempts, null, null);
	}

	/**
	 * A new task at attempt 1: {@code SCHEDULED} if {@code runAt} is later than
	 * {@code now}, else {@code PENDING}; with its own retry limit, timeout and callback
	 * URL, or {@code null}.
	 */
	public static Task submitted(UUID id, String type, int priority, String payload, Instant now, Instant runAt,
			Integer maxAttempts, Long timeoutMs, String callbackUrl) {
		boolean later = runAt != null && runAt.isAfter(now);
		return new Task(id, type, later ? TaskStatus.SCHEDULED : TaskStatus.PENDING, priority, payload, null, null, 1,
				0, 0, null, now, null, null, null, now, later ? runAt : null, maxAttempts, 1, timeoutMs, null, 1,
				callbackUrl);
	}

	/** The same task, with a cancel asked for at {@code now} while it runs. */
	public Task cancelRequested(Instant now) {
		return new Task(this.id, this.type, this.status, this.priority, this.payload, this.result, this.error,
				this.attempt, this.deliveries, this.duplicates, this.workerId, this.createdAt, this.queuedAt,
				this.startedAt, this.finishedAt, this.updatedAt, this.dueAt, this.maxAttempts, this.budgetFrom,
				this.timeoutMs, now, this.seq, this.callbackUrl);
	}

	/** The same task with new delivery counters. */
	public Task withCounts(int deliveries, int duplicates) {
		return new Task(this.id, this.type, this.status, this.priority, this.payload, this.result, this.error,
				this.attempt, deliveries, duplicates, this.workerId, this.createdAt, this.queuedAt, this.startedAt,
				this.finishedAt, this.updatedAt, this.dueAt, this.maxAttempts, this.budgetFrom, this.timeoutMs,
				this.cancelRequestedAt, this.seq, this.callbackUrl);
	}

	/** The same task, started by a worker. */
	public Task started(TaskStatus status, String worker, Instant started) {
		return new Task(this.id, this.type, status, this.priority, this.payload, this.result, this.error, this.attempt,
				this.deliveries, this.duplicates, worker, this.createdAt, this.queuedAt, started, this.finishedAt,
				this.updatedAt, this.dueAt, this.maxAttempts, this.budgetFrom, this.timeoutMs, this.cancelRequestedAt,
				this.seq, this.callbackUrl);
	}

	/** The same task, handed back unfinished by its worker: no worker holds it now. */
	public Task released(TaskStatus status) {
		return new Task(this.id, this.type, status, this.priority, this.payload, this.result, this.error, this.attempt,
				this.deliveries, this.duplicates, null, this.createdAt, this.queuedAt, this.startedAt, this.finishedAt,
				this.updatedAt, this.dueAt, this.maxAttempts, this.budgetFrom, this.timeoutMs, this.cancelRequestedAt,
				this.seq, this.callbackUrl);
	}

	/** The same task, finished in a terminal status. */
	public Task finished(TaskStatus status, String result, TaskError error, String worker, Instant started,
			Instant finished) {
		return new Task(this.id, this.type, status, this.priority, this.payload, result, error, this.attempt,
				this.deliveries, this.duplicates, (worker != null) ? worker : this.workerId, this.createdAt,
				this.queuedAt, (started != null) ? started : this.startedAt, finished, this.updatedAt, this.dueAt,
				this.maxAttempts, this.budgetFrom, this.timeoutMs, this.cancelRequestedAt, this.seq, this.callbackUrl);
	}

	/**
	 * The next attempt, in {@code status}: {@code RETRYING} until {@code dueAt}, showing
	 * why the last attempt failed, or {@code PENDING}. Counters of the new attempt start
	 * at zero (the attempt history keeps the last one's). A manual retry
	 * ({@code freshBudget}) starts a new retry budget.
	 */
	public Task nextAttempt(TaskStatus status, Instant dueAt, boolean freshBudget, Instant now) {
		int next = this.attempt + 1;
		TaskError last = (status == TaskStatus.RETRYING) ? this.error : null;
		return new Task(this.id, this.type, status, this.priority, this.payload, null, last, next, 0, 0, null,
				this.createdAt, null, null, null, now, dueAt, this.maxAttempts, freshBudget ? next : this.budgetFrom,
				this.timeoutMs, null, this.seq, this.callbackUrl);
	}

	/**
	 * The same task, due: {@code PENDING}, to be published again after {@code dueAt}; the
	 * last attempt's error is left to the history.
	 */
	public Task due(TaskStatus status, Instant dueAt, Instant now) {
		return new Task(this.id, this.type, status, this.priority, this.payload, this.result, null, this.attempt,
				this.deliveries, this.duplicates, this.workerId, this.createdAt, this.queuedAt, this.startedAt,
				this.finishedAt, now, dueAt, this.maxAttempts, this.budgetFrom, this.timeoutMs, this.cancelRequestedAt,
				this.seq, this.callbackUrl);
	}

	/** The same task after one more status move. */
	public Task moved() {
		return new Task(this.id, this.type, this.status, this.priority, this.payload, this.result, this.error,
				this.attempt, this.deliveries, this.duplicates, this.workerId, this.createdAt, this.queuedAt,
				this.startedAt, this.finishedAt, this.updatedAt, this.dueAt, this.maxAttempts, this.budgetFrom,
				this.timeoutMs, this.cancelRequestedAt, this.seq + 1, this.callbackUrl);
	}

	/** Attempts made in the current retry budget, the current one included. */
	public int attemptsInBudget() {
		return this.attempt - this.budgetFrom + 1;
	}

}
