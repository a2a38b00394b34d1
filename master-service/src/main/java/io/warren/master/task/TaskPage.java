package io.warren.master.task;

import java.util.List;

/**
 * One page of tasks, newest first.
 *
 * @param items the tasks on this page
 * @param next the cursor to pass as {@code after} for the next page, or null on the last
 */
public record TaskPage(List<TaskSummary> items, String next) {
}
