package io.warren.master.task;

import java.time.Instant;
import java.util.UUID;

import tools.jackson.databind.JsonNode;

/**
 * A task as the API shows it.
 *
 * @param id the task id
 * @param type the task type
 * @param status where it stands
 * @param priority 0-9
 * @param payload the submitted JSON
 * @param result the handler's result once it succeeded, else null
 * @param error why it failed once it failed, else null
 * @param attempts the current attempt number
 * @param deliveries distinct deliveries of the current attempt that workers reported
 * @param duplicates deliveries beyond the first: duplicate executions
 * @param workerId the worker that reported last
 * @param createdAt when it was submitted
 * @param startedAt when a worker started it
 * @param finishedAt when the handler of its result ended
 * @param updatedAt when the master last changed the record (for a finished task: when its
 * result was recorded)
 */
public record TaskView(UUID id, String type, TaskStatus status, int priority, JsonNode payload, JsonNode result,
		ErrorView error, int attempts, int deliveries, int duplicates, String workerId, Instant createdAt,
		Instant startedAt, Instant finishedAt, Instant updatedAt) {

	/**
	 * Why a task failed.
	 *
	 * @param code {@code HANDLER_ERROR}, {@code MALFORMED} or {@code DEAD_LETTERED}
	 * @param message what went wrong
	 */
	public record ErrorView(String code, String message) {
	}

}
