package io.warren.master.task;

import java.util.Arrays;
import java.util.List;

/** Where a task stands. */
public enum TaskStatus {

	/** Stored; the broker has not confirmed the task message yet. */
	PENDING,

	/**
	 * Submitted to run later: waits in the store for its due time, then the relay makes
	 * it {@code PENDING} and publishes it.
	 */
	SCHEDULED,

	/** The broker confirmed the task message; no worker has reported it started. */
	QUEUED,

	/** A worker reported it started. */
	RUNNING,

	/**
	 * An attempt failed and the retry policy allows another: waits in the store for the
	 * next attempt's due time, like {@code SCHEDULED}.
	 */
	RETRYING,

	/** A worker reported that the handler returned. Terminal. */
	SUCCEEDED,

	/**
	 * The handler threw and no attempt is left (or the failure is not retryable), the
	 * task message was dead-lettered, or the task was poisoned. Terminal.
	 */
	FAILED,

	/**
	 * Cancelled by a user: before it ran, or while it ran (its worker interrupted the
	 * handler). Terminal and final: nothing moves it again.
	 */
	CANCELLED;

	/** Whether the task is finished: only an operator action can move it again. */
	public boolean isTerminal() {
		return this == SUCCEEDED || this == FAILED || this == CANCELLED;
	}

	/** Whether the task waits in the store for a due time. */
	public boolean isWaiting() {
		return this == SCHEDULED || this == RETRYING;
	}

	/**
	 * The status of that name, in any case; a 400 problem naming {@code status} if there
	 * is none.
	 */
	public static TaskStatus parse(String status) {
		try {
			return TaskStatus.valueOf(status.toUpperCase(java.util.Locale.ROOT));
		}
		catch (IllegalArgumentException ex) {
			throw new InvalidTaskException("status", "must be one of " + List.of(TaskStatus.values()));
		}
	}

	/** The terminal statuses. */
	public static List<TaskStatus> terminal() {
		return Arrays.stream(values()).filter(TaskStatus::isTerminal).toList();
	}

	/** The statuses that are not terminal, in order. */
	public static List<TaskStatus> active() {
		return Arrays.stream(values()).filter((status) -> !status.isTerminal()).toList();
	}

}
