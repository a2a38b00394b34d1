package io.warren.master.task;

import java.time.Instant;

/**
 * Which tasks a list, a bulk retry or a delete selects; {@code null} fields select
 * everything.
 *
 * @param status tasks in this status
 * @param type tasks of this type
 * @param errorCode tasks whose error has this code
 * @param since tasks the master last changed at or after this time (for a finished task:
 * when its result was recorded)
 * @param until tasks the master last changed before this time
 */
public record TaskFilter(TaskStatus status, String type, String errorCode, Instant since, Instant until) {

	/** Every task. */
	public static final TaskFilter ALL = new TaskFilter(null, null, null, null, null);

	/** Tasks in a status, of a type, with an error code, changed since a time. */
	public TaskFilter(TaskStatus status, String type, String errorCode, Instant since) {
		this(status, type, errorCode, since, null);
	}

}
