package io.warren.worker;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.warren.protocol.ControlMessage;
import io.warren.protocol.Heartbeat;
import io.warren.protocol.Outcome;
import io.warren.protocol.Reply;
import io.warren.protocol.StartedNotice;
import io.warren.protocol.TaskError;
import io.warren.protocol.TaskMessage;
import io.warren.protocol.TaskResult;
import io.warren.protocol.Topology;
import io.warren.protocol.TopologyProperties;
import io.warren.protocol.WireFormat;
import io.warren.testsupport.BrokerCleanup;
import io.warren.testsupport.TestBroker;
import io.warren.worker.execution.TaskControl;
import io.warren.worker.handler.TaskContext;
import io.warren.worker.handler.TaskHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The worker's end of the control channel, its timeouts and heartbeats, against the real
 * broker; the test plays the master with plain AMQP.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
@DirtiesContext
class WorkerControlIntegrationTests {

	static final String PREFIX = TestBroker.newPrefix();

	/** Runs of the stubborn handler that were interrupted, and when they ended. */
	static final List<String> stubbornRuns = new CopyOnWriteArrayList<>();

	private final Topology topology = new Topology(TopologyProperties.withPrefix(PREFIX));

	private final WireFormat wire = new WireFormat("test-master");

	private CachingConnectionFactory broker;

	private RabbitTemplate master;

	@Autowired
	TaskControl control;

	@Autowired
	HealthEndpoint health;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		TestBroker.register(registry, TestBroker.springProperties());
		registry.add("warren.topology.prefix", () -> PREFIX);
		registry.add("warren.worker.id", () -> "control-worker");
		registry.add("warren.worker.heartbeat-interval", () -> "200ms");
		registry.add("warren.worker.verdict-timeout", () -> "1s");
		registry.add("warren.worker.timeout-grace", () -> "700ms");
		registry.add("warren.worker.types.fail.enabled", () -> "false");
		registry.add("warren.worker.types.[report.monthly].timeout", () -> "300ms");
		registry.add("warren.worker.types.[slow.one].concurrency", () -> "1");
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
	void workerSaysHelloThenBeatsWithItsTypesAndWhatItRuns() {
		UUID id = UUID.randomUUID();
		publish(new TaskMessage(id, "sleep", 1, 0, json("{\"ms\":1500}"), Instant.now(), 60_000L));
		Heartbeat beat = heartbeat(
				(candidate) -> candidate.running().stream().anyMatch((task) -> task.taskId().equals(id)));

		assertThat(beat.workerId()).isEqualTo("control-worker");
		assertThat(beat.event()).isEqualTo(Heartbeat.BEAT);
		assertThat(beat.intervalMs()).isEqualTo(200);
		assertThat(beat.types()).extracting(Heartbeat.TypeState::type)
			.contains("echo", "sleep", "report.monthly", "stubborn", "slow.one")
			.doesNotContain("fail");
		Heartbeat.RunningTask running = beat.running().get(0);
		assertThat(running.deadline()).isAfter(running.startedAt().plusSeconds(59));
		repliesFor(id, 2);
	}

	@Test
	void runningTaskIsCancelledWithinTwoSecondsAndItsDeliveryAcked() {
		UUID id = UUID.randomUUID();
		publish(new TaskMessage(id, "sleep", 1, 0, json("{\"ms\":30000}"), Instant.now()));
		List<Reply> replies = new ArrayList<>();
		await().until(() -> collect(id, replies) && replies.stream().anyMatch(StartedNotice.class::isInstance));

		long sent = System.nanoTime();
		broadcast(ControlMessage.cancel(id, 1));
		await().atMost(Duration.ofSeconds(2)).until(() -> collect(id, replies) && replies.size() == 2);
		TaskResult result = (TaskResult) replies.get(1);
		assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
		assertThat(result.error().code()).isEqualTo(TaskError.CANCELLED);
		assertThat(result.error().retryable()).isFalse();
		assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent)).isLessThan(2000);
		await().until(() -> messagesIn("sleep") == 0);
	}

	@Test
	void taskCancelledBeforeItsMessageComesIsAckedWithoutRunningAndALaterAttemptRuns() {
		UUID id = UUID.randomUUID();
		broadcast(ControlMessage.cancel(id, 1));
		await().until(() -> this.control.isCancelled(id, 1));
		publish(new TaskMessage(id, "echo", 1, 0, json("\"never\""), Instant.now()));
		UUID next = UUID.randomUUID();
		publish(new TaskMessage(next, "echo", 1, 0, json("\"after\""), Instant.now()));

		List<Reply> all = new ArrayList<>();
		await().atMost(Duration.ofSeconds(20))
			.until(() -> collectAll(all) && all.stream().filter((reply) -> reply.taskId().equals(next)).count() == 2);
		await().until(() -> messagesIn("echo") == 0);
		assertThat(all).as("replies of the cancelled attempt").noneMatch((reply) -> reply.taskId().equals(id));

		// a retry by hand of a task whose cancel did not take (it failed first) is a new
		// attempt: it runs
		publish(new TaskMessage(id, "echo", 2, 0, json("\"retried\""), Instant.now()));
		assertThat(result(repliesFor(id, 2)).attempt()).isEqualTo(2);
	}

	@Test
	void pausedTypeDoesNotStartADeliveryThatWaitedInThePrefetch() {
		UUID first = UUID.randomUUID();
		UUID waiting = UUID.randomUUID();
		// one consumer with a prefetch of 2: the second task waits behind the first
		publish(new TaskMessage(first, "slow.one", 1, 0, json("{\"ms\":1500}"), Instant.now()));
		publish(new TaskMessage(waiting, "slow.one", 1, 0, json("{\"ms\":10}"), Instant.now()));
		List<Reply> all = new ArrayList<>();
		await().until(() -> collectAll(all) && all.stream().anyMatch((reply) -> reply.taskId().equals(first)));

		broadcast(ControlMessage.pause("slow.one"));
		await().atMost(Duration.ofSeconds(10))
			.until(() -> collectAll(all)
					&& all.stream().anyMatch((reply) -> reply.taskId().equals(first) && reply instanceof TaskResult));
		await().during(Duration.ofSeconds(1))
			.atMost(Duration.ofSeconds(5))
			.until(() -> collectAll(all) && all.stream().noneMatch((reply) -> reply.taskId().equals(waiting)));
		await().until(() -> consumersOf("slow.one") == 0 && messagesIn("slow.one") == 1);

		broadcast(ControlMessage.resume("slow.one"));
		assertThat(result(repliesFor(waiting, 2)).outcome()).isEqualTo(Outcome.SUCCEEDED);
	}

	@Test
	void runLongerThanItsTimeoutIsInterruptedAndReportedTimedOutRetryable() {
		UUID typed = UUID.randomUUID();
		publish(new TaskMessage(typed, "report.monthly", 1, 0, json("{}"), Instant.now()));
		TaskResult result = result(repliesFor(typed, 2));
		assertThat(result.error().code()).isEqualTo(TaskError.TIMED_OUT);
		assertThat(result.error().retryable()).isTrue();
		assertThat(result.error().message()).contains("PT0.3S");

		UUID own = UUID.randomUUID();
		publish(new TaskMessage(own, "sleep", 1, 0, json("{\"ms\":20000}"), Instant.now(), 250L));
		TaskResult timedOut = result(repliesFor(own, 2));
		assertThat(timedOut.error().code()).isEqualTo(TaskError.TIMED_OUT);
		assertThat(Duration.between(timedOut.startedAt(), timedOut.finishedAt())).isLessThan(Duration.ofSeconds(5));
	}

	@Test
	void handlerThatIgnoresItsInterruptionIsReportedAndItsTypeStopsWhileOtherTypesRun() {
		UUID stuck = UUID.randomUUID();
		publish(new TaskMessage(stuck, "stubborn", 1, 0, json("{}"), Instant.now(), 200L));
		TaskResult result = result(repliesFor(stuck, 2));
		assertThat(result.error().code()).isEqualTo(TaskError.TIMED_OUT);
		assertThat(result.error().message()).contains("did not stop");
		await().until(() -> messagesIn("stubborn") == 0);
		await().until(() -> new RabbitAdmin(this.broker).getQueueInfo(this.topology.taskQueue("stubborn"))
			.getConsumerCount() == 0);
		Heartbeat beat = heartbeat((candidate) -> candidate.types()
			.stream()
			.anyMatch((type) -> type.type().equals("stubborn") && type.stopped() != null));
		assertThat(beat.state()).isEqualTo("RUNNING");
		assertThat(this.health.healthForPath("stuck").getStatus().getCode()).isEqualTo("DOWN");

		UUID echo = UUID.randomUUID();
		publish(new TaskMessage(echo, "echo", 1, 0, json("1"), Instant.now()));
		assertThat(result(repliesFor(echo, 2)).outcome()).isEqualTo(Outcome.SUCCEEDED);
		// the stubborn handler returned in the end; its late result was not reported
		await().atMost(Duration.ofSeconds(10)).until(() -> stubbornRuns.contains("returned"));
	}

	@Test
	void pausedTypeIsNotTakenUntilResumedAndTheFullStateDoesTheSame() {
		broadcast(ControlMessage.pause("echo"));
		await().until(() -> consumersOf("echo") == 0);
		heartbeat((beat) -> beat.types().stream().anyMatch((type) -> type.type().equals("echo") && type.paused()));
		UUID id = UUID.randomUUID();
		publish(new TaskMessage(id, "echo", 1, 0, json("\"waits\""), Instant.now()));
		await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(3)).until(() -> messagesIn("echo") == 1);

		broadcast(ControlMessage.resume("echo"));
		assertThat(result(repliesFor(id, 2)).outcome()).isEqualTo(Outcome.SUCCEEDED);

		broadcast(ControlMessage.state(List.of("echo", "other.type")));
		await().until(() -> consumersOf("echo") == 0);
		broadcast(ControlMessage.state(List.of()));
		await().until(() -> consumersOf("echo") > 0);

		// a state a master read before the last pause does not undo it
		broadcast(ControlMessage.pause("echo"));
		await().until(() -> consumersOf("echo") == 0);
		broadcast(
				new ControlMessage(ControlMessage.STATE, null, null, null, List.of(), Instant.now().minusSeconds(10)));
		await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> consumersOf("echo") == 0);
		broadcast(ControlMessage.resume("echo"));
		await().until(() -> consumersOf("echo") > 0);
	}

	private boolean collect(UUID taskId, List<Reply> replies) {
		Message message = this.master.receive(this.topology.replyQueue(), 200);
		if (message != null) {
			Reply reply = this.wire.readReply(message);
			if (reply.taskId().equals(taskId)) {
				replies.add(reply);
			}
		}
		return true;
	}

	/** Takes one reply, if one comes within 200 ms, whatever its task. */
	private boolean collectAll(List<Reply> replies) {
		Message message = this.master.receive(this.topology.replyQueue(), 200);
		if (message != null) {
			replies.add(this.wire.readReply(message));
		}
		return true;
	}

	private List<Reply> repliesFor(UUID taskId, int count) {
		List<Reply> replies = new ArrayList<>();
		await().atMost(Duration.ofSeconds(20)).until(() -> collect(taskId, replies) && replies.size() == count);
		return replies;
	}

	private static TaskResult result(List<Reply> replies) {
		return replies.stream()
			.filter(TaskResult.class::isInstance)
			.map(TaskResult.class::cast)
			.findFirst()
			.orElseThrow();
	}

	private Heartbeat heartbeat(java.util.function.Predicate<Heartbeat> wanted) {
		Heartbeat[] found = new Heartbeat[1];
		await().until(() -> {
			Message message = this.master.receive(this.topology.heartbeatQueue(), 500);
			if (message == null) {
				return false;
			}
			Heartbeat beat = this.wire.readHeartbeat(message);
			if (wanted.test(beat)) {
				found[0] = beat;
				return true;
			}
			return false;
		});
		return found[0];
	}

	private void broadcast(ControlMessage message) {
		this.master.send(this.topology.controlExchange(), "", this.wire.controlMessage(message));
	}

	private void publish(TaskMessage task) {
		this.master.send(this.topology.tasksExchange(), task.type(), this.wire.taskMessage(task));
	}

	private long messagesIn(String type) {
		return new RabbitAdmin(this.broker).getQueueInfo(this.topology.taskQueue(type)).getMessageCount();
	}

	private int consumersOf(String type) {
		return new RabbitAdmin(this.broker).getQueueInfo(this.topology.taskQueue(type)).getConsumerCount();
	}

	private tools.jackson.databind.JsonNode json(String text) {
		return this.wire.json().readTree(text);
	}

	/**
	 * Handlers of this test: one with a timeout of its type, one that ignores
	 * interruption.
	 */
	@TestConfiguration
	static class Handlers {

		@TaskHandler("report.monthly")
		String report(tools.jackson.databind.JsonNode payload, TaskContext context) throws InterruptedException {
			Thread.sleep(context.remaining().orElseThrow().toMillis() + 10_000);
			return "never";
		}

		@TaskHandler("slow.one")
		String slow(java.util.Map<String, Long> request) throws InterruptedException {
			Thread.sleep(request.get("ms"));
			return "done";
		}

		@TaskHandler("stubborn")
		String stubborn(Object payload) {
			// swallows its interruption for 2 s, as a blocking driver call may
			long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
			while (System.nanoTime() < until) {
				LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
			}
			stubbornRuns.add("returned");
			return "late";
		}

	}

	@TestConfiguration
	static class Cleanup {

		@Bean
		BrokerCleanup brokerCleanup(TopologyProperties topology) {
			return new BrokerCleanup(topology.prefix(),
					() -> List.of("echo", "sleep", "fail", "report.monthly", "stubborn", "slow.one"));
		}

	}

}
