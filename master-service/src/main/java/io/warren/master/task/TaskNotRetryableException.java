package io.warren.master.task;

import java.util.UUID;

/** A manual retry of a task that is not {@code FAILED} (409). */
public class TaskNotRetryableException extends RuntimeException {

	private final TaskStatus status;

	public TaskNotRetryableException(UUID id, TaskStatus status) {
		super("task " + id + " is " + status + "; only a FAILED task can be retried");
		this.status = status;
	}

	/** The status the task is in. */
	public TaskStatus status() {
		return this.status;
	}

}
