package io.warren.protocol;

import java.util.Objects;

/**
 * Why a task failed.
 *
 * @param code a stable machine-readable reason, such as {@code HANDLER_ERROR} or
 * {@code DEAD_LETTERED}
 * @param message a human-readable explanation
 * @param retryable whether running the task again could succeed
 */
public record TaskError(String code, String message, boolean retryable) {

	/** The handler threw. */
	public static final String HANDLER_ERROR = "HANDLER_ERROR";

	/** The payload does not fit the handler's parameter type. */
	public static final String INVALID_PAYLOAD = "INVALID_PAYLOAD";

	/** The worker could not decode the task message. */
	public static final String MALFORMED = "MALFORMED";

	/** The broker or a worker dead-lettered the task message. */
	public static final String DEAD_LETTERED = "DEAD_LETTERED";

	/** The run took longer than its timeout and was interrupted; retryable. */
	public static final String TIMED_OUT = "TIMED_OUT";

	/** The task was cancelled while it ran: its handler was interrupted. */
	public static final String CANCELLED = "CANCELLED";

	/**
	 * The worker running the task stopped sending heartbeats and the task stayed
	 * {@code RUNNING} past its timeout and grace period; retryable.
	 */
	public static final String WORKER_LOST = "WORKER_LOST";

	public TaskError {
		Objects.requireNonNull(code, "code");
		message = (message != null) ? message : "";
	}

}
