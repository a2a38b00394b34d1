package io.warren.protocol;

import java.util.Objects;
import java.util.UUID;

/**
 * The master's answer to a started notice that asked whether to run its delivery (a
 * redelivered one): run it, or ack it without running it.
 *
 * @param taskId the task id
 * @param attempt the attempt of the notice
 * @param deliveryId the notice's delivery id
 * @param run whether the worker runs the handler; if not, it acks the delivery without
 * running it and sends no result
 * @param reason why not, when not: the task is finished, the attempt is no longer
 * current, or the task was poisoned
 */
public record StartVerdict(UUID taskId, int attempt, UUID deliveryId, boolean run, String reason) {

	public StartVerdict {
		Objects.requireNonNull(taskId, "taskId");
		Objects.requireNonNull(deliveryId, "deliveryId");
	}

}
