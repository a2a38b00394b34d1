package io.warren.protocol;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

import tools.jackson.databind.JsonNode;

/**
 * Sent by a worker when a delivery of a task has run, before it acks the task message.
 *
 * @param taskId the task id
 * @param type the task type
 * @param attempt the attempt the delivery belongs to
 * @param deliveryId the same id as the delivery's started notice
 * @param workerId the worker that ran it
 * @param redelivered whether the broker flagged the delivery as redelivered
 * @param outcome how the handler ended
 * @param result the handler's return value when it succeeded, else {@code null}
 * @param error why it failed, else {@code null}
 * @param startedAt when the handler started
 * @param finishedAt when the handler ended
 */
public record TaskResult(UUID taskId, String type, int attempt, UUID deliveryId, String workerId, boolean redelivered,
		Outcome outcome, JsonNode result, TaskError error, Instant startedAt, Instant finishedAt) implements Reply {

	public TaskResult {
		Objects.requireNonNull(taskId, "taskId");
		if (!TaskTypes.isValid(type)) {
			throw new IllegalArgumentException("invalid task type: " + type);
		}
		Objects.requireNonNull(deliveryId, "deliveryId");
		Objects.requireNonNull(workerId, "workerId");
		Objects.requireNonNull(outcome, "outcome");
		Objects.requireNonNull(finishedAt, "finishedAt");
		if (attempt < 1) {
			throw new IllegalArgumentException("attempt must be 1 or more");
		}
		if (outcome == Outcome.FAILED && error == null) {
			throw new IllegalArgumentException("a failed result needs an error");
		}
	}

	/** How long the handler ran, in milliseconds. */
	public long durationMs() {
		return (startedAt != null) ? Math.max(0, finishedAt.toEpochMilli() - startedAt.toEpochMilli()) : 0;
	}

}
