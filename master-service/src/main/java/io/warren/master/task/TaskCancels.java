package io.warren.master.task;

/**
 * Tells the workers about a cancelled task (an interface so that the task package does
 * not depend on the control channel).
 */
public interface TaskCancels {

	/**
	 * Broadcasts a cancel for the task's current attempt: a worker running it interrupts
	 * its handler, one that receives its message later acks it without running it.
	 */
	void cancel(Task task);

}
