package io.warren.master.config;

import java.time.Clock;

import io.warren.protocol.Topology;
import io.warren.protocol.TopologyProperties;
import io.warren.protocol.WireFormat;

import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.core.Declarables;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.amqp.autoconfigure.RabbitTemplateConfigurer;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The broker side of the master: topology, the confirming template and the two consumers.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(TopologyProperties.class)
class MessagingConfiguration {

	@Bean
	Clock clock() {
		return Clock.systemUTC();
	}

	@Bean
	Topology topology(TopologyProperties properties) {
		return new Topology(properties);
	}

	@Bean
	WireFormat wireFormat() {
		return new WireFormat("warren-master");
	}

	/** Declared by the admin on every (re)connection. */
	@Bean
	Declarables sharedTopology(Topology topology) {
		return topology.shared();
	}

	/**
	 * Publishes with correlated confirms and mandatory returns, on a connection of its
	 * own so that a blocked publisher (resource alarm) does not stall the consumers.
	 */
	@Bean
	RabbitTemplate rabbitTemplate(RabbitTemplateConfigurer configurer, ConnectionFactory connectionFactory) {
		RabbitTemplate template = new RabbitTemplate();
		configurer.configure(template, connectionFactory);
		template.setMandatory(true);
		template.setUsePublisherConnection(true);
		return template;
	}

	@Bean
	SimpleMessageListenerContainer replyContainer(ConnectionFactory connectionFactory, Topology topology,
			MasterProperties properties, @Qualifier("replyListener") ChannelAwareMessageListener replyListener) {
		return container(connectionFactory, topology.replyQueue(), replyListener, properties.replies().concurrency(),
				properties.replies().prefetch());
	}

	@Bean
	SimpleMessageListenerContainer deadLetterContainer(ConnectionFactory connectionFactory, Topology topology,
			@Qualifier("deadLetterListener") ChannelAwareMessageListener deadLetterListener) {
		return container(connectionFactory, topology.deadLetterQueue(), deadLetterListener, 1, 10);
	}

	private static SimpleMessageListenerContainer container(ConnectionFactory connectionFactory, String queue,
			ChannelAwareMessageListener listener, int concurrency, int prefetch) {
		SimpleMessageListenerContainer container = new SimpleMessageListenerContainer(connectionFactory);
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
