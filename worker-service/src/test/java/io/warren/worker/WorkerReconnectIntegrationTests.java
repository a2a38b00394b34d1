package io.warren.worker;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.warren.monitoring.ConsumerHealthIndicator;
import io.warren.protocol.Outcome;
import io.warren.protocol.Reply;
import io.warren.protocol.TaskMessage;
import io.warren.protocol.TaskResult;
import io.warren.protocol.Topology;
import io.warren.protocol.TopologyProperties;
import io.warren.protocol.WireFormat;
import io.warren.testsupport.TcpProxy;
import io.warren.testsupport.BrokerCleanup;
import io.warren.testsupport.TestBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker reaches the broker through a proxy that the test cuts: once the broker is
 * back, the worker consumes and reports again without a restart.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
@DirtiesContext
class WorkerReconnectIntegrationTests {

	static final String PREFIX = TestBroker.newPrefix();

	static final TcpProxy proxy = TcpProxy.toBroker();

	private final Topology topology = new Topology(TopologyProperties.withPrefix(PREFIX));

	private final WireFormat wire = new WireFormat("test-master");

	@Autowired
	ConsumerHealthIndicator consumers;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		TestBroker.register(registry, TestBroker.springProperties());
		registry.add("spring.rabbitmq.host", () -> "127.0.0.1");
		registry.add("spring.rabbitmq.port", proxy::port);
		registry.add("warren.topology.prefix", () -> PREFIX);
		registry.add("warren.worker.types.sleep.enabled", () -> "false");
		registry.add("warren.worker.types.fail.enabled", () -> "false");
	}

	@AfterAll
	static void cleanUp() {
		proxy.close();
	}

	@Test
	void workerConsumesAndReportsAgainAfterTheBrokerWasUnreachable() {
		CachingConnectionFactory direct = TestBroker.connectionFactory();
		try {
			RabbitTemplate master = new RabbitTemplate(direct);
			assertThat(roundTrip(master)).isTrue();

			assertThat(this.consumers.health().getStatus()).isEqualTo(Status.UP);
			proxy.cut();
			// the consumers' health reports the lost broker, and its recovery
			await().until(() -> this.consumers.health().getStatus().equals(Status.DOWN));
			proxy.restore();
			await().until(() -> this.consumers.health().getStatus().equals(Status.UP));

			// the containers recover on their own; a task sent now must come back as a
			// result
			await().until(() -> roundTrip(master));
		}
		finally {
			direct.destroy();
		}
	}

	private boolean roundTrip(RabbitTemplate master) {
		UUID id = UUID.randomUUID();
		master.send(this.topology.tasksExchange(), "echo", this.wire
			.taskMessage(new TaskMessage(id, "echo", 1, 0, this.wire.json().readTree("\"ping\""), Instant.now())));
		long deadline = System.currentTimeMillis() + 5_000;
		while (System.currentTimeMillis() < deadline) {
			Message message = master.receive(this.topology.replyQueue(), 500);
			if (message != null) {
				Reply reply = this.wire.readReply(message);
				if (reply.taskId().equals(id) && reply instanceof TaskResult result) {
					return result.outcome() == Outcome.SUCCEEDED;
				}
			}
		}
		return false;
	}

	/**
	 * Deletes the topology once the context is closed, so its containers cannot declare
	 * it again.
	 */
	@TestConfiguration
	static class Cleanup {

		@Bean
		BrokerCleanup brokerCleanup(TopologyProperties topology) {
			return new BrokerCleanup(topology.prefix(), () -> List.of("echo"));
		}

	}

}
