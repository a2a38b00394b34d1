package io.warren.master.task;

import java.util.List;
import java.util.UUID;

/**
 * The answer to {@code POST /api/v1/tasks/batch}: the new tasks' ids, in the order they
 * were sent. Each is {@code PENDING}; poll {@code GET /api/v1/tasks/{id}}.
 *
 * @param ids one per submitted task, in order
 */
public record BatchAccepted(List<UUID> ids) {
}
