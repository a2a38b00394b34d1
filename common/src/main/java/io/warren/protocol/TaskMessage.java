package io.warren.protocol;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.NullNode;

/**
 * The body of a task message: what the master publishes for one attempt of a task.
 *
 * @param id the task id, chosen by the master
 * @param type the task type; also the routing key and the queue's suffix
 * @param attempt the attempt number, from 1
 * @param priority 0 (lowest) to 9
 * @param payload the submitted JSON payload
 * @param createdAt when the task was submitted
 * @param timeoutMs how long one run may take, in milliseconds, as the task or its type's
 * master settings say; {@code null} when neither does (the worker's own setting for the
 * type, or its maximum, applies)
 */
public record TaskMessage(UUID id, String type, int attempt, int priority, JsonNode payload, Instant createdAt,
		Long timeoutMs) {

	/** A task message without a timeout of its own. */
	public TaskMessage(UUID id, String type, int attempt, int priority, JsonNode payload, Instant createdAt) {
		this(id, type, attempt, priority, payload, createdAt, null);
	}

	public TaskMessage {
		Objects.requireNonNull(id, "id");
		if (!TaskTypes.isValid(type)) {
			throw new IllegalArgumentException("invalid task type: " + type);
		}
		if (attempt < 1) {
			throw new IllegalArgumentException("attempt must be 1 or more");
		}
		if (priority < 0 || priority > 9) {
			throw new IllegalArgumentException("priority must be 0-9");
		}
		payload = (payload != null) ? payload : NullNode.getInstance();
		Objects.requireNonNull(createdAt, "createdAt");
		if (timeoutMs != null && timeoutMs < 1) {
			throw new IllegalArgumentException("timeoutMs must be 1 or more");
		}
	}

}
