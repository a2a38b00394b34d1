package io.warren.protocol;

import java.time.Clock;

import org.springframework.amqp.core.Declarables;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.amqp.autoconfigure.RabbitTemplateConfigurer;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * What the master and the workers wire alike: the topology, the wire format, the shared
 * exchanges and queues (declared on every connection) and the confirming template.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(TopologyProperties.class)
public class MessagingConfiguration {

	@Bean
	Clock clock() {
		return Clock.systemUTC();
	}

	@Bean
	Topology topology(TopologyProperties properties) {
		return new Topology(properties);
	}

	@Bean
	WireFormat wireFormat(@Value("${spring.application.name:warren}") String applicationName) {
		return new WireFormat(applicationName);
	}

	/**
	 * Declared by the admin on every (re)connection: both sides publish to these
	 * exchanges.
	 */
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

}
