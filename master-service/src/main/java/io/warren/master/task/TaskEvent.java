package io.warren.master.task;

/** What can happen to a task; the state machine decides what each one does. */
public enum TaskEvent {

	/** The broker confirmed the task message (ack, not returned). */
	CONFIRMED,

	/** A worker's started notice for the current attempt. */
	STARTED,

	/** A stopping worker handed the running delivery back to the queue unfinished. */
	RELEASED,

	/** A worker's result with outcome SUCCEEDED for the current attempt. */
	SUCCEEDED,

	/**
	 * A worker's result with outcome FAILED for the current attempt that ends the task:
	 * not retryable, or no attempt left; also a poisoned attempt.
	 */
	FAILED,

	/**
	 * A worker's retryable failure of the current attempt while the retry policy allows
	 * another: the next attempt waits for its due time.
	 */
	RETRY,

	/** A waiting task's due time has come: the relay publishes it. */
	DUE,

	/** The task message of the current attempt reached the dead-letter queue. */
	DEAD_LETTERED,

	/**
	 * A user cancelled the task before it ran, or its worker confirmed that it stopped it
	 * (or was lost, or handed it back) after a cancel while it ran.
	 */
	CANCEL,

	/** An operator started a new attempt of a failed task (manual retry, replay). */
	NEW_ATTEMPT

}
