package io.warren.worker.handler;

/** The task's payload does not bind to the handler's parameter type; never retryable. */
public class InvalidPayloadException extends NonRetryableTaskException {

	public InvalidPayloadException(String message, Throwable cause) {
		super(message, cause);
	}

}
