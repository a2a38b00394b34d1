package io.warren.master.task;

import java.util.Arrays;
import java.util.List;

/** Where a task stands. */
public enum TaskStatus {

	/** Stored; the broker has not confirmed the task message yet. */
	PENDING,

	/** The broker confirmed the task message; no worker has reported it started. */
	QUEUED,

	/** A worker reported it started. */
	RUNNING,

	/** A worker reported that the handler returned. Terminal. */
	SUCCEEDED,

	/** The handler threw, or the task message was dead-lettered. Terminal. */
	FAILED;

	/** Whether only an operator action can move a task out of this status. */
	public boolean isTerminal() {
		return this == SUCCEEDED || this == FAILED;
	}

	/** The statuses that are not terminal, in order. */
	public static List<TaskStatus> active() {
		return Arrays.stream(values()).filter((status) -> !status.isTerminal()).toList();
	}

}
