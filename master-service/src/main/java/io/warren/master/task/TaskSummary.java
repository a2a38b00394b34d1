package io.warren.master.task;

import java.time.Instant;
import java.util.UUID;

/** A task in a list: the view without payload, result and error. */
public record TaskSummary(UUID id, String type, TaskStatus status, int priority, int attempts, int deliveries,
		int duplicates, String workerId, Instant createdAt, Instant startedAt, Instant finishedAt, Instant updatedAt) {

	static TaskSummary of(Task task) {
		return new TaskSummary(task.id(), task.type(), task.status(), task.priority(), task.attempt(),
				task.deliveries(), task.duplicates(), task.workerId(), task.createdAt(), task.startedAt(),
				task.finishedAt(), task.updatedAt());
	}

}
