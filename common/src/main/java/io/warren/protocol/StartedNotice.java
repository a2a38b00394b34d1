package io.warren.protocol;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * Sent by a worker when a delivery of a task starts to run. Advisory: a lost notice costs
 * only the {@code RUNNING} status.
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
		Objects.requireNonNull(deliveryId, "deliveryId");
		Objects.requireNonNull(startedAt, "startedAt");
		if (attempt < 1) {
			throw new IllegalArgumentException("attempt must be 1 or more");
		}
	}

}
