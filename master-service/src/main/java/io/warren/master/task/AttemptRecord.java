package io.warren.master.task;

import java.time.Instant;
import java.util.UUID;

import io.warren.protocol.TaskError;

/**
 * An attempt of a task that ended and was followed by another, as the history keeps it.
 *
 * @param taskId the task
 * @param attempt the attempt number
 * @param outcome how it ended ({@code FAILED})
 * @param workerId the worker that reported last for it
 * @param startedAt when a worker started it, if one did
 * @param finishedAt when its handler ended, if it did
 * @param error why it failed
 * @param deliveries distinct deliveries reported for it
 * @param duplicates deliveries beyond the first
 */
public record AttemptRecord(UUID taskId, int attempt, TaskStatus outcome, String workerId, Instant startedAt,
		Instant finishedAt, TaskError error, int deliveries, int duplicates) {

	/** The attempt {@code task} is at, as ended in {@code outcome}. */
	static AttemptRecord of(Task task, TaskStatus outcome) {
		return new AttemptRecord(task.id(), task.attempt(), outcome, task.workerId(), task.startedAt(),
				task.finishedAt(), task.error(), task.deliveries(), task.duplicates());
	}

}
