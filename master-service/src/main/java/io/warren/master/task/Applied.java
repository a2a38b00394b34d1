package io.warren.master.task;

/** What applying a reply or a dead letter did to its task. */
public enum Applied {

	/** The task moved as the state machine allows. */
	APPLIED,

	/**
	 * The state machine refused the move (for example a started notice after the result);
	 * only counters changed.
	 */
	REFUSED,

	/**
	 * The reply belongs to another attempt than the task's current one; nothing changed.
	 */
	STALE,

	/** No task has the reply's id; the message is parked. */
	UNKNOWN_TASK,

	/**
	 * The reply cannot be applied to its task: its type is not the task's, or its
	 * identifiers do not fit the store ({@link ReplyChecks#problem}). The message is
	 * parked; a result's task fails with {@link ReplyChecks#REPLY_REFUSED}.
	 */
	INVALID,

	/**
	 * A started notice of an attempt that already had
	 * {@code warren.master.max-deliveries} deliveries start without a result: the task
	 * ended {@code FAILED} with {@link ReplyChecks#POISONED}, and the delivery is not
	 * counted (a worker that asked is told not to run it).
	 */
	POISONED,

	/**
	 * A started notice of a task that was cancelled (or whose cancel waits for its
	 * worker): the worker must stop it; one that asked is told not to run it.
	 */
	CANCELLED,

	/**
	 * A dead letter at the delivery limit for a task that no worker ever started in this
	 * attempt: nothing changed, and the message is to be published again.
	 */
	NEVER_STARTED

}
