package io.warren.master.task;

import java.nio.charset.StandardCharsets;

import io.warren.protocol.Reply;
import io.warren.protocol.TaskError;
import io.warren.protocol.TaskResult;

/**
 * What the task store can hold of a reply, checked before it is written: a value the
 * store refuses must not turn a reply into one that is handed back for ever. Identifiers
 * (worker id, error code) that do not fit make the reply invalid; free text (an error
 * message) is made storable; a result too large fails its task.
 */
public final class ReplyChecks {

	/** The longest worker id stored (the {@code worker_id} column). */
	public static final int MAX_WORKER_ID = 255;

	/** The longest error code stored (the {@code error_code} column). */
	public static final int MAX_ERROR_CODE = 64;

	/** Error messages are cut to this many characters. */
	public static final int MAX_ERROR_MESSAGE = 10_000;

	/** Error code of a task whose result was refused (see {@link #problem}). */
	public static final String REPLY_REFUSED = "REPLY_REFUSED";

	/**
	 * Error code of a task whose attempt started {@code warren.master.max-deliveries}
	 * times without a result: its workers died running it.
	 */
	public static final String POISONED = "POISONED";

	/** Error code of a task whose result is larger than the master stores. */
	public static final String RESULT_TOO_LARGE = "RESULT_TOO_LARGE";

	private static final char REPLACEMENT = '\uFFFD';

	private ReplyChecks() {
	}

	/**
	 * Why the store cannot hold this reply's identifiers, or {@code null} if it can: the
	 * worker id and a result's error code must be 1 to 255 and 1 to 64 characters without
	 * control characters.
	 */
	public static String problem(Reply reply) {
		String problem = identifier("workerId", reply.workerId(), MAX_WORKER_ID);
		if (problem == null && reply instanceof TaskResult result && result.error() != null) {
			problem = identifier("error.code", result.error().code(), MAX_ERROR_CODE);
		}
		return problem;
	}

	private static String identifier(String field, String value, int most) {
		if (value.isEmpty()) {
			return field + " is empty";
		}
		if (value.length() > most) {
			return field + " is " + value.length() + " characters long, more than " + most;
		}
		for (int i = 0; i < value.length(); i++) {
			if (Character.isISOControl(value.charAt(i))) {
				return field + " contains the control character U+" + String.format("%04X", (int) value.charAt(i));
			}
		}
		return null;
	}

	/**
	 * An error as the store can hold it: NUL characters (which PostgreSQL refuses in
	 * text) replaced by U+FFFD, the message cut to {@link #MAX_ERROR_MESSAGE} characters.
	 */
	public static TaskError storable(TaskError error) {
		if (error == null) {
			return null;
		}
		String message = error.message();
		if (message.length() > MAX_ERROR_MESSAGE) {
			int end = MAX_ERROR_MESSAGE - 1;
			if (Character.isHighSurrogate(message.charAt(end - 1))) {
				end--;
			}
			message = message.substring(0, end) + '\u2026';
		}
		if (message.indexOf('\0') >= 0) {
			message = message.replace('\0', REPLACEMENT);
		}
		return (message.equals(error.message())) ? error : new TaskError(error.code(), message, error.retryable());
	}

	/**
	 * Whether a result's JSON text is larger than the master stores: more than
	 * {@code maxBytes} in UTF-8.
	 */
	public static boolean tooLarge(String json, long maxBytes) {
		// a character is at most three bytes in UTF-8: count only when it could matter
		return (long) json.length() * 3 > maxBytes && json.getBytes(StandardCharsets.UTF_8).length > maxBytes;
	}

}
