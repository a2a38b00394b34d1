package io.warren.worker.handler;

/**
 * Thrown by {@link TaskContext#throwIfCancelled()}: the run was cancelled or timed out.
 */
public class TaskStoppedException extends RuntimeException {

	public TaskStoppedException(String reason) {
		super("the run was stopped: " + reason);
	}

}
