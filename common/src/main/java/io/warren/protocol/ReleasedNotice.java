package io.warren.protocol;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * Sent by a stopping worker for a delivery it hands back unfinished: the task is waiting
 * in its queue again, not running. The worker sends it, confirmed, before it closes the
 * channel that returns the delivery to the queue.
 *
 * @param taskId the task id
 * @param type the task type
 * @param attempt the attempt the delivery belongs to
 * @param deliveryId the delivery handed back, as in its started notice
 * @param workerId the worker handing it back
 * @param redelivered whether the broker flagged the delivery as redelivered
 * @param releasedAt when the worker gave up waiting for the handler
 */
public record ReleasedNotice(UUID taskId, String type, int attempt, UUID deliveryId, String workerId,
		boolean redelivered, Instant releasedAt) implements Reply {

	public ReleasedNotice {
		Objects.requireNonNull(taskId, "taskId");
		if (!TaskTypes.isValid(type)) {
			throw new IllegalArgumentException("invalid task type: " + type);
		}
		Objects.requireNonNull(deliveryId, "deliveryId");
		Objects.requireNonNull(workerId, "workerId");
		Objects.requireNonNull(releasedAt, "releasedAt");
		if (attempt < 1) {
			throw new IllegalArgumentException("attempt must be 1 or more");
		}
	}

}
