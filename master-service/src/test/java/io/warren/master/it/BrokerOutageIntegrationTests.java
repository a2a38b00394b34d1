package io.warren.master.it;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.micrometer.core.instrument.MeterRegistry;
import io.warren.protocol.Outcome;
import io.warren.protocol.TaskMessage;
import io.warren.protocol.TaskResult;
import io.warren.protocol.Topology;
import io.warren.protocol.TopologyProperties;
import io.warren.protocol.WireFormat;
import io.warren.testsupport.BrokerCleanup;
import io.warren.testsupport.TcpProxy;
import io.warren.testsupport.TestBroker;
import io.warren.testsupport.WarrenApi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The master reaches the broker through a proxy that the test cuts: a task submitted
 * while the broker is unreachable still gets its 202, stays {@code PENDING}, and is
 * published, run and recorded once the broker is back.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(BrokerOutageIntegrationTests.Cleanup.class)
@DirtiesContext
abstract class BrokerOutageIntegrationTests {

	static final TcpProxy proxy = TcpProxy.toBroker();

	@LocalServerPort
	int port;

	@Autowired
	MeterRegistry meters;

	abstract String prefix();

	/** The broker through the proxy, a fast relay, and the subclass's store. */
	static void register(DynamicPropertyRegistry registry, String prefix) {
		TestBroker.register(registry, TestBroker.springProperties());
		registry.add("spring.rabbitmq.host", () -> "127.0.0.1");
		registry.add("spring.rabbitmq.port", proxy::port);
		registry.add("warren.topology.prefix", () -> prefix);
		registry.add("warren.security.api-keys", () -> WarrenApi.TEST_KEY);
		registry.add("warren.master.relay.interval", () -> "200ms");
		registry.add("warren.master.relay.confirm-timeout", () -> "1s");
		registry.add("warren.master.monitoring.relay-max-lag", () -> "2s");
	}

	@AfterEach
	void leaveTheProxyOpen() {
		// the proxy is shared by the tests and the subclasses: a test that failed while
		// it was cut must not break the next
		proxy.restore();
	}

	@Test
	void taskSubmittedWhileTheBrokerIsUnreachableIsAcceptedThenPublishedAndRecordedWhenItReturns() {
		WarrenApi api = new WarrenApi(this.port);
		api.accepted("outage", "0");
		await().until(() -> "UP".equals(api.health(null, null)));
		proxy.cut();

		WarrenApi.Answer answer = api.submit("outage", "{\"during\":\"outage\"}");

		assertThat(answer.status()).isEqualTo(202);
		String id = answer.body().get("id").asString();
		await().until(() -> publishFailures() > 0);
		assertThat(api.status(id)).isEqualTo("PENDING");
		// the broker, the consumers and the relay report the outage; the master still
		// takes tasks, so it stays ready
		await().until(() -> "DOWN".equals(api.health(null, "rabbit")) && "DOWN".equals(api.health(null, "consumers"))
				&& "DOWN".equals(api.health(null, "relay")));
		assertThat(api.health(null, null)).isEqualTo("DOWN");
		assertThat(api.health("readiness", null)).isEqualTo("UP");
		assertThat(api.health("liveness", null)).isEqualTo("UP");

		proxy.restore();
		await().until(() -> "QUEUED".equals(api.status(id)));
		await().until(() -> "UP".equals(api.health(null, null)));

		WireFormat wire = new WireFormat("test-worker");
		Topology topology = new Topology(TopologyProperties.withPrefix(prefix()));
		CachingConnectionFactory direct = TestBroker.connectionFactory();
		try {
			RabbitTemplate worker = new RabbitTemplate(direct);
			TaskMessage task;
			do {
				Message message = worker.receive(topology.taskQueue("outage"), 10_000);
				assertThat(message).isNotNull();
				task = wire.readTask(message);
			}
			while (!task.id().toString().equals(id));
			worker.send(topology.resultsExchange(), Topology.resultRoutingKey("outage"),
					wire.resultMessage(new TaskResult(task.id(), "outage", 1, UUID.randomUUID(), "test-worker", false,
							Outcome.SUCCEEDED, task.payload(), null, Instant.now(), Instant.now())));
		}
		finally {
			direct.destroy();
		}
		await().until(() -> "SUCCEEDED".equals(api.status(id)));
		assertThat(api.task(id).get("result").get("during").asString()).isEqualTo("outage");
	}

	@Test
	void taskReturnedAsUnroutableIsPublishedAgainOnceItsQueueIsDeclaredAgain() {
		WarrenApi api = new WarrenApi(this.port);
		String first = api.accepted("deleted", "1");
		await().until(() -> "QUEUED".equals(api.status(first)));
		Topology topology = new Topology(TopologyProperties.withPrefix(prefix()));
		// an operator deletes the queue under the running master: its next publish is
		// returned
		TestBroker.delete(List.of(topology.taskQueue("deleted")), List.of());

		String second = api.accepted("deleted", "2");

		await().until(() -> this.meters.find("warren.publish.failures").tag("reason", "returned").counter() != null);
		await().until(() -> "QUEUED".equals(api.status(second)));
		CachingConnectionFactory direct = TestBroker.connectionFactory();
		try {
			Message message = new RabbitTemplate(direct).receive(topology.taskQueue("deleted"), 10_000);
			assertThat(message).isNotNull();
			assertThat(message.getMessageProperties().getMessageId()).isEqualTo(second);
		}
		finally {
			direct.destroy();
		}
	}

	private double publishFailures() {
		return this.meters.find("warren.publish.failures").counters().stream().mapToDouble((c) -> c.count()).sum();
	}

	/**
	 * Deletes the topology once the context is closed, so its containers cannot declare
	 * it again.
	 */
	@TestConfiguration
	static class Cleanup {

		@Bean
		BrokerCleanup brokerCleanup(TopologyProperties topology) {
			return new BrokerCleanup(topology.prefix(), () -> List.of("outage", "deleted"));
		}

	}

}
