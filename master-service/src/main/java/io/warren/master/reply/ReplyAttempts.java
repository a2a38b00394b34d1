package io.warren.master.reply;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;

/**
 * How many times each reply was handed back because applying it alone failed while others
 * of the same pass committed: counted here, by the master, since the broker counts no
 * deliveries on classic queues (and would blame every reply of a batch). A reply that
 * reaches the limit is given up (its task failed, the reply parked). Replies are known by
 * their kind, message id, attempt and body; the most recent 10,000 are remembered.
 */
final class ReplyAttempts {

	private static final int REMEMBERED = 10_000;

	private final int limit;

	private final Map<String, Integer> failures = new LinkedHashMap<>() {

		@Override
		protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
			return size() > REMEMBERED;
		}

	};

	/** Whether nothing is counted: the usual case, checked without a lock. */
	private volatile boolean none = true;

	ReplyAttempts(int limit) {
		this.limit = limit;
	}

	int limit() {
		return this.limit;
	}

	/** Counts a failed try of each message. */
	synchronized void failed(List<Message> messages) {
		for (Message message : messages) {
			this.failures.merge(key(message), 1, Integer::sum);
		}
		this.none = this.failures.isEmpty();
	}

	/** Whether the message failed as many times as allowed. */
	boolean exhausted(Message message) {
		if (this.none) {
			return false;
		}
		synchronized (this) {
			return this.failures.getOrDefault(key(message), 0) >= this.limit;
		}
	}

	/** Forgets the messages: applied or parked. */
	void settled(List<Message> messages) {
		if (this.none) {
			return;
		}
		synchronized (this) {
			messages.forEach((message) -> this.failures.remove(key(message)));
			this.none = this.failures.isEmpty();
		}
	}

	private static String key(Message message) {
		MessageProperties properties = message.getMessageProperties();
		return properties.getType() + "|" + properties.getMessageId() + "|" + MessageIdentity.attempt(properties) + "|"
				+ Arrays.hashCode(message.getBody());
	}

}
