package io.warren.protocol;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A committed change of a task's status, published by the master that applied it to the
 * events exchange (routing key {@code <status>.<type>}). A notification, not the record:
 * an event may be lost to a crash, and the task record stays the truth.
 *
 * @param id the task id
 * @param type the task type
 * @param status the status the task moved to ({@code PENDING}, {@code SCHEDULED},
 * {@code QUEUED}, {@code RUNNING}, {@code RETRYING}, {@code SUCCEEDED}, {@code FAILED},
 * {@code CANCELLED})
 * @param attempt the task's attempt after the move
 * @param seq the task's sequence number after the move: 1 for its submission, higher for
 * each later move, whichever master made it; orders a task's events that crossed threads
 * or masters (numbers may be skipped)
 * @param at when the master recorded the move
 * @param workerId the worker that reported last, if any
 * @param error why the task or its last attempt failed, if it did; omitted otherwise
 */
public record TaskStatusEvent(UUID id, String type, String status, int attempt, long seq, Instant at, String workerId,
		@JsonInclude(JsonInclude.Include.NON_NULL) TaskError error) {

	public TaskStatusEvent {
		Objects.requireNonNull(id, "id");
		Objects.requireNonNull(status, "status");
		Objects.requireNonNull(at, "at");
		if (!TaskTypes.isValid(type)) {
			throw new IllegalArgumentException("invalid task type: " + type);
		}
	}

}
