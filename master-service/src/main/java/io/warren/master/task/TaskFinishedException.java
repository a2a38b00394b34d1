package io.warren.master.task;

import java.util.UUID;

/** A cancel of a task that is already finished (409). */
public class TaskFinishedException extends RuntimeException {

	private final TaskStatus status;

	public TaskFinishedException(UUID id, TaskStatus status) {
		super("task " + id + " is " + status + ": a finished task cannot be cancelled");
		this.status = status;
	}

	/** The status the task is in. */
	public TaskStatus status() {
		return this.status;
	}

}
