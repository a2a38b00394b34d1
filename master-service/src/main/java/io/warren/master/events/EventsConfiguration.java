package io.warren.master.events;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import io.warren.master.config.MasterProperties;
import io.warren.protocol.MalformedMessageException;
import io.warren.protocol.TaskStatusEvent;
import io.warren.protocol.Topology;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.core.AnonymousQueue;
import org.springframework.amqp.core.Base64UrlNamingStrategy;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.Declarables;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.TopicExchange;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * This master's own events queue (exclusive, auto-delete, bound to the events exchange
 * with {@code #}, declared again on every new connection) and its consumer, without acks:
 * events are notifications.
 */
@Configuration(proxyBeanMethods = false)
class EventsConfiguration {

	private static final Logger log = LoggerFactory.getLogger(EventsConfiguration.class);

	@Bean
	Queue eventsQueue(Topology topology, MasterProperties properties) {
		return new AnonymousQueue(new Base64UrlNamingStrategy(topology.eventsQueuePrefix()),
				Map.of("x-queue-type", "classic", "x-max-length", properties.events().queueLength()));
	}

	@Bean
	Declarables eventsBinding(Queue eventsQueue, Topology topology) {
		TopicExchange events = new TopicExchange(topology.eventsExchange(), true, false);
		return new Declarables(events, BindingBuilder.bind(eventsQueue).to(events).with("#"));
	}

	@Bean
	SimpleMessageListenerContainer eventsContainer(ConnectionFactory connectionFactory, Queue eventsQueue,
			WireFormat wire, EventFeed feed) {
		SimpleMessageListenerContainer container = new SimpleMessageListenerContainer(connectionFactory);
		container.setQueues(eventsQueue);
		container.setAcknowledgeMode(AcknowledgeMode.NONE);
		// one consumer: the feed numbers events in the order the broker delivers them
		container.setConcurrentConsumers(1);
		container.setMissingQueuesFatal(false);
		container.setMessageListener((message) -> {
			try {
				TaskStatusEvent event = wire.readStatusEvent(message);
				// the body is the event's JSON as streams send it, unless it spans lines
				// (a
				// data: line of a stream cannot)
				String json = new String(message.getBody(), StandardCharsets.UTF_8);
				if (json.indexOf('\n') >= 0 || json.indexOf('\r') >= 0) {
					json = wire.json().writeValueAsString(event);
				}
				feed.accept(event, json);
			}
			catch (MalformedMessageException | IllegalArgumentException | NullPointerException ex) {
				log.warn("status event dropped: {}", ex.getMessage());
			}
		});
		return container;
	}

}
