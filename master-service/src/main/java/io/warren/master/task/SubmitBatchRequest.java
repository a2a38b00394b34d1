package io.warren.master.task;

import java.util.List;

/**
 * The body of {@code POST /api/v1/tasks/batch}.
 *
 * @param tasks the tasks, each as in {@code POST /api/v1/tasks}; at most
 * {@code warren.master.batch.max-tasks}
 */
public record SubmitBatchRequest(List<SubmitTaskRequest> tasks) {
}
