package io.warren.master.task;

import java.util.ArrayList;
import java.util.List;

import io.warren.protocol.WireFormat;
import tools.jackson.databind.JsonNode;

import org.springframework.stereotype.Component;

/**
 * Builds the API's view of a task from its record: the answers of the task API, and the
 * body of its callbacks.
 */
@Component
public class TaskViews {

	private final TaskStore store;

	private final RetryPolicies retries;

	private final WireFormat wire;

	TaskViews(TaskStore store, RetryPolicies retries, WireFormat wire) {
		this.store = store;
		this.retries = retries;
		this.wire = wire;
	}

	/** The task as the API shows it. */
	public TaskView of(Task task) {
		return of(task, json(task.payload()));
	}

	/** The task as the API shows it, with its payload already parsed. */
	TaskView of(Task task, JsonNode payload) {
		List<TaskView.AttemptView> history = new ArrayList<>();
		if (task.attempt() > 1) {
			this.store.attemptsOf(task.id()).forEach((attempt) -> history.add(TaskView.AttemptView.of(attempt)));
		}
		if (!task.status().isWaiting()) {
			history.add(TaskView.AttemptView.current(task));
		}
		// the last attempt the current budget allows: attempt numbers go on after a retry
		// by hand
		int lastAttempt = task.budgetFrom() - 1 + this.retries.maxAttempts(task);
		List<TaskView.CallbackView> callbacks = (task.callbackUrl() != null) ? this.store.callbacksOf(task.id())
				: List.of();
		return new TaskView(task.id(), task.type(), task.status(), task.priority(), payload, json(task.result()),
				TaskView.ErrorView.of(task.error()), task.attempt(), lastAttempt, task.deliveries(), task.duplicates(),
				task.workerId(), task.createdAt(), task.status().isWaiting() ? task.dueAt() : null, task.startedAt(),
				task.finishedAt(), task.updatedAt(), history, task.timeoutMs(), task.cancelRequestedAt(),
				task.callbackUrl(), callbacks);
	}

	private JsonNode json(String text) {
		return (text != null) ? this.wire.json().readTree(text) : null;
	}

}
