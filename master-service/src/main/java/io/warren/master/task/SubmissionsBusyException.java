package io.warren.master.task;

/**
 * The master cannot take more tasks right now: too many wait to be stored, or publishing
 * is behind. Answered 503 with {@code Retry-After}; nothing was stored.
 */
public class SubmissionsBusyException extends RuntimeException {

	public SubmissionsBusyException(String message) {
		super(message);
	}

}
