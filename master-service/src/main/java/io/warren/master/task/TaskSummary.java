package io.warren.master.task;

import java.time.Instant;
import java.util.UUID;

/**
 * A task in a list: the view without payload, result, error message and history.
 *
 * @param errorCode the code of its error, if it has one
 * @param runAt when a {@code SCHEDULED} or {@code RETRYING} task runs next
 */
public record TaskSummary(UUID id, String type, TaskStatus status, int priority, String errorCode, int attempts,
		int deliveries, int duplicates, String workerId, Instant createdAt, Instant runAt, Instant startedAt,
		Instant finishedAt, Instant updatedAt) {

	static TaskSummary of(Task task) {
		return new TaskSummary(task.id(), task.type(), task.status(), task.priority(),
				(task.error() != null) ? task.error().code() : null, task.attempt(), task.deliveries(),
				task.duplicates(), task.workerId(), task.createdAt(), task.status().isWaiting() ? task.dueAt() : null,
				task.startedAt(), task.finishedAt(), task.updatedAt());
	}

}
