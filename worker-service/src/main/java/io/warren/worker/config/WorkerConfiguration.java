package io.warren.worker.config;

import java.time.Clock;

import io.micrometer.core.instrument.MeterRegistry;
import io.warren.protocol.Topology;
import io.warren.protocol.TopologyProperties;
import io.warren.protocol.WireFormat;
import io.warren.worker.execution.ExecutionMetrics;
import io.warren.worker.execution.ReplyPublisher;
import io.warren.worker.execution.WorkerContainers;
import io.warren.worker.handler.HandlerRegistry;

import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.Declarables;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.boot.amqp.autoconfigure.RabbitTemplateConfigurer;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the worker: topology, the confirming template, reply publisher and containers.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(TopologyProperties.class)
class WorkerConfiguration {

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
		return new WireFormat("warren-worker");
	}

	@Bean
	WorkerIdentity workerIdentity(WorkerProperties properties) {
		return WorkerIdentity.of(properties);
	}

	/**
	 * Declared by the admin on every (re)connection: results go to an exchange that must
	 * exist.
	 */
	@Bean
	Declarables sharedTopology(Topology topology) {
		return topology.shared();
	}

	/** Confirms and returns on a publisher connection of its own. */
	@Bean
	RabbitTemplate rabbitTemplate(RabbitTemplateConfigurer configurer, CachingConnectionFactory connectionFactory) {
		RabbitTemplate template = new RabbitTemplate();
		configurer.configure(template, connectionFactory);
		template.setMandatory(true);
		template.setUsePublisherConnection(true);
		return template;
	}

	@Bean
	ReplyPublisher replyPublisher(RabbitTemplate rabbitTemplate, Topology topology, WireFormat wireFormat,
			WorkerProperties properties) {
		return new ReplyPublisher(rabbitTemplate, topology, wireFormat, properties.resultConfirmTimeout());
	}

	@Bean
	ExecutionMetrics executionMetrics(MeterRegistry meterRegistry) {
		return new ExecutionMetrics(meterRegistry);
	}

	@Bean
	WorkerContainers workerContainers(CachingConnectionFactory connectionFactory, AmqpAdmin amqpAdmin,
			HandlerRegistry handlerRegistry, WorkerProperties properties, Topology topology, WireFormat wireFormat,
			ReplyPublisher replyPublisher, WorkerIdentity identity, ExecutionMetrics executionMetrics) {
		return new WorkerContainers(connectionFactory, amqpAdmin, handlerRegistry, properties, topology, wireFormat,
				replyPublisher, identity.id(), executionMetrics);
	}

}
