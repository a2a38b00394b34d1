package io.warren.master.task;

/**
 * An {@code Idempotency-Key} already used with another request, or whose tasks have since
 * been deleted (422).
 */
public class IdempotencyKeyReusedException extends RuntimeException {

	public IdempotencyKeyReusedException(String message) {
		super(message);
	}

}
