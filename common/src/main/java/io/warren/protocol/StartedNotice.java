package io.warren.protocol;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * Sent by a worker when a delivery of a task is about to run, and confirmed by the broker
 * before the handler starts: the evidence that a run began is safe before the run, so the
 * master counts every execution.
 *
 * @param taskId the task id
 * @param type the task type
 * @param attempt the attempt the delivery belongs to
 * @param deliveryId chosen by the worker, one per delivery it runs
 * @param workerId the worker running it
 * @param redelivered whether the broker flagged the delivery as redelivered
 * @param startedAt when the handler started
 */
public record StartedNotice(UUID taskId, String type, int attempt, UUID deliveryId, String workerId,
		boolean redelivered, Instant startedAt) implements Reply {

	public StartedNotice {
		Objects.requireNonNull(taskId, "taskId");
		if (!TaskTypes.isValid(type)) {
			throw new IllegalArgumentException("invalid task type: " + type);
		}
		Objects.requireNonNull(deliveryId, "deliveryId");
		Objects.requireNonNull(workerId, "workerId");
		Objects.requireNonNull(startedAt, "startedAt");
		if (attempt < 1) {
			throw new IllegalArgumentException("attempt must be 1 or more");
		}
	}

}
