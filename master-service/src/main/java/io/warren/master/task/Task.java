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
 * @param error why it failed, once it failed
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
 */
public record Task(UUID id, String type, TaskStatus status, int priority, String payload, String result,
		TaskError error, int attempt, int deliveries, int duplicates, String workerId, Instant createdAt,
		Instant queuedAt, Instant startedAt, Instant finishedAt, Instant updatedAt) {

	/** A new task, {@code PENDING} at attempt 1. */
	public static Task submitted(UUID id, String type, int priority, String payload, Instant now) {
		return new Task(id, type, TaskStatus.PENDING, priority, payload, null, null, 1, 0, 0, null, now, null, null,
				null, now);
	}

	/** The same task with new delivery counters. */
	public Task withCounts(int deliveries, int duplicates) {
		return new Task(this.id, this.type, this.status, this.priority, this.payload, this.result, this.error,
				this.attempt, deliveries, duplicates, this.workerId, this.createdAt, this.queuedAt, this.startedAt,
				this.finishedAt, this.updatedAt);
	}

	/** The same task, started by a worker. */
	public Task started(TaskStatus status, String worker, Instant started) {
		return new Task(this.id, this.type, status, this.priority, this.payload, this.result, this.error, this.attempt,
				this.deliveries, this.duplicates, worker, this.createdAt, this.queuedAt, started, this.finishedAt,
				this.updatedAt);
	}

	/** The same task, handed back unfinished by its worker: no worker holds it now. */
	public Task released(TaskStatus status) {
		return new Task(this.id, this.type, status, this.priority, this.payload, this.result, this.error, this.attempt,
				this.deliveries, this.duplicates, null, this.createdAt, this.queuedAt, this.startedAt, this.finishedAt,
				this.updatedAt);
	}

	/** The same task, finished in a terminal status. */
	public Task finished(TaskStatus status, String result, TaskError error, String worker, Instant started,
			Instant finished) {
		return new Task(this.id, this.type, status, this.priority, this.payload, result, error, this.attempt,
				this.deliveries, this.duplicates, (worker != null) ? worker : this.workerId, this.createdAt,
				this.queuedAt, (started != null) ? started : this.startedAt, finished, this.updatedAt);
	}

}
