package io.warren.monitoring;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.rabbitmq.client.DefaultConsumer;

import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.ConsumeOkEvent;
import org.springframework.amqp.rabbit.listener.ListenerContainerConsumerFailedEvent;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.context.event.EventListener;

/**
 * Whether this process consumes from each queue it should, with every consumer it was
 * configured for: UP once the broker confirmed all of a queue's consumers on open
 * channels, for every watched queue; DOWN while a container is stopped, its consumers
 * failed and retry, or only some of them are consuming yet. Built on the containers' own
 * events, so it costs nothing per check and sees a lost consumer even when the connection
 * itself looks fine.
 */
public class ConsumerHealthIndicator extends AbstractHealthIndicator {

	private final Map<String, Watched> watched = new ConcurrentHashMap<>();

	/** Watches a container that consumes from its queues with {@code consumers} each. */
	public void watch(AbstractMessageListenerContainer container, int consumers) {
		for (String queue : container.getQueueNames()) {
			this.watched.put(queue, new Watched(container, consumers));
		}
	}

	/**
	 * Marks a watched container as stopped on purpose (a paused task type), or not: a
	 * paused container is reported {@code paused} and does not make the check DOWN.
	 */
	public void paused(AbstractMessageListenerContainer container, boolean paused) {
		for (String queue : container.getQueueNames()) {
			Watched watched = this.watched.get(queue);
			if (watched != null) {
				watched.paused = paused;
			}
		}
	}

	/** Stops watching a container, when it is gone for good. */
	public void forget(AbstractMessageListenerContainer container) {
		for (String queue : container.getQueueNames()) {
			this.watched.remove(queue);
		}
	}

	@EventListener
	void consuming(ConsumeOkEvent event) {
		Watched queue = this.watched.get(event.getQueue());
		if (queue != null) {
			queue.failure = null;
			queue.consumers.put(event.getConsumerTag(), event.getSource());
		}
	}

	@EventListener
	void failed(ListenerContainerConsumerFailedEvent event) {
		if (event.getSource() instanceof AbstractMessageListenerContainer container) {
			String reason = (event.getThrowable() != null) ? event.getThrowable().getMessage() : event.getReason();
			for (String queue : container.getQueueNames()) {
				Watched watched = this.watched.get(queue);
				if (watched != null) {
					watched.failure = reason;
				}
			}
		}
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		boolean up = !this.watched.isEmpty();
		for (Map.Entry<String, Watched> entry : this.watched.entrySet()) {
			Watched queue = entry.getValue();
			// a consumer whose channel closed is gone; its replacement reports anew
			queue.consumers.values()
				.removeIf((consumer) -> consumer instanceof DefaultConsumer live
						&& (live.getChannel() == null || !live.getChannel().isOpen()));
			int consuming = queue.consumers.size();
			String state;
			if (queue.paused) {
				state = "paused";
				builder.withDetail(entry.getKey(), state);
				continue;
			}
			if (!queue.container.isRunning()) {
				state = "stopped";
			}
			else if (queue.failure != null) {
				state = "failed: " + queue.failure;
			}
			else {
				state = ((consuming >= queue.expected) ? "consuming" : "starting") + " (" + consuming + " of "
						+ queue.expected + " consumers)";
			}
			up &= state.startsWith("consuming");
			builder.withDetail(entry.getKey(), state);
		}
		if (up) {
			builder.up();
		}
		else {
			builder.down();
		}
	}

	private static final class Watched {

		private final AbstractMessageListenerContainer container;

		private final int expected;

		/**
		 * Consumer tag to the consumer the broker confirmed, while its channel is open.
		 */
		private final Map<String, Object> consumers = new ConcurrentHashMap<>();

		private volatile String failure;

		private volatile boolean paused;

		private Watched(AbstractMessageListenerContainer container, int expected) {
			this.container = container;
			this.expected = expected;
		}

	}

}
