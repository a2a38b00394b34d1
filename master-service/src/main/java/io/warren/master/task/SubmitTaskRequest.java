package io.warren.master.task;

import tools.jackson.databind.JsonNode;

/**
 * The body of {@code POST /api/v1/tasks}.
 *
 * @param type the task type, {@code [a-z0-9][a-z0-9._-]{0,63}}
 * @param payload any JSON, handed to the handler; {@code null} for none
 * @param priority 0 (default) to 9; honoured by classic queues
 * @param runAt when to run it, a UTC ISO-8601 time; a time already past runs it now
 * @param delay how long from now to run it: milliseconds, or an ISO-8601 duration such as
 * {@code "PT30S"}; not with {@code runAt}
 * @param timeout how long one run may take: milliseconds or an ISO-8601 duration;
 * {@code null} for the type's timeout
 * @param maxAttempts attempts in all, 1 to 100; the type's retry policy when absent
 * @param callbackUrl where to POST the task's record when it ends (http or https, a host
 * in {@code warren.master.callbacks.allowed-hosts})
 */
public record SubmitTaskRequest(String type, JsonNode payload, Integer priority, String runAt, JsonNode delay,
		Integer maxAttempts, JsonNode timeout, String callbackUrl) {

	/** A task to run now, with its type's retry policy and timeout. */
	public SubmitTaskRequest(String type, JsonNode payload, Integer priority) {
		this(type, payload, priority, null, null, null, null, null);
	}

	/** A task with its type's timeout. */
	public SubmitTaskRequest(String type, JsonNode payload, Integer priority, String runAt, JsonNode delay,
			Integer maxAttempts) {
		this(type, payload, priority, runAt, delay, maxAttempts, null, null);
	}

}
