package io.warren.master.config;

import io.warren.master.workers.HeartbeatListener;
import io.warren.monitoring.ConsumerHealthIndicator;
import io.warren.protocol.MessagingConfiguration;
import io.warren.protocol.Topology;

import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareBatchMessageListener;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * The master's consumers: replies and dead letters, with manual acks, and heartbeats.
 */
@Configuration(proxyBeanMethods = false)
@Import(MessagingConfiguration.class)
class ListenerConfiguration {

	/** Dead letters are rare: one consumer applies them. */
	private static final int DEAD_LETTER_CONSUMERS = 1;

	/**
	 * Replies in batches: up to {@code batch-size} at a time, a batch closing early when
	 * no further reply arrives within {@code batch-wait}, so an idle master adds at most
	 * that wait.
	 */
	@Bean
	SimpleMessageListenerContainer replyContainer(ConnectionFactory connectionFactory, Topology topology,
			MasterProperties properties, ChannelAwareBatchMessageListener replyBatchListener) {
		MasterProperties.Replies replies = properties.replies();
		SimpleMessageListenerContainer container = container(connectionFactory, topology.replyQueue(),
				replyBatchListener, replies.concurrency(), Math.max(replies.prefetch(), replies.batchSize()));
		container.setConsumerBatchEnabled(true);
		container.setBatchSize(replies.batchSize());
		container.setReceiveTimeout(replies.batchWait().toMillis());
		return container;
	}

	@Bean
	SimpleMessageListenerContainer deadLetterContainer(ConnectionFactory connectionFactory, Topology topology,
			@Qualifier("deadLetterListener") ChannelAwareMessageListener deadLetterListener) {
		return container(connectionFactory, topology.deadLetterQueue(), deadLetterListener, DEAD_LETTER_CONSUMERS, 10);
	}

	/**
	 * Workers' heartbeats: one consumer, acked on receipt (a heartbeat not recorded is
	 * made up for by the next).
	 */
	@Bean
	SimpleMessageListenerContainer heartbeatContainer(ConnectionFactory connectionFactory, Topology topology,
			HeartbeatListener heartbeatListener) {
		SimpleMessageListenerContainer container = new QuietlyRedeclaringContainer(connectionFactory);
		container.setQueueNames(topology.heartbeatQueue());
		container.setMessageListener(heartbeatListener);
		container.setAcknowledgeMode(AcknowledgeMode.AUTO);
		container.setPrefetchCount(50);
		container.setDefaultRequeueRejected(false);
		container.setMissingQueuesFatal(false);
		return container;
	}

	/** Health of the two consumers: {@code consumers} in {@code /actuator/health}. */
	@Bean
	ConsumerHealthIndicator consumersHealthIndicator(SimpleMessageListenerContainer replyContainer,
			SimpleMessageListenerContainer deadLetterContainer, MasterProperties properties) {
		ConsumerHealthIndicator health = new ConsumerHealthIndicator();
		health.watch(replyContainer, properties.replies().concurrency());
		health.watch(deadLetterContainer, DEAD_LETTER_CONSUMERS);
		return health;
	}

	private static SimpleMessageListenerContainer container(ConnectionFactory connectionFactory, String queue,
			ChannelAwareMessageListener listener, int concurrency, int prefetch) {
		SimpleMessageListenerContainer container = new QuietlyRedeclaringContainer(connectionFactory);
		container.setQueueNames(queue);
		container.setMessageListener(listener);
		container.setAcknowledgeMode(AcknowledgeMode.MANUAL);
		container.setConcurrentConsumers(concurrency);
		container.setPrefetchCount(prefetch);
		container.setDefaultRequeueRejected(false);
		// start even while the broker is down; the container keeps trying to consume
		container.setMissingQueuesFatal(false);
		return container;
	}

}
