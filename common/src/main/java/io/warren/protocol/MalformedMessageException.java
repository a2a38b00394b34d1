package io.warren.protocol;

/**
 * A message that does not follow the Warren protocol; it is dead-lettered or parked,
 * never retried.
 */
public class MalformedMessageException extends RuntimeException {

	public MalformedMessageException(String message) {
		super(message);
	}

	public MalformedMessageException(String message, Throwable cause) {
		super(message, cause);
	}

}
