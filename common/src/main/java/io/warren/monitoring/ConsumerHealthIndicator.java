package io.warren.monitoring;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.ConsumeOkEvent;
import org.springframework.amqp.rabbit.listener.ListenerContainerConsumerFailedEvent;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.context.event.EventListener;

/**
 * Whether this process consumes from each queue it should: UP once the broker confirmed a
 * consumer on every watched queue, DOWN while a container is stopped or its consumers
 * failed and retry. Built on the containers' own events, so it costs nothing per check
 * and sees a lost consumer even when the connection itself looks fine.
 */
public class ConsumerHealthIndicator extends AbstractHealthIndicator {

	private final Map<String, AbstractMessageListenerContainer> containers = new ConcurrentHashMap<>();

	private final Map<String, String> states = new ConcurrentHashMap<>();

	/** Watches a container that consumes from one queue. */
	public void watch(AbstractMessageListenerContainer container) {
		for (String queue : container.getQueueNames()) {
			this.containers.put(queue, container);
			this.states.putIfAbsent(queue, "starting");
		}
	}

	/** Stops watching a container, when it is gone for good. */
	public void forget(AbstractMessageListenerContainer container) {
		for (String queue : container.getQueueNames()) {
			this.containers.remove(queue);
			this.states.remove(queue);
		}
	}

	@EventListener
	void consuming(ConsumeOkEvent event) {
		this.states.computeIfPresent(event.getQueue(), (queue, state) -> "consuming");
	}

	@EventListener
	void failed(ListenerContainerConsumerFailedEvent event) {
		if (event.getSource() instanceof AbstractMessageListenerContainer container) {
			String reason = (event.getThrowable() != null) ? event.getThrowable().getMessage() : event.getReason();
			for (String queue : container.getQueueNames()) {
				this.states.computeIfPresent(queue, (name, state) -> "failed: " + reason);
			}
		}
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		boolean up = !this.containers.isEmpty();
		for (Map.Entry<String, AbstractMessageListenerContainer> entry : this.containers.entrySet()) {
			String state = entry.getValue().isRunning() ? this.states.getOrDefault(entry.getKey(), "starting")
					: "stopped";
			up &= state.equals("consuming");
			builder.withDetail(entry.getKey(), state);
		}
		if (up) {
			builder.up();
		}
		else {
			builder.down();
		}
	}

}
