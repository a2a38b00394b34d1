package io.warren.worker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import io.warren.protocol.Outcome;
import io.warren.protocol.ProtocolHeaders;
import io.warren.protocol.Reply;
import io.warren.protocol.StartedNotice;
import io.warren.protocol.TaskMessage;
import io.warren.protocol.TaskResult;
import io.warren.protocol.Topology;
import io.warren.protocol.TopologyProperties;
import io.warren.protocol.WireFormat;
import io.warren.testsupport.BrokerCleanup;
import io.warren.testsupport.TestBroker;
import io.warren.worker.execution.ReplyBackoff;
import io.warren.worker.handler.TaskHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
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

/** A worker against the real broker; the test plays the master with plain AMQP. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
@DirtiesContext
class WorkerIntegrationTests {

	static final String PREFIX = TestBroker.newPrefix();

	private final Topology topology = new Topology(TopologyProperties.withPrefix(PREFIX));

	private final WireFormat wire = new WireFormat("test-master");

	private CachingConnectionFactory broker;

	private RabbitTemplate master;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		TestBroker.register(registry, TestBroker.springProperties());
		registry.add("warren.topology.prefix", () -> PREFIX);
		registry.add("warren.worker.id", () -> "it-worker");
		registry.add("warren.worker.types.sleep.enabled", () -> "false");
		// dotted types take their per-type settings in brackets
		registry.add("warren.worker.types.[image.resize].concurrency", () -> "3");
		registry.add("warren.worker.types.[pdf.render].enabled", () -> "false");
	}

	@BeforeEach
	void connect() {
		this.broker = TestBroker.connectionFactory();
		this.master = new RabbitTemplate(this.broker);
	}

	@AfterEach
	void disconnect() {
		this.broker.destroy();
	}

	@Test
	void workerRunsATaskAndReportsStartedAndResultThenAcks() {
		UUID id = UUID.randomUUID();
		publish(new TaskMessage(id, "echo", 1, 0, this.wire.json().readTree("{\"k\":\"v\"}"), Instant.now()));

		List<Reply> replies = repliesFor(id, 2);

		StartedNotice started = replies.stream()
			.filter(StartedNotice.class::isInstance)
			.map(StartedNotice.class::cast)
			.findFirst()
			.orElseThrow();
		TaskResult result = replies.stream()
			.filter(TaskResult.class::isInstance)
			.map(TaskResult.class::cast)
			.findFirst()
			.orElseThrow();
		assertThat(result.outcome()).isEqualTo(Outcome.SUCCEEDED);
		assertThat(result.result().get("k").asString()).isEqualTo("v");
		assertThat(result.workerId()).isEqualTo("it-worker");
		assertThat(result.deliveryId()).isEqualTo(started.deliveryId());
		await().until(() -> new RabbitAdmin(this.broker).getQueueInfo(this.topology.taskQueue("echo"))
			.getMessageCount() == 0);
	}

	@Test
	void malformedTaskMessageIsDeadLetteredWithItsReasonAndTheWorkerGoesOn() {
		MessageProperties properties = new MessageProperties();
		properties.setMessageId("not-a-task");
		properties.setHeader(ProtocolHeaders.PROTOCOL, 1);
		this.master.send(this.topology.tasksExchange(), "echo",
				new Message("{\"broken\":".getBytes(StandardCharsets.UTF_8), properties));

		Message dead = this.master.receive(this.topology.deadLetterQueue(), 10_000);

		assertThat(dead).isNotNull();
		assertThat(dead.getMessageProperties().getMessageId()).isEqualTo("not-a-task");
		assertThat(dead.getMessageProperties().<String>getHeader(ProtocolHeaders.DEAD_REASON))
			.startsWith("malformed: ");
		UUID id = UUID.randomUUID();
		publish(new TaskMessage(id, "fail", 1, 0, this.wire.json().readTree("{\"message\":\"nope\"}"), Instant.now()));
		TaskResult result = (TaskResult) repliesFor(id, 2).stream()
			.filter(TaskResult.class::isInstance)
			.findFirst()
			.orElseThrow();
		assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
		assertThat(result.error().message()).isEqualTo("nope");
	}

	/**
	 * Bodies that once threw outside the malformed path and left their delivery unacked,
	 * holding the consumer: each is dead-lettered with a reason, and the consumers go on.
	 */
	@Test
	void hostileTaskBodiesAreDeadLetteredAndNoConsumerIsHeld() {
		List<byte[]> bodies = List.of("null".getBytes(StandardCharsets.UTF_8), "[1,2]".getBytes(StandardCharsets.UTF_8),
				"42".getBytes(StandardCharsets.UTF_8), "\"text\"".getBytes(StandardCharsets.UTF_8), new byte[0],
				new byte[] { (byte) 0xC0, (byte) 0xAF, '{', '}' },
				("{\"id\":\"" + UUID.randomUUID() + "\",\"type\":\"echo\",\"attempt\":1,\"priority\":0,"
						+ "\"payload\":\"" + "p".repeat(2_000_000) + "\",\"createdAt\":\"yesterday\"}")
					.getBytes(StandardCharsets.UTF_8),
				("{\"id\":null,\"type\":\"echo\",\"attempt\":1,\"priority\":0,\"payload\":1,"
						+ "\"createdAt\":\"2026-12-01T00:00:00Z\"}")
					.getBytes(StandardCharsets.UTF_8));
		for (int i = 0; i < bodies.size(); i++) {
			MessageProperties properties = new MessageProperties();
			properties.setMessageId("hostile-" + i);
			properties.setHeader(ProtocolHeaders.PROTOCOL, 1);
			this.master.send(this.topology.tasksExchange(), "echo", new Message(bodies.get(i), properties));
		}

		List<String> dead = new ArrayList<>();
		await().atMost(Duration.ofSeconds(30)).until(() -> {
			Message message = this.master.receive(this.topology.deadLetterQueue());
			if (message != null) {
				assertThat(message.getMessageProperties().<String>getHeader(ProtocolHeaders.DEAD_REASON))
					.startsWith("malformed: ");
				dead.add(message.getMessageProperties().getMessageId());
			}
			return dead.size() == bodies.size();
		});
		assertThat(dead).containsExactlyInAnyOrderElementsOf(
				java.util.stream.IntStream.range(0, bodies.size()).mapToObj((i) -> "hostile-" + i).toList());
		// more tasks than the echo consumers could hold had any delivery stayed unsettled
		List<UUID> ids = new ArrayList<>();
		for (int i = 0; i < 12; i++) {
			UUID id = UUID.randomUUID();
			ids.add(id);
			publish(new TaskMessage(id, "echo", 1, 0, this.wire.json().readTree("{\"n\":" + i + "}"), Instant.now()));
		}
		Set<UUID> finished = new HashSet<>();
		await().atMost(Duration.ofSeconds(30)).until(() -> {
			Message message = this.master.receive(this.topology.replyQueue(), 1000);
			if (message != null && this.wire.readReply(message) instanceof TaskResult result) {
				assertThat(result.outcome()).isEqualTo(Outcome.SUCCEEDED);
				finished.add(result.taskId());
			}
			return finished.containsAll(ids);
		});
	}

	@Test
	void disabledTypeIsNotConsumed() {
		assertThat(new RabbitAdmin(this.broker).getQueueInfo(this.topology.taskQueue("sleep"))).isNull();
		assertThat(new RabbitAdmin(this.broker).getQueueInfo(this.topology.taskQueue("pdf.render"))).isNull();
	}

	@Test
	void dottedTypeRunsWithItsBracketedSettingsAndItsRepliesReachTheRepliesQueue() {
		UUID id = UUID.randomUUID();
		publish(new TaskMessage(id, "image.resize", 1, 0, this.wire.json().readTree("{\"width\":200}"), Instant.now()));

		List<Reply> replies = repliesFor(id, 2);

		assertThat(replies).hasAtLeastOneElementOfType(StartedNotice.class);
		TaskResult result = (TaskResult) replies.stream()
			.filter(TaskResult.class::isInstance)
			.findFirst()
			.orElseThrow();
		assertThat(result.type()).isEqualTo("image.resize");
		assertThat(result.outcome()).isEqualTo(Outcome.SUCCEEDED);
		assertThat(result.result().get("thumbnail").asString()).isEqualTo("200px");
		assertThat(
				new RabbitAdmin(this.broker).getQueueInfo(this.topology.taskQueue("image.resize")).getConsumerCount())
			.isEqualTo(3);
		assertThat(this.replyHealth.health().getStatus()).isEqualTo(Status.UP);
	}

	@Test
	void tasksBeyondWhatItsConsumersMayHoldUnackedAllRunSoEachIsAckedOnceItsResultIsConfirmed() {
		// echo: 4 consumers (the default concurrency) on a quorum queue, each holding at
		// most 2 unacked deliveries: a task whose ack never came would stall its consumer
		Set<UUID> ids = new HashSet<>();
		for (int i = 0; i < 60; i++) {
			UUID id = UUID.randomUUID();
			ids.add(id);
			publish(new TaskMessage(id, "echo", 1, 0, this.wire.json().readTree(String.valueOf(i)), Instant.now()));
		}

		Set<UUID> finished = new HashSet<>();
		await().atMost(Duration.ofMinutes(1)).until(() -> {
			Message message = this.master.receive(this.topology.replyQueue(), 1000);
			if (message != null && this.wire.readReply(message) instanceof TaskResult result
					&& ids.contains(result.taskId())) {
				assertThat(result.outcome()).isEqualTo(Outcome.SUCCEEDED);
				finished.add(result.taskId());
			}
			return finished.size() == ids.size();
		});
		await().until(() -> new RabbitAdmin(this.broker).getQueueInfo(this.topology.taskQueue("echo"))
			.getMessageCount() == 0);
	}

	private void publish(TaskMessage task) {
		this.master.send(this.topology.tasksExchange(), task.type(), this.wire.taskMessage(task));
	}

	private List<Reply> repliesFor(UUID taskId, int count) {
		List<Reply> replies = new ArrayList<>();
		await().until(() -> {
			Message message = this.master.receive(this.topology.replyQueue(), 1000);
			if (message != null) {
				Reply reply = this.wire.readReply(message);
				if (reply.taskId().equals(taskId)) {
					replies.add(reply);
				}
			}
			return replies.size() == count;
		});
		return replies;
	}

	@Autowired
	ReplyBackoff replyHealth;

	/** A handler of a dotted type, as the README's example has one. */
	@TestConfiguration
	static class DottedHandlers {

		@TaskHandler("image.resize")
		Map<String, String> resize(Map<String, Integer> request) {
			return Map.of("thumbnail", request.get("width") + "px");
		}

		@TaskHandler("pdf.render")
		String render(String request) {
			return request;
		}

	}

	/**
	 * Deletes the topology once the context is closed, so its containers cannot declare
	 * it again.
	 */
	@TestConfiguration
	static class Cleanup {

		@Bean
		BrokerCleanup brokerCleanup(TopologyProperties topology) {
			return new BrokerCleanup(topology.prefix(), () -> List.of("echo", "fail", "image.resize", "pdf.render"));
		}

	}

}
