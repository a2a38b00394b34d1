package io.warren.worker.config;

import java.time.Clock;
import java.util.Map;
import java.util.Set;

import io.micrometer.core.instrument.MeterRegistry;
import io.warren.monitoring.ConsumerHealthIndicator;
import io.warren.config.TypeSettingNames;
import io.warren.protocol.MessagingConfiguration;
import io.warren.security.ApiKeySecurityConfiguration;
import io.warren.protocol.Topology;
import io.warren.protocol.WireFormat;
import io.warren.worker.execution.ExecutionMetrics;
import io.warren.worker.execution.ReplyBackoff;
import io.warren.worker.execution.ReplyPublisher;
import io.warren.worker.execution.RunningTasks;
import io.warren.worker.execution.StuckDeliveries;
import io.warren.worker.execution.TaskControl;
import io.warren.worker.execution.WorkerContainers;
import io.warren.worker.handler.HandlerRegistry;

import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;

/** Wires the worker: its identity, the reply publisher and the listener containers. */
@Configuration(proxyBeanMethods = false)
@Import({ MessagingConfiguration.class, ApiKeySecurityConfiguration.class })
class WorkerConfiguration {

	@Bean
	WorkerIdentity workerIdentity(WorkerProperties properties) {
		return WorkerIdentity.of(properties);
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
			ReplyPublisher replyPublisher, WorkerIdentity identity, ExecutionMetrics executionMetrics,
			RunningTasks runningTasks, ConsumerHealthIndicator consumersHealthIndicator,
			ApplicationEventPublisher events, ReplyBackoff repliesHealthIndicator, Environment environment,
			TaskControl taskControl) {
		TypeSettingNames.requireBrackets(environment, "warren.worker.types",
				Map.of("enabled", Set.of(), "concurrency", Set.of(), "prefetch", Set.of(), "timeout", Set.of()));
		return new WorkerContainers(connectionFactory, amqpAdmin, handlerRegistry, properties, topology, wireFormat,
				replyPublisher, identity.id(), executionMetrics, runningTasks, consumersHealthIndicator, events,
				repliesHealthIndicator, taskControl);
	}

	/** Deadlines and cancels of running deliveries. */
	@Bean
	TaskControl taskControl(WorkerProperties properties, RunningTasks runningTasks) {
		return new TaskControl(properties.timeoutGrace(), Clock.systemUTC(), runningTasks);
	}

	/**
	 * The back-off on replies the broker did not confirm, and its state as the
	 * {@code replies} health check.
	 */
	@Bean
	ReplyBackoff repliesHealthIndicator(WorkerProperties properties) {
		return new ReplyBackoff(properties.replyBackoff().initial(), properties.replyBackoff().max(),
				Clock.systemUTC());
	}

	@Bean
	RunningTasks runningTasks() {
		return new RunningTasks();
	}

	/** Deliveries running longer than they should: {@code stuck} in the health. */
	@Bean
	StuckDeliveries stuckHealthIndicator(RunningTasks runningTasks, WorkerProperties properties) {
		return new StuckDeliveries(runningTasks, properties.stuckThreshold(), Clock.systemUTC());
	}

	/** Health of the task consumers: {@code consumers} in {@code /actuator/health}. */
	@Bean
	ConsumerHealthIndicator consumersHealthIndicator() {
		return new ConsumerHealthIndicator();
	}

}
