package io.warren.master.task;

import java.time.Instant;
import java.util.UUID;

/**
 * One move of one task, as committed: what the meters, and later live events, callbacks
 * and the dashboard, hear about.
 *
 * @param taskId the task
 * @param type its type
 * @param from the status before the move; {@code null} for a submission
 * @param to the status after it
 * @param createdAt when the task was submitted
 * @param startedAt when a worker started it, if one did
 * @param at when the master recorded the move
 * @param firstStart whether this move recorded the task's first start
 */
public record TaskChange(UUID taskId, String type, TaskStatus from, TaskStatus to, Instant createdAt, Instant startedAt,
		Instant at, boolean firstStart) {

	/** A task stored as submitted. */
	static TaskChange submitted(Task task) {
		return new TaskChange(task.id(), task.type(), null, task.status(), task.createdAt(), null, task.createdAt(),
				false);
	}

	/** Whether this is a submission rather than a move. */
	public boolean isSubmission() {
		return this.from == null;
	}

}
