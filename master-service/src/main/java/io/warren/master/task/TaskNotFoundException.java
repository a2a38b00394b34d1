package io.warren.master.task;

import java.util.UUID;

/** No task has the id (404). */
public class TaskNotFoundException extends RuntimeException {

	public TaskNotFoundException(UUID id) {
		super("no task with id " + id);
	}

}
