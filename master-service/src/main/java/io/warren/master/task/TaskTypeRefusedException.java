package io.warren.master.task;

/** A valid task type that the master's policy does not accept (422). */
public class TaskTypeRefusedException extends RuntimeException {

	public TaskTypeRefusedException(String message) {
		super(message);
	}

}
