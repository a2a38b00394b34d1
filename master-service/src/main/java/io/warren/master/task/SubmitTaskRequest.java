package io.warren.master.task;

import tools.jackson.databind.JsonNode;

/**
 * The body of {@code POST /api/v1/tasks}.
 *
 * @param type the task type, {@code [a-z0-9][a-z0-9._-]{0,63}}
 * @param payload any JSON, handed to the handler; {@code null} for none
 * @param priority 0 (default) to 9; honoured by classic queues
 */
public record SubmitTaskRequest(String type, JsonNode payload, Integer priority) {
}
