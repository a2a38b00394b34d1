package io.warren.worker.handler;

/**
 * Thrown by a handler when running the task again cannot succeed (bad input, a missing
 * record); the failure is reported as not retryable.
 */
public class NonRetryableTaskException extends RuntimeException {

	public NonRetryableTaskException(String message) {
		super(message);
	}

	public NonRetryableTaskException(String message, Throwable cause) {
		super(message, cause);
	}

}
