package io.warren.master.task;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

import io.warren.protocol.TaskError;
import io.warren.protocol.TaskStatusEvent;

/**
 * One move of one task, as committed: what the meters, live events, callbacks and MQTT
 * notices hear about.
 *
 * @param taskId the task
 * @param type its type
 * @param from the status before the move; {@code null} for a submission
 * @param to the status after it
 * @param createdAt when the task was submitted
 * @param startedAt when a worker started it, if one did
 * @param at when the master recorded the move
 * @param firstStart whether this move recorded the task's first start
 * @param attempt the task's attempt after the move
 * @param seq the task's sequence number after the move ({@link Task#seq()})
 * @param workerId the worker that reported last, if any
 * @param error why the task or its last attempt failed, if it did
 */
public record TaskChange(UUID taskId, String type, TaskStatus from, TaskStatus to, Instant createdAt, Instant startedAt,
		Instant at, boolean firstStart, int attempt, int seq, String workerId, TaskError error) {

	/** A task stored as submitted. */
	static TaskChange submitted(Task task) {
		return new TaskChange(task.id(), task.type(), null, task.status(), task.createdAt(), null, task.createdAt(),
				false, task.attempt(), task.seq(), null, null);
	}

	/** The move of a task from {@code before} to {@code after}, recorded {@code at}. */
	static TaskChange of(Task before, Task after, Instant at, boolean firstStart) {
		return new TaskChange(before.id(), before.type(), before.status(), after.status(), before.createdAt(),
				after.startedAt(), at, firstStart, after.attempt(), after.seq(), after.workerId(), after.error());
	}

	/** The status event of this change, as live events and MQTT notices carry it. */
	public TaskStatusEvent event() {
		// microseconds, as the record keeps them
		return new TaskStatusEvent(this.taskId, this.type, this.to.name(), this.attempt, this.seq,
				this.at.truncatedTo(ChronoUnit.MICROS), this.workerId, this.error);
	}

	/** Whether this is a submission rather than a move. */
	public boolean isSubmission() {
		return this.from == null;
	}

}
