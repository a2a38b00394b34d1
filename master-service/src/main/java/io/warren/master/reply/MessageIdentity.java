package io.warren.master.reply;

import java.util.UUID;

import io.warren.protocol.ProtocolHeaders;

import org.springframework.amqp.core.MessageProperties;

/**
 * The task and attempt a message names in its properties ({@code message_id},
 * {@code x-warren-attempt}), for messages whose body may not be readable.
 */
final class MessageIdentity {

	private MessageIdentity() {
	}

	/** The task id in {@code message_id}, or {@code null} if it holds none. */
	static UUID taskId(MessageProperties properties) {
		String messageId = properties.getMessageId();
		if (messageId == null) {
			return null;
		}
		try {
			return UUID.fromString(messageId);
		}
		catch (IllegalArgumentException ex) {
			return null;
		}
	}

	/**
	 * The attempt in {@code x-warren-attempt}, or {@code null} if it holds none (a value
	 * that is no attempt matches no task's).
	 */
	static Integer attempt(MessageProperties properties) {
		Object attempt = properties.getHeaders().get(ProtocolHeaders.ATTEMPT);
		return (attempt instanceof Number number) ? number.intValue() : null;
	}

}
