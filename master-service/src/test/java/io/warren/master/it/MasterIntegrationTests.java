package io.warren.master.it;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import io.micrometer.core.instrument.MeterRegistry;
import io.warren.master.task.TaskTransitions;
import io.warren.protocol.ControlMessage;
import io.warren.protocol.Heartbeat;
import io.warren.protocol.Outcome;
import io.warren.protocol.ProtocolHeaders;
import io.warren.protocol.ReleasedNotice;
import io.warren.protocol.StartVerdict;
import io.warren.protocol.StartedNotice;
import io.warren.protocol.TaskError;
import io.warren.protocol.TaskMessage;
import io.warren.protocol.TaskResult;
import io.warren.protocol.Topology;
import io.warren.protocol.TopologyProperties;
import io.warren.protocol.WireFormat;
import io.warren.security.ApiKeys;
import io.warren.testsupport.BrokerCleanup;
import io.warren.testsupport.TestBroker;
import io.warren.testsupport.WarrenApi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The master against a real broker and a real database; the test plays the worker with
 * plain AMQP so that every order of events can be produced on purpose. Subclasses choose
 * the database.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(MasterIntegrationTests.Cleanup.class)
@DirtiesContext
abstract class MasterIntegrationTests {

	static final int DELIVERY_LIMIT = 2;

	static final String READER_KEY = "reader-key-2c0e61f5a4d9b8";

	static final String SUBMITTER_KEY = "submitter-key-98b1e7d3c2a0";

	static final String OPS_KEY = "ops-key-d41d8cd98f00b204e980";

	@LocalServerPort
	int port;

	@Autowired
	MeterRegistry meters;

	@Autowired
	io.warren.master.workers.WorkerRegistry registry;

	WarrenApi api;

	WireFormat wire = new WireFormat("test-worker");

	CachingConnectionFactory broker;

	RabbitTemplate worker;

	Topology topology;

	private static final List<String> usedTypes = new ArrayList<>();

	static List<String> springProperties(String prefix) {
		List<String> properties = new ArrayList<>(TestBroker.springProperties());
		properties.add("warren.topology.prefix=" + prefix);
		properties.add("warren.topology.delivery-limit=" + DELIVERY_LIMIT);
		properties.add("warren.topology.queue-types.it-classic=classic");
		// one reply consumer: replies are applied in the order the test sends them, so a
		// later task can serve as a barrier; the out-of-order cases are produced by that
		// send order
		properties.add("warren.master.replies.concurrency=1");
		properties.add("warren.master.relay.interval=200ms");
		properties.add("warren.master.monitoring.refresh-interval=200ms");
		properties.add("warren.master.max-result-size=64KB");
		// no retries unless a test asks for them (a task's maxAttempts, or the typed
		// policy below), and short backoffs when it does
		properties.add("warren.master.retry.max-attempts=1");
		properties.add("warren.master.retry.initial-backoff=100ms");
		properties.add("warren.master.retry.max-backoff=400ms");
		properties.add("warren.master.types.[it.retry.typed].retry.max-attempts=2");
		properties.add("warren.master.types.[it.timeout.typed].timeout=45s");
		properties.add("warren.master.workers.check-interval=200ms");
		properties.add("warren.master.workers.lost-task-grace=1s");
		// the tests' bare key, two keys with one role each, and an admin key given hashed
		properties.add("warren.security.api-keys=" + String.join(",", WarrenApi.TEST_KEY, "reader:read:" + READER_KEY,
				"submitter:submit:" + SUBMITTER_KEY, "ops:admin:" + ApiKeys.HASHED_PREFIX + ApiKeys.sha256(OPS_KEY)));
		return properties;
	}

	abstract String prefix();

	@BeforeEach
	void connect() {
		this.api = new WarrenApi(this.port);
		this.broker = TestBroker.connectionFactory();
		this.broker.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
		this.worker = new RabbitTemplate(this.broker);
		this.topology = new Topology(TopologyProperties.withPrefix(prefix()));
	}

	@AfterEach
	void disconnect() {
		this.broker.destroy();
	}

	@Test
	void submittedTaskIsQueuedOnceTheBrokerConfirmsAndWaitsInItsTypesQueue() {
		String type = type("it-wait");
		WarrenApi.Answer answer = this.api.submit(type, "{\"n\":1}");

		assertThat(answer.status()).isEqualTo(202);
		assertThat(answer.location()).isEqualTo("/api/v1/tasks/" + answer.body().get("id").asString());
		String id = answer.body().get("id").asString();
		await().until(() -> "QUEUED".equals(this.api.status(id)));

		Message message = take(type);
		MessageProperties properties = message.getMessageProperties();
		assertThat(properties.getMessageId()).isEqualTo(id);
		assertThat(properties.getReceivedDeliveryMode()).isEqualTo(MessageDeliveryMode.PERSISTENT);
		assertThat(properties.getContentType()).isEqualTo("application/json");
		assertThat(properties.getType()).isEqualTo(type);
		assertThat(properties.<Integer>getHeader(ProtocolHeaders.ATTEMPT)).isEqualTo(1);
		assertThat(properties.<Integer>getHeader(ProtocolHeaders.PROTOCOL)).isEqualTo(1);
		TaskMessage task = this.wire.readTask(message);
		assertThat(task.payload().get("n").asInt()).isEqualTo(1);
	}

	@Test
	void resultBeforeItsStartedNoticeEndsTheTaskAndTheLateNoticeIsIgnored() {
		String type = type("it.order");
		String id = this.api.accepted(type, "{\"x\":true}");
		TaskMessage task = this.wire.readTask(take(type));
		UUID delivery = UUID.randomUUID();

		sendResult(task, delivery, Outcome.SUCCEEDED, "{\"done\":1}");
		await().until(() -> "SUCCEEDED".equals(this.api.status(id)));
		sendStarted(task, delivery);
		sendResult(task, delivery, Outcome.SUCCEEDED, "{\"done\":1}");
		String later = this.api.accepted(type, "1");
		sendResult(this.wire.readTask(take(type)), UUID.randomUUID(), Outcome.SUCCEEDED, "2");
		await().until(() -> "SUCCEEDED".equals(this.api.status(later)));

		JsonNode view = this.api.task(id);
		assertThat(view.get("status").asString()).isEqualTo("SUCCEEDED");
		assertThat(view.get("result").get("done").asInt()).isEqualTo(1);
		assertThat(view.get("deliveries").asInt()).isEqualTo(1);
		assertThat(view.get("duplicates").asInt()).isZero();
		assertThat(view.get("workerId").asString()).isEqualTo("test-worker");
		assertThat(view.get("finishedAt").isNull()).isFalse();
		assertThat(Instant.parse(view.get("updatedAt").asString()))
			.isAfterOrEqualTo(Instant.parse(view.get("createdAt").asString()));
	}

	@Test
	void secondDeliveryOfAnAttemptIsCountedAsADuplicate() {
		String type = type("it.dup");
		String id = this.api.accepted(type, "null");
		TaskMessage task = this.wire.readTask(take(type));
		double before = duplicates(type);
		UUID first = UUID.randomUUID();
		UUID second = UUID.randomUUID();

		sendStarted(task, first);
		await().until(() -> "RUNNING".equals(this.api.status(id)));
		sendStarted(task, second);
		sendResult(task, second, Outcome.SUCCEEDED, "\"second\"");
		sendResult(task, first, Outcome.SUCCEEDED, "\"first\"");

		await()
			.until(() -> this.api.task(id).get("duplicates").asInt() == 1 && "SUCCEEDED".equals(this.api.status(id)));
		await().until(() -> duplicates(type) == before + 1);
		JsonNode view = this.api.task(id);
		assertThat(view.get("deliveries").asInt()).isEqualTo(2);
		// replies are consumed concurrently: whichever result of the attempt came first
		// is kept
		assertThat(view.get("result").asString()).isIn("first", "second");
	}

	@Test
	void replyForAnotherAttemptIsStaleAndChangesNothing() {
		String type = type("it.stale");
		String id = this.api.accepted(type, "1");
		TaskMessage task = this.wire.readTask(take(type));
		TaskMessage otherAttempt = new TaskMessage(task.id(), type, 2, 0, task.payload(), task.createdAt());
		double before = stale();

		sendResult(otherAttempt, UUID.randomUUID(), Outcome.FAILED, null);
		await().until(() -> stale() == before + 1);

		// the stale result changed nothing: the confirm, recorded a little later, moves
		// it
		await().until(() -> "QUEUED".equals(this.api.status(id)));
		JsonNode view = this.api.task(id);
		assertThat(view.get("deliveries").asInt()).isZero();
	}

	@Test
	void releaseFromTheWorkerHoldingTheTaskQueuesItAgainAndALateReleaseFromAnotherIsIgnored() {
		String type = type("it.release");
		String id = this.api.accepted(type, "{}");
		TaskMessage task = this.wire.readTask(take(type));
		UUID first = UUID.randomUUID();
		UUID second = UUID.randomUUID();

		sendStarted(task, first, "stopping-worker");
		await().until(() -> "RUNNING".equals(this.api.status(id)));
		sendReleased(task, first, "stopping-worker");
		await().until(() -> "QUEUED".equals(this.api.status(id)));
		assertThat(this.api.task(id).get("workerId").isNull()).isTrue();

		sendStarted(task, second, "next-worker");
		await().until(() -> "RUNNING".equals(this.api.status(id)));
		// a release of the first delivery that comes late must not take the task from
		// the worker now running it
		sendReleased(task, first, "stopping-worker");
		sendResult(task, second, Outcome.SUCCEEDED, "\"done\"");
		await().until(() -> "SUCCEEDED".equals(this.api.status(id)));
		JsonNode view = this.api.task(id);
		assertThat(view.get("workerId").asString()).isEqualTo("test-worker");
		assertThat(view.get("deliveries").asInt()).isEqualTo(2);
		assertThat(view.get("duplicates").asInt()).isEqualTo(1);
	}

	@Test
	void metersAndHealthDescribeTasksQueuesAndTimings() {
		String type = type("it-meters");
		String waiting = this.api.accepted(type, "1");
		await().until(() -> "QUEUED".equals(this.api.status(waiting)));
		// one task waits in its queue, as the broker reports it
		await().until(() -> gauge("warren.queue.messages", "type", type) == 1.0);
		assertThat(gauge("warren.queue.consumers", "type", type)).isZero();
		await().until(() -> gauge("warren.tasks.by-status", "type", type, "status", "QUEUED") == 1.0);

		TaskMessage task = this.wire.readTask(take(type));
		UUID delivery = UUID.randomUUID();
		sendStarted(task, delivery);
		sendResult(task, delivery, Outcome.SUCCEEDED, "1");
		await().until(() -> "SUCCEEDED".equals(this.api.status(waiting)));

		// the status gauges count active tasks only; finished ones are counted by
		// warren.tasks.completed
		await().until(() -> gauge("warren.tasks.by-status", "type", type, "status", "QUEUED") == 0.0
				&& gauge("warren.tasks.by-status", "type", type, "status", "RUNNING") == 0.0);
		assertThat(this.meters.find("warren.tasks.by-status").tag("status", "SUCCEEDED").gauge()).isNull();
		// meters move once the transaction has committed, just after the status is
		// visible
		await().untilAsserted(() -> {
			assertThat(this.meters.get("warren.tasks.queue-wait").tag("type", type).timer().count()).isEqualTo(1);
			assertThat(this.meters.get("warren.tasks.end-to-end").tag("type", type).timer().count()).isEqualTo(1);
			assertThat(this.meters.get("warren.tasks.submitted").tag("type", type).counter().count()).isEqualTo(1);
			assertThat(this.meters.get("warren.tasks.completed")
				.tags("type", type, "outcome", "SUCCEEDED")
				.counter()
				.count()).isEqualTo(1);
			assertThat(this.meters.get("warren.tasks.duplicates").tag("type", type).counter().count()).isZero();
		});
		await().until(() -> gauge("warren.queue.messages", "type", type) == 0.0);

		String scrape = this.api.text("/actuator/prometheus");
		assertThat(scrape).contains("warren_tasks_by_status{", "warren_queue_messages{", "warren_queue_consumers{",
				"warren_tasks_queue_wait_seconds_bucket{", "warren_tasks_end_to_end_seconds_bucket{",
				"warren_tasks_submitted_total{", "warren_tasks_completed_total{", "warren_tasks_duplicates_total{",
				"warren_relay_republished_total");
		assertThat(this.api.health(null, "consumers")).isEqualTo("UP");
		assertThat(this.api.health(null, "relay")).isEqualTo("UP");
		assertThat(this.api.health(null, "rabbit")).isEqualTo("UP");
		assertThat(this.api.health(null, "db")).isEqualTo("UP");
		assertThat(this.api.health("readiness", null)).isEqualTo("UP");
		assertThat(this.api.health("liveness", null)).isEqualTo("UP");
	}

	/**
	 * Plays a worker written in another language from docs/protocol.md alone: the plain
	 * RabbitMQ client, names, arguments, bindings, properties and JSON fields as the
	 * document gives them, and a task type with dots in it.
	 */
	@Test
	void workerWrittenFromTheProtocolDocumentServesADottedType() throws Exception {
		String type = type("pdf.render.a4");
		String id = this.api.accepted(type, "{\"pages\":3}");
		String p = prefix() + "warren.v1.";
		com.rabbitmq.client.ConnectionFactory factory = plainClient();
		List<String> returned = new ArrayList<>();
		try (com.rabbitmq.client.Connection connection = factory.newConnection();
				com.rabbitmq.client.Channel channel = connection.createChannel()) {
			// §4 step 1: confirm mode, and a listener for basic.return
			channel.confirmSelect();
			channel.addReturnListener((ret) -> returned.add(ret.getReplyText()));
			// §2: the topology, declared with exactly the documented arguments
			channel.exchangeDeclare(p + "tasks", "direct", true);
			channel.exchangeDeclare(p + "results", "topic", true);
			channel.exchangeDeclare(p + "dead-letter", "fanout", true);
			for (String queue : List.of("replies", "dead-letters", "parked")) {
				channel.queueDeclare(p + queue, true, false, false, Map.of("x-queue-type", "quorum"));
			}
			for (String key : List.of("started.#", "result.#", "released.#")) {
				channel.queueBind(p + "replies", p + "results", key);
			}
			channel.queueBind(p + "dead-letters", p + "dead-letter", "");
			String queue = p + "task." + type;
			channel.queueDeclare(queue, true, false, false,
					Map.of("x-queue-type", "quorum", "x-delivery-limit", DELIVERY_LIMIT, "x-dead-letter-exchange",
							p + "dead-letter", "x-dead-letter-strategy", "at-least-once", "x-overflow",
							"reject-publish"));
			channel.queueBind(queue, p + "tasks", type);
			channel.basicQos(1);

			// §4 step 4.1: a delivery, with manual acknowledgement
			com.rabbitmq.client.GetResponse[] got = new com.rabbitmq.client.GetResponse[1];
			await().until(() -> (got[0] = channel.basicGet(queue, false)) != null);
			com.rabbitmq.client.AMQP.BasicProperties in = got[0].getProps();
			assertThat(in.getHeaders().get("x-warren-protocol")).isEqualTo(1);
			JsonNode task = this.wire.json().readTree(got[0].getBody());
			assertThat(task.get("id").asString()).isEqualTo(in.getMessageId()).isEqualTo(id);
			assertThat(task.get("type").asString()).isEqualTo(type);
			int attempt = task.get("attempt").asInt();
			String common = "\"taskId\":\"" + id + "\",\"type\":\"" + type + "\",\"attempt\":" + attempt
					+ ",\"deliveryId\":\"" + UUID.randomUUID() + "\",\"workerId\":\"php-7\",\"redelivered\":"
					+ got[0].getEnvelope().isRedeliver();
			String startedAt = Instant.now().toString();

			// §4 step 4.2: the started notice, confirmed before the handler runs
			publishReply(channel, p, "started." + type, id, attempt, "warren.started",
					"{" + common + ",\"startedAt\":\"" + startedAt + "\"}");
			int pages = task.get("payload").get("pages").asInt();
			// §4 steps 4.4 and 4.5: the result, confirmed, then the ack
			publishReply(channel, p, "result." + type, id, attempt, "warren.result",
					"{" + common + ",\"outcome\":\"SUCCEEDED\",\"result\":{\"pdf\":\"" + pages
							+ " pages\"},\"error\":null,\"startedAt\":\"" + startedAt + "\",\"finishedAt\":\""
							+ Instant.now() + "\"}");
			assertThat(returned).as("replies returned as unroutable").isEmpty();
			channel.basicAck(got[0].getEnvelope().getDeliveryTag(), false);
		}

		await().until(() -> "SUCCEEDED".equals(this.api.status(id)));
		JsonNode recorded = this.api.task(id);
		assertThat(recorded.get("result").get("pdf").asString()).isEqualTo("3 pages");
		assertThat(recorded.get("workerId").asString()).isEqualTo("php-7");
		assertThat(recorded.get("deliveries").asInt()).isEqualTo(1);
		assertThat(recorded.get("duplicates").asInt()).isZero();
	}

	/**
	 * A worker that follows docs/protocol.md §3.7 and §3.8 with a plain AMQP client: its
	 * own control queue, a hello answered with the paused types, a cancel of the task it
	 * runs, and its report of the stop.
	 */
	@Test
	void workerWrittenFromTheProtocolDocumentFollowsTheControlChannel() throws Exception {
		String type = type("php.control");
		String p = prefix() + "warren.v1.";
		assertThat(this.api.post("/api/v1/types/php.control.paused/pause", "").status()).isEqualTo(200);
		String id = this.api.post("/api/v1/tasks", "{\"type\":\"" + type + "\",\"payload\":{},\"timeout\":\"PT90S\"}")
			.body()
			.get("id")
			.asString();
		com.rabbitmq.client.ConnectionFactory factory = plainClient();
		String workerId = "php-" + UUID.randomUUID();
		try (com.rabbitmq.client.Connection connection = factory.newConnection();
				com.rabbitmq.client.Channel channel = connection.createChannel()) {
			channel.confirmSelect();
			// §2: the control exchange, this worker's own queue bound to it, and the
			// heartbeats queue with exactly its documented arguments
			channel.exchangeDeclare(p + "control", "fanout", true);
			channel.exchangeDeclare(p + "results", "topic", true);
			String control = p + "control." + UUID.randomUUID();
			channel.queueDeclare(control, false, true, true, null);
			channel.queueBind(control, p + "control", "");
			channel.queueDeclare(p + "heartbeats", true, false, false,
					Map.of("x-queue-type", "classic", "x-message-ttl", 60000));
			channel.queueBind(p + "heartbeats", p + "results", "heartbeat");
			String now = Instant.now().toString();
			// §3.8: the hello, answered with the paused types
			String hello = "{\"workerId\":\"" + workerId
					+ "\",\"event\":\"hello\",\"state\":\"RUNNING\",\"host\":\"web-9\","
					+ "\"version\":\"1.0.0\",\"intervalMs\":60000,\"startedAt\":\"" + now + "\",\"sentAt\":\"" + now
					+ "\",\"types\":[{\"type\":\"" + type + "\",\"concurrency\":1,\"paused\":false,\"stopped\":null},"
					+ "{\"type\":\"php.control.paused\",\"concurrency\":1,\"paused\":false,\"stopped\":null}],\"running\":[]}";
			channel.basicPublish(p + "results", "heartbeat", false, transient_("warren.heartbeat"),
					hello.getBytes(StandardCharsets.UTF_8));
			JsonNode state = nextControl(channel, control, "state", null);
			assertThat(state.get("pausedTypes").toString()).contains("php.control.paused");
			await().until(() -> this.api.get("/api/v1/workers/" + workerId).status() == 200);
			assertThat(this.api.get("/api/v1/workers/" + workerId).body().get("host").asString()).isEqualTo("web-9");

			// §3.2: the task message carries its timeout; §3.3 the started notice
			com.rabbitmq.client.GetResponse[] got = new com.rabbitmq.client.GetResponse[1];
			await().ignoreExceptions().until(() -> (got[0] = channel.basicGet(p + "task." + type, false)) != null);
			JsonNode task = this.wire.json().readTree(got[0].getBody());
			assertThat(task.get("timeoutMs").asLong()).isEqualTo(90_000);
			String common = "\"taskId\":\"" + id + "\",\"type\":\"" + type + "\",\"attempt\":1,\"deliveryId\":\""
					+ UUID.randomUUID() + "\",\"workerId\":\"" + workerId + "\",\"redelivered\":false";
			publishReply(channel, p, "started." + type, id, 1, "warren.started",
					"{" + common + ",\"startedAt\":\"" + now + "\"}");
			await().until(() -> "RUNNING".equals(this.api.status(id)));

			// §3.7: the cancel, then the worker's report of the stop (§3.4)
			assertThat(this.api.post("/api/v1/tasks/" + id + "/cancel", "").status()).isEqualTo(202);
			JsonNode cancel = nextControl(channel, control, "cancel", id);
			assertThat(cancel.get("attempt").asInt()).isEqualTo(1);
			publishReply(channel, p, "result." + type, id, 1, "warren.result",
					"{" + common + ",\"outcome\":\"FAILED\",\"result\":null,\"error\":{\"code\":\"CANCELLED\","
							+ "\"message\":\"cancelled while it ran\",\"retryable\":false},\"startedAt\":\"" + now
							+ "\",\"finishedAt\":\"" + Instant.now() + "\"}");
			channel.basicAck(got[0].getEnvelope().getDeliveryTag(), false);
			await().until(() -> "CANCELLED".equals(this.api.status(id)));
		}
		this.api.post("/api/v1/types/php.control.paused/resume", "");
	}

	/** A plain AMQP client of the test broker, as a worker in another language has. */
	private static com.rabbitmq.client.ConnectionFactory plainClient() {
		com.rabbitmq.client.ConnectionFactory factory = new com.rabbitmq.client.ConnectionFactory();
		TestBroker.Endpoint endpoint = TestBroker.endpoint();
		factory.setHost(endpoint.host());
		factory.setPort(endpoint.port());
		factory.setUsername(endpoint.username());
		factory.setPassword(endpoint.password());
		return factory;
	}

	private static com.rabbitmq.client.AMQP.BasicProperties transient_(String kind) {
		return new com.rabbitmq.client.AMQP.BasicProperties.Builder().deliveryMode(1)
			.contentType("application/json")
			.contentEncoding("utf-8")
			.type(kind)
			.headers(Map.of("x-warren-protocol", 1))
			.build();
	}

	/** The next control message of the kind (and task) on a plain AMQP queue. */
	private JsonNode nextControl(com.rabbitmq.client.Channel channel, String queue, String kind, String taskId) {
		JsonNode[] found = new JsonNode[1];
		await().until(() -> {
			com.rabbitmq.client.GetResponse response = channel.basicGet(queue, true);
			if (response == null) {
				return false;
			}
			assertThat(response.getProps().getType()).isEqualTo("warren.control");
			JsonNode message = this.wire.json().readTree(response.getBody());
			if (message.get("kind").asString().equals(kind)
					&& (taskId == null || taskId.equals(message.get("taskId").asString()))) {
				found[0] = message;
				return true;
			}
			return false;
		});
		return found[0];
	}

	private static void publishReply(com.rabbitmq.client.Channel channel, String p, String routingKey, String taskId,
			int attempt, String kind, String json) throws Exception {
		com.rabbitmq.client.AMQP.BasicProperties properties = new com.rabbitmq.client.AMQP.BasicProperties.Builder()
			.deliveryMode(2)
			.contentType("application/json")
			.contentEncoding("utf-8")
			.messageId(taskId)
			.correlationId(taskId)
			.type(kind)
			.timestamp(new java.util.Date())
			.appId("php-worker")
			.headers(Map.of("x-warren-protocol", 1, "x-warren-attempt", attempt))
			.build();
		channel.basicPublish(p + "results", routingKey, true, properties, json.getBytes(StandardCharsets.UTF_8));
		channel.waitForConfirmsOrDie(10_000);
	}

	@Test
	void repliesQueueDeletedUnderTheRunningMasterIsDeclaredAgainAndRepliesFlow() {
		String type = type("it.redeclare");
		org.springframework.amqp.rabbit.core.RabbitAdmin admin = new org.springframework.amqp.rabbit.core.RabbitAdmin(
				this.broker);
		admin.deleteQueue(this.topology.replyQueue());

		await().until(() -> admin.getQueueInfo(this.topology.replyQueue()) != null);
		String id = this.api.accepted(type, "1");
		TaskMessage task = this.wire.readTask(take(type));
		sendResult(task, UUID.randomUUID(), Outcome.SUCCEEDED, "2");

		await().until(() -> "SUCCEEDED".equals(this.api.status(id)));
	}

	@Test
	void batchWithOneBadTaskIsRefusedWholeAndNamesItsIndexAndField() {
		String type = type("it.batch.bad");
		WarrenApi.Answer answer = this.api.post("/api/v1/tasks/batch",
				"{\"tasks\":[{\"type\":\"" + type + "\",\"payload\":1},{\"type\":\"" + type
						+ "\",\"payload\":2},{\"type\":\"Not Valid\",\"payload\":3}]}");

		assertThat(answer.status()).isEqualTo(400);
		assertThat(answer.contentType()).startsWith("application/problem+json");
		assertThat(answer.body().get("field").asString()).isEqualTo("tasks[2].type");
		assertThat(this.api.get("/api/v1/tasks?type=" + type).body().get("items")).isEmpty();
		WarrenApi.Answer missingPayload = this.api.post("/api/v1/tasks/batch",
				"{\"tasks\":[{\"type\":\"" + type + "\",\"payload\":1},{\"type\":\"" + type + "\"}]}");
		assertThat(missingPayload.body().get("field").asString()).isEqualTo("tasks[1].payload");
		assertThat(this.api.post("/api/v1/tasks/batch", "{\"tasks\":[]}").body().get("field").asString())
			.isEqualTo("tasks");
		WarrenApi.Answer overLimit = this.api.post("/api/v1/tasks/batch", batchOf(type, 1001));
		assertThat(overLimit.status()).isEqualTo(400);
		assertThat(overLimit.body().get("detail").asString()).contains("at most 1000");
		// a refused batch registers none of its types: no gauge ever appears for this one
		await().during(java.time.Duration.ofSeconds(1))
			.atMost(java.time.Duration.ofSeconds(5))
			.until(() -> this.meters.find("warren.tasks.by-status").tag("type", type).gauge() == null);
	}

	@Test
	void batchIsStoredWholeAndAnsweredWithTheIdsInOrder() {
		String type = type("it.batch.good");
		WarrenApi.Answer answer = this.api.post("/api/v1/tasks/batch", batchOf(type, 50));

		assertThat(answer.status()).isEqualTo(202);
		List<String> ids = new ArrayList<>();
		answer.body().get("ids").forEach((id) -> ids.add(id.asString()));
		assertThat(ids).hasSize(50);
		for (int i = 0; i < ids.size(); i++) {
			assertThat(this.api.task(ids.get(i)).get("payload").get("n").asInt()).isEqualTo(i);
		}
		await().until(() -> ids.stream().allMatch((id) -> "QUEUED".equals(this.api.status(id))));
	}

	@Test
	void delayedTaskWaitsScheduledAndIsPublishedWhenDue() {
		String type = type("it.delayed");
		WarrenApi.Answer answer = this.api.post("/api/v1/tasks",
				"{\"type\":\"" + type + "\",\"payload\":{\"n\":1},\"delay\":1500}");
		assertThat(answer.status()).isEqualTo(202);
		assertThat(answer.body().get("status").asString()).isEqualTo("SCHEDULED");
		Instant runAt = Instant.parse(answer.body().get("runAt").asString());
		String id = answer.body().get("id").asString();
		assertThat(runAt).isAfter(Instant.parse(answer.body().get("createdAt").asString()).plusMillis(1400));
		assertThat(this.api.task(id).get("status").asString()).isEqualTo("SCHEDULED");
		JsonNode listed = this.api.get("/api/v1/tasks?status=SCHEDULED&type=" + type).body().get("items");
		assertThat(listed.get(0).get("runAt").asString()).isEqualTo(runAt.toString());

		Message message = take(type);

		assertThat(Instant.now()).as("not published before its time").isAfterOrEqualTo(runAt);
		// the relay passes every 200 ms here (1 s by default)
		assertThat(Instant.now()).as("published soon after it").isBefore(runAt.plusSeconds(3));
		assertThat(this.wire.readTask(message).attempt()).isEqualTo(1);
		await().until(() -> "QUEUED".equals(this.api.status(id)));
		assertThat(this.api.task(id).get("runAt").isNull()).isTrue();

		String now = this.api.accepted(type, "{}");
		String past = this.api
			.post("/api/v1/tasks",
					"{\"type\":\"" + type + "\",\"payload\":2,\"runAt\":\"2020-01-01T00:00:00Z\",\"maxAttempts\":2}")
			.body()
			.get("id")
			.asString();
		assertThat(this.api.task(past).get("maxAttempts").asInt()).isEqualTo(2);
		await().until(() -> "QUEUED".equals(this.api.status(past)) && "QUEUED".equals(this.api.status(now)));
		take(type);
		take(type);
	}

	@Test
	void delayRunAtAndMaxAttemptsAreValidated() {
		String type = type("it.delayed.bad");
		String[][] cases = { { "\"delay\":1000,\"runAt\":\"2030-01-01T00:00:00Z\"", "delay" },
				{ "\"delay\":\"soon\"", "delay" }, { "\"delay\":-5", "delay" }, { "\"delay\":\"PT-5S\"", "delay" },
				{ "\"delay\":1.5", "delay" }, { "\"delay\":\"P400D\"", "delay" }, { "\"runAt\":\"tomorrow\"", "runAt" },
				{ "\"runAt\":\"2030-01-01T00:00:00\"", "runAt" }, { "\"runAt\":\"9999-01-01T00:00:00Z\"", "runAt" },
				{ "\"maxAttempts\":0", "maxAttempts" }, { "\"maxAttempts\":101", "maxAttempts" },
				{ "\"maxAttempts\":2.5", "maxAttempts" }, { "\"maxAttempts\":\"3\"", "maxAttempts" },
				{ "\"maxAttempts\":99999999999", "maxAttempts" } };
		for (String[] bad : cases) {
			WarrenApi.Answer answer = this.api.post("/api/v1/tasks",
					"{\"type\":\"" + type + "\",\"payload\":null," + bad[0] + "}");
			assertThat(answer.status()).as(bad[0]).isEqualTo(400);
			assertThat(answer.contentType()).as(bad[0]).startsWith("application/problem+json");
			assertThat(answer.body().get("detail").asString()).as(bad[0]).contains(bad[1]);
		}
		WarrenApi.Answer batch = this.api.post("/api/v1/tasks/batch", "{\"tasks\":[{\"type\":\"" + type
				+ "\",\"payload\":1,\"delay\":\"PT1H\"},{\"type\":\"" + type + "\",\"payload\":1,\"maxAttempts\":0}]}");
		assertThat(batch.status()).isEqualTo(400);
		assertThat(batch.body().get("field").asString()).isEqualTo("tasks[1].maxAttempts");
	}

	@Test
	void retryableFailuresAreRetriedAsNewAttemptsUntilOneSucceeds() {
		String type = type("it.retry");
		double retriedBefore = counter("warren.tasks.retried", type);
		String id = this.api.post("/api/v1/tasks", "{\"type\":\"" + type + "\",\"payload\":{},\"maxAttempts\":3}")
			.body()
			.get("id")
			.asString();
		TaskMessage first = this.wire.readTask(take(type));
		UUID delivery = UUID.randomUUID();
		sendStarted(first, delivery);
		sendResult(first, delivery, Outcome.FAILED, null);
		await().until(() -> !"RUNNING".equals(this.api.status(id)) && !"QUEUED".equals(this.api.status(id)));
		JsonNode retrying = this.api.task(id);
		if (retrying.get("status").asString().equals("RETRYING")) {
			assertThat(retrying.get("attempts").asInt()).isEqualTo(2);
			assertThat(retrying.get("runAt").isNull()).isFalse();
			assertThat(retrying.get("error").get("message").asString()).isEqualTo("it broke");
		}

		TaskMessage second = this.wire.readTask(take(type));
		assertThat(second.attempt()).isEqualTo(2);
		assertThat(second.payload()).isEqualTo(first.payload());
		sendResult(second, UUID.randomUUID(), Outcome.FAILED, null);
		TaskMessage third = this.wire.readTask(take(type));
		assertThat(third.attempt()).isEqualTo(3);
		sendResult(first, UUID.randomUUID(), Outcome.SUCCEEDED, "\"late\"");
		sendResult(third, UUID.randomUUID(), Outcome.SUCCEEDED, "\"third\"");

		await().until(() -> "SUCCEEDED".equals(this.api.status(id)));
		JsonNode view = this.api.task(id);
		assertThat(view.get("attempts").asInt()).isEqualTo(3);
		assertThat(view.get("result").asString()).as("the late result of attempt 1 is stale").isEqualTo("third");
		JsonNode history = view.get("history");
		assertThat(history).hasSize(3);
		assertThat(history.get(0).get("attempt").asInt()).isEqualTo(1);
		assertThat(history.get(0).get("outcome").asString()).isEqualTo("FAILED");
		assertThat(history.get(0).get("error").get("code").asString()).isEqualTo(TaskError.HANDLER_ERROR);
		assertThat(history.get(0).get("workerId").asString()).isEqualTo("test-worker");
		assertThat(history.get(0).get("deliveries").asInt()).isEqualTo(1);
		assertThat(history.get(0).get("startedAt").isNull()).isFalse();
		assertThat(history.get(1).get("outcome").asString()).isEqualTo("FAILED");
		assertThat(history.get(2).get("outcome").asString()).isEqualTo("SUCCEEDED");
		assertThat(history.get(2).get("error").isNull()).isTrue();
		await().until(() -> counter("warren.tasks.retried", type) == retriedBefore + 2);
	}

	@Test
	void policyOfTheTypeAndNonRetryableFailuresEndTasks() {
		String typed = type("it.retry.typed");
		String id = this.api.accepted(typed, "{}");
		sendResult(this.wire.readTask(take(typed)), UUID.randomUUID(), Outcome.FAILED, null);
		TaskMessage second = this.wire.readTask(take(typed));
		sendResult(second, UUID.randomUUID(), Outcome.FAILED, null);
		await().until(() -> "FAILED".equals(this.api.status(id)));
		assertThat(this.api.task(id).get("attempts").asInt()).as("warren.master.types.[it.retry.typed]").isEqualTo(2);

		String type = type("it.retry.not");
		String hard = this.api.post("/api/v1/tasks", "{\"type\":\"" + type + "\",\"payload\":{},\"maxAttempts\":5}")
			.body()
			.get("id")
			.asString();
		sendResult(this.wire.readTask(take(type)), "test-worker", Outcome.FAILED, null,
				new TaskError(TaskError.INVALID_PAYLOAD, "no such field", false));
		await().until(() -> "FAILED".equals(this.api.status(hard)));
		assertThat(this.api.task(hard).get("attempts").asInt()).isEqualTo(1);
		assertThat(this.api.task(hard).get("maxAttempts").asInt()).isEqualTo(5);
	}

	@Test
	void failedTaskIsRetriedByHandAtOnceWithAFreshBudgetAndOtherStatusesAreRefused() {
		String type = type("it.retry.hand");
		String id = this.api.accepted(type, "{\"x\":1}");
		TaskMessage first = this.wire.readTask(take(type));
		sendResult(first, UUID.randomUUID(), Outcome.FAILED, null);
		await().until(() -> "FAILED".equals(this.api.status(id)));

		WarrenApi.Answer retried = this.api.post("/api/v1/tasks/" + id + "/retry", "");

		assertThat(retried.status()).isEqualTo(200);
		assertThat(retried.body().get("status").asString()).isEqualTo("PENDING");
		assertThat(retried.body().get("attempts").asInt()).isEqualTo(2);
		assertThat(retried.body().get("error").isNull()).isTrue();
		assertThat(retried.body().get("history").get(0).get("outcome").asString()).isEqualTo("FAILED");
		TaskMessage second = this.wire.readTask(take(type));
		assertThat(second.attempt()).isEqualTo(2);
		await().until(() -> "QUEUED".equals(this.api.status(id)));
		WarrenApi.Answer notFailed = this.api.post("/api/v1/tasks/" + id + "/retry", "");
		assertThat(notFailed.status()).isEqualTo(409);
		assertThat(notFailed.contentType()).startsWith("application/problem+json");
		assertThat(notFailed.body().get("detail").asString()).contains("QUEUED");
		assertThat(notFailed.body().get("status").asInt()).isEqualTo(409);
		assertThat(notFailed.body().get("taskStatus").asString()).isEqualTo("QUEUED");
		sendResult(second, UUID.randomUUID(), Outcome.SUCCEEDED, "1");
		await().until(() -> "SUCCEEDED".equals(this.api.status(id)));
		assertThat(this.api.post("/api/v1/tasks/" + id + "/retry", "").status()).isEqualTo(409);
		assertThat(this.api.post("/api/v1/tasks/01a1fde9-da0a-7353-b273-4ef08103cba5/retry", "").status())
			.isEqualTo(404);
		assertThat(this.api.post("/api/v1/tasks/not-a-uuid/retry", "").status()).isEqualTo(400);
	}

	@Test
	void failedTasksAreBrowsedRetriedAndDeletedByFilterAndActiveOnesAreLeftAlone() {
		String type = type("it.bulk");
		List<String> failed = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			failed.add(this.api.accepted(type, "{\"i\":" + i + "}"));
			sendResult(this.wire.readTask(take(type)), "test-worker", Outcome.FAILED, null,
					new TaskError("BROKEN_IMAGE", "image " + i + " unreadable", true));
		}
		String succeeded = this.api.accepted(type, "{}");
		sendResult(this.wire.readTask(take(type)), UUID.randomUUID(), Outcome.SUCCEEDED, "1");
		String queued = this.api.accepted(type, "{}");
		await().until(() -> failed.stream().allMatch((id) -> "FAILED".equals(this.api.status(id)))
				&& "SUCCEEDED".equals(this.api.status(succeeded)) && "QUEUED".equals(this.api.status(queued)));
		take(type);

		JsonNode page = this.api.get("/api/v1/tasks?status=FAILED&type=" + type + "&errorCode=BROKEN_IMAGE").body();
		assertThat(page.get("items")).extracting((item) -> item.get("id").asString())
			.containsExactlyInAnyOrderElementsOf(failed);
		assertThat(page.get("items").get(0).get("errorCode").asString()).isEqualTo("BROKEN_IMAGE");
		assertThat(this.api.get("/api/v1/tasks?status=FAILED&type=" + type + "&errorCode=OTHER").body().get("items"))
			.isEmpty();
		assertThat(this.api.get("/api/v1/tasks?status=FAILED&type=" + type + "&since=2999-01-01T00:00:00Z")
			.body()
			.get("items")).isEmpty();
		assertThat(this.api.get("/api/v1/tasks?status=FAILED&type=" + type + "&since=2000-01-01T00:00:00Z")
			.body()
			.get("items")).hasSize(3);
		for (String bad : List.of("since=yesterday", "since=%2B300000-01-01T00:00:00Z", "since=-5000-01-01T00:00:00Z",
				"until=2026-01-01", "errorCode=%00", "errorCode=" + "X".repeat(65))) {
			WarrenApi.Answer refused = this.api.get("/api/v1/tasks?" + bad);
			assertThat(refused.status()).as(bad).isEqualTo(400);
			assertThat(refused.contentType()).as(bad).startsWith("application/problem+json");
		}

		assertThat(this.api.post("/api/v1/tasks/retry?type=" + type + "&errorcode=BROKEN_IMAGE", "").status())
			.as("a misspelt filter would retry more than asked")
			.isEqualTo(400);
		WarrenApi.Answer replay = this.api.post("/api/v1/tasks/retry?type=" + type + "&errorCode=BROKEN_IMAGE", "");
		assertThat(replay.status()).isEqualTo(200);
		assertThat(replay.body().get("count").asInt()).isEqualTo(3);
		assertThat(replay.body().get("more").asBoolean()).isFalse();
		String until = replay.body().get("until").asString();
		for (int i = 0; i < 3; i++) {
			TaskMessage again = this.wire.readTask(take(type));
			assertThat(again.attempt()).isEqualTo(2);
			sendResult(again, "test-worker", Outcome.FAILED, null, new TaskError("BROKEN_IMAGE", "again", false));
		}
		assertThat(this.api.post("/api/v1/tasks/retry?status=QUEUED", "").status()).isEqualTo(400);
		await().until(() -> failed.stream().allMatch((id) -> "FAILED".equals(this.api.status(id))));
		assertThat(
				this.api.post("/api/v1/tasks/retry?type=" + type + "&until=" + until, "").body().get("count").asInt())
			.as("failed again after the first request of the loop: not taken again by the same loop")
			.isZero();

		String keyed = this.api
			.post("/api/v1/tasks", "{\"type\":\"" + type + "\",\"payload\":{\"keyed\":1}}", "Idempotency-Key",
					"bulk-" + type)
			.body()
			.get("id")
			.asString();
		sendResult(this.wire.readTask(take(type)), "test-worker", Outcome.FAILED, null,
				new TaskError("BROKEN_IMAGE", "keyed", false));
		await().until(() -> "FAILED".equals(this.api.status(keyed)));
		failed.add(keyed);
		assertThat(this.api.request("DELETE", "/api/v1/tasks?status=FAILED&tpye=" + type, null).status())
			.isEqualTo(400);
		WarrenApi.Answer unfiltered = this.api.request("DELETE", "/api/v1/tasks?type=" + type, null);
		assertThat(unfiltered.status()).isEqualTo(400);
		assertThat(unfiltered.body().get("field").asString()).isEqualTo("status");
		assertThat(this.api.request("DELETE", "/api/v1/tasks?status=QUEUED&type=" + type, null).status())
			.isEqualTo(400);
		WarrenApi.Answer deleted = this.api.request("DELETE", "/api/v1/tasks?status=FAILED&type=" + type, null);
		assertThat(deleted.status()).isEqualTo(200);
		assertThat(deleted.body().get("count").asInt()).isEqualTo(4);
		failed.forEach((id) -> assertThat(this.api.get("/api/v1/tasks/" + id).status()).isEqualTo(404));
		WarrenApi.Answer replayOfDeleted = this.api.post("/api/v1/tasks",
				"{\"type\":\"" + type + "\",\"payload\":{\"keyed\":1}}", "Idempotency-Key", "bulk-" + type);
		assertThat(replayOfDeleted.status()).as("its key's task was deleted").isEqualTo(422);
		assertThat(replayOfDeleted.body().get("detail").asString()).contains("deleted");
		assertThat(this.api.status(succeeded)).isEqualTo("SUCCEEDED");
		assertThat(this.api.status(queued)).isEqualTo("QUEUED");
	}

	@Test
	void attemptWhoseDeliveriesAllStartAndNeverReportIsPoisonedAndItsNextDeliveryIsNotRun() {
		String type = type("it.poison");
		String id = this.api.accepted(type, "{}");
		TaskMessage task = this.wire.readTask(take(type));
		String answers = answerQueue();
		// handed back by a stopping worker: not a death
		UUID released = UUID.randomUUID();
		sendStarted(task, released, "stopping-worker");
		await().until(() -> "RUNNING".equals(this.api.status(id)));
		sendReleased(task, released, "stopping-worker");
		await().until(() -> "QUEUED".equals(this.api.status(id)));
		// default warren.master.max-deliveries: 5 starts without a result
		for (int i = 0; i < 5; i++) {
			sendStarted(task, UUID.randomUUID(), "dying-worker-" + i);
		}
		await().until(() -> this.api.task(id).get("deliveries").asInt() == 6);
		assertThat(this.api.status(id)).isEqualTo("RUNNING");

		UUID sixth = UUID.randomUUID();
		sendStartedAsking(task, sixth, answers);

		StartVerdict verdict = verdict(answers);
		assertThat(verdict.deliveryId()).isEqualTo(sixth);
		assertThat(verdict.run()).isFalse();
		assertThat(verdict.reason()).contains("poisoned");
		JsonNode view = this.api.task(id);
		assertThat(view.get("status").asString()).isEqualTo("FAILED");
		assertThat(view.get("error").get("code").asString()).isEqualTo("POISONED");
		assertThat(view.get("error").get("message").asString()).contains("started 5 times");
		assertThat(view.get("deliveries").asInt()).as("the delivery told not to run is not counted").isEqualTo(6);
		assertThat(view.get("attempts").asInt()).as("a poisoned task is not retried").isEqualTo(1);
	}

	@Test
	void redeliveryOfARunningTaskMayRunAndOneOfAFinishedTaskOrAnOldAttemptMayNot() {
		String type = type("it.verdict");
		String id = this.api.accepted(type, "{}");
		TaskMessage task = this.wire.readTask(take(type));
		String answers = answerQueue();
		UUID first = UUID.randomUUID();
		sendStarted(task, first);
		await().until(() -> "RUNNING".equals(this.api.status(id)));

		UUID second = UUID.randomUUID();
		sendStartedAsking(task, second, answers);
		assertThat(verdict(answers).run()).as("a redelivery of a running task runs: a counted duplicate").isTrue();
		sendResult(task, first, Outcome.SUCCEEDED, "1");
		await().until(() -> "SUCCEEDED".equals(this.api.status(id)));

		sendStartedAsking(task, UUID.randomUUID(), answers);
		StartVerdict finished = verdict(answers);
		assertThat(finished.run()).isFalse();
		assertThat(finished.reason()).contains("finished");
		sendStartedAsking(new TaskMessage(task.id(), type, 7, 0, task.payload(), task.createdAt()), UUID.randomUUID(),
				answers);
		assertThat(verdict(answers).reason()).contains("no longer");
		JsonNode view = this.api.task(id);
		assertThat(view.get("deliveries").asInt()).as("deliveries told not to run are not counted").isEqualTo(2);
		assertThat(view.get("duplicates").asInt()).isEqualTo(1);

		// a reply_to that names no verdict queue (here, another queue) is never answered:
		// the notice is one that did not ask, and counts
		String other = declareExclusive(prefix() + "not-verdicts." + UUID.randomUUID());
		sendStartedAsking(task, UUID.randomUUID(), other);
		await().until(() -> this.api.task(id).get("deliveries").asInt() == 3);
		sendStartedAsking(task, UUID.randomUUID(), answers);
		assertThat(verdict(answers).run()).isFalse();
		assertThat(this.worker.receive(other)).isNull();
	}

	@Test
	void taskNotYetRunningIsCancelledAtOnceNeverRunsAndAFinishedOneIsAConflict() {
		String type = type("it.cancel.queued");
		String control = controlQueue();
		String id = this.api.accepted(type, "{\"rows\":10000}");
		TaskMessage task = this.wire.readTask(take(type));
		await().until(() -> "QUEUED".equals(this.api.status(id)));

		WarrenApi.Answer cancelled = this.api.post("/api/v1/tasks/" + id + "/cancel", "");
		assertThat(cancelled.status()).isEqualTo(200);
		assertThat(cancelled.body().get("status").asString()).isEqualTo("CANCELLED");
		assertThat(cancelled.body().get("error").get("code").asString()).isEqualTo(TaskError.CANCELLED);
		assertThat(control(control, ControlMessage.CANCEL, task.id()).attempt()).isEqualTo(1);
		assertThat(counter("warren.tasks.cancelled", type)).isEqualTo(1);

		// a worker that missed the broadcast starts it: told again to stop it, and the
		// delivery is counted as the execution it is
		sendStarted(task, UUID.randomUUID(), "late-worker");
		assertThat(control(control, ControlMessage.CANCEL, task.id())).isNotNull();
		await().until(() -> this.api.task(id).get("deliveries").asInt() == 1);
		// its late result, success or failure, changes nothing
		sendResult(task, UUID.randomUUID(), Outcome.SUCCEEDED, "{\"done\":true}");
		sendResult(task, "late-worker", Outcome.FAILED, null,
				new TaskError(TaskError.CANCELLED, "cancelled while it ran", false));
		String barrier = this.api.accepted(type, "{}");
		TaskMessage barrierTask = this.wire.readTask(take(type));
		sendResult(barrierTask, UUID.randomUUID(), Outcome.SUCCEEDED, "1");
		await().until(() -> "SUCCEEDED".equals(this.api.status(barrier)));
		JsonNode view = this.api.task(id);
		assertThat(view.get("status").asString()).isEqualTo("CANCELLED");
		assertThat(view.get("result").isNull()).isTrue();

		WarrenApi.Answer again = this.api.post("/api/v1/tasks/" + id + "/cancel", "");
		assertThat(again.status()).isEqualTo(409);
		assertThat(again.contentType()).startsWith("application/problem+json");
		assertThat(again.body().get("taskStatus").asString()).isEqualTo("CANCELLED");
		assertThat(this.api.post("/api/v1/tasks/" + barrier + "/cancel", "").body().get("taskStatus").asString())
			.isEqualTo("SUCCEEDED");
		assertThat(this.api.post("/api/v1/tasks/" + UUID.randomUUID() + "/cancel", "").status()).isEqualTo(404);
		assertThat(this.api.post("/api/v1/tasks/not-an-id/cancel", "").status()).isEqualTo(400);

		// a delayed task cancelled while it waits is never published
		String later = this.api.post("/api/v1/tasks", "{\"type\":\"" + type + "\",\"payload\":{},\"delay\":\"PT1S\"}")
			.body()
			.get("id")
			.asString();
		assertThat(this.api.post("/api/v1/tasks/" + later + "/cancel", "").body().get("status").asString())
			.isEqualTo("CANCELLED");
		String after = this.api.post("/api/v1/tasks", "{\"type\":\"" + type + "\",\"payload\":{},\"delay\":1500}")
			.body()
			.get("id")
			.asString();
		TaskMessage published = this.wire.readTask(take(type));
		assertThat(published.id()).as("the delayed task due after the cancelled one").hasToString(after);
	}

	@Test
	void runningTaskEndsCancelledWhenItsWorkerStopsItAndOneThatFinishesFirstKeepsItsResult() {
		String type = type("it.cancel.running");
		String control = controlQueue();
		String id = this.api.accepted(type, "{}");
		TaskMessage task = this.wire.readTask(take(type));
		UUID delivery = UUID.randomUUID();
		sendStarted(task, delivery, "busy-worker");
		await().until(() -> "RUNNING".equals(this.api.status(id)));

		WarrenApi.Answer asked = this.api.post("/api/v1/tasks/" + id + "/cancel", "");
		assertThat(asked.status()).isEqualTo(202);
		assertThat(asked.body().get("status").asString()).isEqualTo("RUNNING");
		assertThat(asked.body().get("cancelRequestedAt").isNull()).isFalse();
		assertThat(control(control, ControlMessage.CANCEL, task.id())).isNotNull();
		assertThat(this.api.post("/api/v1/tasks/" + id + "/cancel", "").status()).as("asked again").isEqualTo(202);
		sendResult(task, "busy-worker", Outcome.FAILED, null,
				new TaskError(TaskError.CANCELLED, "cancelled while it ran", false));
		await().until(() -> "CANCELLED".equals(this.api.status(id)));
		assertThat(this.api.task(id).get("history")).hasSize(1);
		// late replies of the ended task (a second delivery's result, a release) change
		// nothing and are neither refused nor parked
		double parked = parked();
		sendResult(task, "other-worker", Outcome.FAILED, null, new TaskError(TaskError.TIMED_OUT, "late", true));
		sendReleased(task, delivery, "busy-worker");
		String barrier = this.api.accepted(type, "{}");
		TaskMessage barrierTask = this.wire.readTask(take(type));
		sendResult(barrierTask, UUID.randomUUID(), Outcome.SUCCEEDED, "1");
		await().until(() -> "SUCCEEDED".equals(this.api.status(barrier)));
		assertThat(this.api.status(id)).isEqualTo("CANCELLED");
		assertThat(this.api.task(id).get("error").get("code").asString()).isEqualTo(TaskError.CANCELLED);
		assertThat(parked()).isEqualTo(parked);

		// the handler returned before the cancel reached it: its result stands
		String quick = this.api.accepted(type, "{}");
		TaskMessage quickTask = this.wire.readTask(take(type));
		sendStarted(quickTask, UUID.randomUUID());
		await().until(() -> "RUNNING".equals(this.api.status(quick)));
		assertThat(this.api.post("/api/v1/tasks/" + quick + "/cancel", "").status()).isEqualTo(202);
		sendResult(quickTask, UUID.randomUUID(), Outcome.SUCCEEDED, "42");
		await().until(() -> "SUCCEEDED".equals(this.api.status(quick)));

		// a worker that stops hands a cancelled task back: it ends, it is not queued
		// again
		String handed = this.api.accepted(type, "{}");
		TaskMessage handedTask = this.wire.readTask(take(type));
		UUID handedDelivery = UUID.randomUUID();
		sendStarted(handedTask, handedDelivery, "stopping-worker");
		await().until(() -> "RUNNING".equals(this.api.status(handed)));
		this.api.post("/api/v1/tasks/" + handed + "/cancel", "");
		sendReleased(handedTask, handedDelivery, "stopping-worker");
		await().until(() -> "CANCELLED".equals(this.api.status(handed)));
	}

	@Test
	void tasksAreCancelledByFilterAndTheFilterIsChecked() {
		String type = type("it.cancel.bulk");
		// a running task whose cancel was asked for before: not taken, not counted again
		String running = this.api.accepted(type, "{}");
		sendStarted(this.wire.readTask(take(type)), UUID.randomUUID());
		await().until(() -> "RUNNING".equals(this.api.status(running)));
		assertThat(this.api.post("/api/v1/tasks/" + running + "/cancel", "").status()).isEqualTo(202);
		List<String> ids = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			ids.add(this.api.accepted(type, "{\"i\":" + i + "}"));
		}
		String other = this.api.accepted(type("it.cancel.bulk.other"), "{}");
		await().until(() -> ids.stream().allMatch((id) -> "QUEUED".equals(this.api.status(id))));

		assertThat(this.api.post("/api/v1/tasks/cancel", "").status()).as("no filter").isEqualTo(400);
		assertThat(this.api.post("/api/v1/tasks/cancel?status=SUCCEEDED", "").status()).isEqualTo(400);
		assertThat(this.api.post("/api/v1/tasks/cancel?typo=" + type, "").status()).isEqualTo(400);
		WarrenApi.Answer answer = this.api.post("/api/v1/tasks/cancel?type=" + type, "");
		assertThat(answer.status()).isEqualTo(200);
		assertThat(answer.body().get("count").asInt()).isEqualTo(3);
		assertThat(answer.body().get("more").asBoolean()).isFalse();
		assertThat(ids).allSatisfy((id) -> assertThat(this.api.status(id)).isEqualTo("CANCELLED"));
		assertThat(this.api.status(other)).isNotEqualTo("CANCELLED");
		assertThat(this.api.post("/api/v1/tasks/cancel?type=" + type, "").body().get("count").asInt()).isZero();
		assertThat(this.api.status(running)).isEqualTo("RUNNING");
	}

	@Test
	void taskMessageCarriesTheTasksOwnTimeoutElseItsTypesAndTimeoutsAreValidated() {
		String type = type("it.timeout.typed");
		String own = this.api.post("/api/v1/tasks", "{\"type\":\"" + type + "\",\"payload\":{},\"timeout\":\"PT2M\"}")
			.body()
			.get("id")
			.asString();
		assertThat(this.wire.readTask(take(type)).timeoutMs()).isEqualTo(120_000L);
		assertThat(this.api.task(own).get("timeoutMs").asLong()).isEqualTo(120_000L);
		this.api.accepted(type, "{}");
		assertThat(this.wire.readTask(take(type)).timeoutMs()).as("the type's, on the master").isEqualTo(45_000L);
		String untimed = type("it.timeout.none");
		this.api.post("/api/v1/tasks", "{\"type\":\"" + untimed + "\",\"payload\":{},\"timeout\":1500}");
		assertThat(this.wire.readTask(take(untimed)).timeoutMs()).isEqualTo(1500L);
		this.api.accepted(untimed, "{}");
		assertThat(this.wire.readTask(take(untimed)).timeoutMs()).as("left to the worker").isNull();

		for (String bad : List.of("0", "-5", "\"soon\"", "\"PT0S\"", "2.5", "\"P400D\"", "true",
				"99999999999999999999")) {
			WarrenApi.Answer answer = this.api.post("/api/v1/tasks",
					"{\"type\":\"" + untimed + "\",\"payload\":{},\"timeout\":" + bad + "}");
			assertThat(answer.status()).as("timeout %s", bad).isEqualTo(400);
			assertThat(answer.body().get("field").asString()).as("timeout %s", bad).isEqualTo("timeout");
		}
	}

	@Test
	void heartbeatsFillTheRegistryAndAWorkerIsLostAfterThreeMissedBeatsOrStoppedByItsGoodbye() {
		String type = type("it.registry");
		String id = this.api.accepted(type, "{}");
		TaskMessage task = this.wire.readTask(take(type));
		UUID delivery = UUID.randomUUID();
		String worker = "php-worker-" + UUID.randomUUID();
		Instant started = Instant.now();
		sendStarted(task, delivery, worker);
		sendHeartbeat(new Heartbeat(worker, Heartbeat.HELLO, "RUNNING", "web-3", "1.2.0", 60_000, started,
				Instant.now(), List.of(new Heartbeat.TypeState(type, 4, false, null)),
				List.of(new Heartbeat.RunningTask(task.id(), type, 1, delivery, started, null))));

		await().until(() -> this.api.get("/api/v1/workers/" + worker).status() == 200);
		JsonNode listed = this.api.get("/api/v1/workers/" + worker).body();
		assertThat(listed.get("state").asString()).isEqualTo("RUNNING");
		assertThat(listed.get("host").asString()).isEqualTo("web-3");
		assertThat(listed.get("types").get(0).get("concurrency").asInt()).isEqualTo(4);
		assertThat(listed.get("running").get(0).get("taskId").asString()).isEqualTo(id);
		assertThat(this.api.get("/api/v1/workers").body().get("items").findValuesAsString("id")).contains(worker);
		assertThat(this.api.get("/api/v1/workers/" + UUID.randomUUID()).status()).isEqualTo(404);
		await().until(() -> gauge("warren.workers", "state", "RUNNING") >= 1);

		// a beat that shortens its interval to 200 ms, then none for three intervals:
		// lost
		sendHeartbeat(new Heartbeat(worker, Heartbeat.BEAT, "RUNNING", "web-3", "1.2.0", 200, started, Instant.now(),
				List.of(new Heartbeat.TypeState(type, 4, false, null)), List.of()));
		await().until(() -> "LOST".equals(this.api.get("/api/v1/workers/" + worker).body().get("state").asString()));
		await().until(() -> gauge("warren.workers", "state", "LOST") >= 1);
		// back (a long GC pause): live again, then a goodbye
		sendHeartbeat(new Heartbeat(worker, Heartbeat.BEAT, "DRAINING", "web-3", "1.2.0", 200, started, Instant.now(),
				List.of(), List.of()));
		await()
			.until(() -> "DRAINING".equals(this.api.get("/api/v1/workers/" + worker).body().get("state").asString()));
		sendHeartbeat(new Heartbeat(worker, Heartbeat.GOODBYE, "STOPPED", "web-3", "1.2.0", 200, started, Instant.now(),
				List.of(), List.of()));
		await().until(() -> "STOPPED".equals(this.api.get("/api/v1/workers/" + worker).body().get("state").asString()));
		// a beat of the same run that comes after its goodbye does not bring it back
		sendHeartbeat(new Heartbeat(worker, Heartbeat.BEAT, "RUNNING", "web-3", "1.2.0", 200, started, Instant.now(),
				List.of(), List.of()));
		String barrier = "barrier-" + UUID.randomUUID();
		sendHeartbeat(new Heartbeat(barrier, Heartbeat.BEAT, "RUNNING", "h", "1", 60_000, started, Instant.now(),
				List.of(), List.of()));
		await().until(() -> this.api.get("/api/v1/workers/" + barrier).status() == 200);
		assertThat(this.api.get("/api/v1/workers/" + worker).body().get("state").asString()).isEqualTo("STOPPED");
		// a hostile heartbeat is dropped and the consumer goes on
		this.worker.send(this.topology.resultsExchange(), Topology.HEARTBEAT_ROUTING_KEY,
				this.wire.heartbeatMessage(new Heartbeat("x", Heartbeat.BEAT, "RUNNING", "h\u0000\u202e".repeat(200),
						"v".repeat(500), 1000, started, Instant.now(), List.of(), List.of())));
		String after = "after-" + UUID.randomUUID();
		sendHeartbeat(new Heartbeat(after, Heartbeat.HELLO, "RUNNING", "h", "1", 60_000, started, Instant.now(),
				List.of(), List.of()));
		await().until(() -> this.api.get("/api/v1/workers/" + after).status() == 200);
		assertThat(this.api.get("/api/v1/workers/x").body().get("host").asString()).doesNotContain("\u0000");
	}

	@Test
	void stoppedAndLostWorkersAreDeletedAfterTheRetentionAndLiveOnesKept() {
		String gone = "gone-" + UUID.randomUUID();
		String live = "live-" + UUID.randomUUID();
		Instant started = Instant.now();
		sendHeartbeat(new Heartbeat(gone, Heartbeat.GOODBYE, "STOPPED", "h", "1", 60_000, started, Instant.now(),
				List.of(), List.of()));
		sendHeartbeat(new Heartbeat(live, Heartbeat.HELLO, "RUNNING", "h", "1", 60_000, started, Instant.now(),
				List.of(), List.of()));
		await().until(() -> this.api.get("/api/v1/workers/" + gone).status() == 200
				&& this.api.get("/api/v1/workers/" + live).status() == 200);

		// as the check does once the retention (1 h by default) is over
		this.registry.purge(Instant.now().plus(java.time.Duration.ofMinutes(1)));
		assertThat(this.api.get("/api/v1/workers/" + gone).status()).isEqualTo(404);
		assertThat(this.api.get("/api/v1/workers/" + live).status()).isEqualTo(200);
	}

	@Test
	void runningTaskOfALostWorkerFailsWorkerLostAfterItsTimeoutAndGraceAndIsRetried() {
		String type = type("it.lost");
		String id = this.api
			.post("/api/v1/tasks", "{\"type\":\"" + type + "\",\"payload\":{},\"timeout\":300,\"maxAttempts\":2}")
			.body()
			.get("id")
			.asString();
		String cancelledId = this.api.accepted(type, "{}");
		String worker = "vanishing-" + UUID.randomUUID();
		Instant started = Instant.now();
		for (int i = 0; i < 2; i++) {
			sendStarted(this.wire.readTask(take(type)), UUID.randomUUID(), worker);
		}
		sendHeartbeat(new Heartbeat(worker, Heartbeat.HELLO, "RUNNING", "h", "1", 200, started, Instant.now(),
				List.of(new Heartbeat.TypeState(type, 2, false, null)), List.of()));
		await().until(() -> "RUNNING".equals(this.api.status(id)) && "RUNNING".equals(this.api.status(cancelledId)));
		assertThat(this.api.post("/api/v1/tasks/" + cancelledId + "/cancel", "").status()).isEqualTo(202);

		// the worker goes silent: lost after 3 x 200 ms, its tasks ended a grace period
		// (1 s here) after that and after their timeout
		// (RETRYING for the backoff of 100-400 ms here, then published again)
		await().atMost(java.time.Duration.ofSeconds(20)).until(() -> this.api.task(id).get("attempts").asInt() == 2);
		JsonNode ended = this.api.task(id).get("history").get(0);
		assertThat(ended.get("outcome").asString()).isEqualTo("FAILED");
		assertThat(ended.get("error").get("code").asString()).isEqualTo(TaskError.WORKER_LOST);
		assertThat(this.api.status(cancelledId)).isEqualTo("CANCELLED");
		TaskMessage second = this.wire.readTask(take(type));
		assertThat(second.attempt()).isEqualTo(2);
		assertThat(second.id()).hasToString(id);
	}

	@Test
	void pausedTypesAreBroadcastAndAnsweredToWorkersThatSayHelloOrDisagree() {
		String type = type("it.pause.type");
		String control = controlQueue();
		WarrenApi.Answer paused = this.api.post("/api/v1/types/" + type + "/pause", "");
		assertThat(paused.status()).isEqualTo(200);
		assertThat(paused.body().get("paused").asBoolean()).isTrue();
		assertThat(control(control, ControlMessage.PAUSE, null).type()).isEqualTo(type);
		assertThat(this.api.post("/api/v1/types/" + type + "/pause", "").status()).as("again").isEqualTo(200);
		JsonNode types = this.api.get("/api/v1/types").body().get("items");
		assertThat(types.findValuesAsString("type")).contains(type);

		String worker = "late-starter-" + UUID.randomUUID();
		sendHeartbeat(new Heartbeat(worker, Heartbeat.HELLO, "RUNNING", "h", "1", 60_000, Instant.now(), Instant.now(),
				List.of(new Heartbeat.TypeState(type, 1, false, null)), List.of()));
		assertThat(control(control, ControlMessage.STATE, null).pausedTypes()).contains(type);
		// a beat that disagrees (it missed the pause) is answered too
		sendHeartbeat(new Heartbeat(worker, Heartbeat.BEAT, "RUNNING", "h", "1", 60_000, Instant.now(), Instant.now(),
				List.of(new Heartbeat.TypeState(type, 1, false, null)), List.of()));
		assertThat(control(control, ControlMessage.STATE, null).pausedTypes()).contains(type);

		WarrenApi.Answer resumed = this.api.post("/api/v1/types/" + type + "/resume", "");
		assertThat(resumed.body().get("paused").asBoolean()).isFalse();
		assertThat(control(control, ControlMessage.RESUME, null).type()).isEqualTo(type);
		assertThat(this.api.post("/api/v1/types/Not%20Valid/pause", "").status()).isEqualTo(400);
	}

	@Test
	void healthShowsTypesWithWaitingTasksThatNoLiveWorkerTakes() {
		String type = type("it.unserved");
		this.api.accepted(type, "{}");
		await().until(() -> unserved().has(type));
		assertThat(this.api.health(null, "workers")).isEqualTo("UNSERVED");
		WarrenApi.Answer health = this.api.get("/actuator/health");
		assertThat(health.status()).as("the master itself is fine").isEqualTo(200);
		assertThat(health.body().get("status").asString()).isEqualTo("UP");

		sendHeartbeat(new Heartbeat("serving-" + UUID.randomUUID(), Heartbeat.HELLO, "RUNNING", "h", "1", 60_000,
				Instant.now(), Instant.now(), List.of(new Heartbeat.TypeState(type, 1, false, null)), List.of()));
		await().until(() -> !unserved().has(type));
	}

	private JsonNode unserved() {
		return this.api.get("/actuator/health")
			.body()
			.path("components")
			.path("workers")
			.path("details")
			.path("unservedTypes");
	}

	/** Messages parked so far, from any source. */
	double parked() {
		return this.meters.find("warren.messages.parked").counters().stream().mapToDouble((c) -> c.count()).sum();
	}

	/** A queue of the test's own bound to the control exchange, as a worker's. */
	String controlQueue() {
		String name = declareExclusive(this.topology.controlQueuePrefix() + UUID.randomUUID());
		new RabbitAdmin(this.broker).declareBinding(new org.springframework.amqp.core.Binding(name,
				org.springframework.amqp.core.Binding.DestinationType.QUEUE, this.topology.controlExchange(), "",
				null));
		return name;
	}

	/**
	 * The next control message of the kind (and task, if given) on the queue; others are
	 * skipped (other tests' broadcasts).
	 */
	ControlMessage control(String queue, String kind, UUID taskId) {
		long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
		while (System.nanoTime() < deadline) {
			Message message = this.worker.receive(queue, 1000);
			if (message == null) {
				continue;
			}
			assertThat(message.getMessageProperties().getType()).isEqualTo(ProtocolHeaders.CONTROL_TYPE);
			ControlMessage control = this.wire.readControl(message);
			if (control.kind().equals(kind) && (taskId == null || taskId.equals(control.taskId()))) {
				return control;
			}
		}
		throw new AssertionError("no " + kind + " control message within 10 s");
	}

	void sendHeartbeat(Heartbeat heartbeat) {
		this.worker.send(this.topology.resultsExchange(), Topology.HEARTBEAT_ROUTING_KEY,
				this.wire.heartbeatMessage(heartbeat));
	}

	/** A verdict queue of the test's own that the master's verdicts are sent to. */
	String answerQueue() {
		return declareExclusive(this.topology.verdictQueuePrefix() + UUID.randomUUID());
	}

	String declareExclusive(String name) {
		// exclusive: gone with the test's connection (not auto-delete: each receive
		// cancels its consumer)
		new RabbitAdmin(this.broker).declareQueue(new Queue(name, false, true, false));
		return name;
	}

	StartVerdict verdict(String queue) {
		Message answer = this.worker.receive(queue, 10_000);
		assertThat(answer).as("a verdict").isNotNull();
		assertThat(answer.getMessageProperties().getType()).isEqualTo(ProtocolHeaders.VERDICT_TYPE);
		return this.wire.readVerdict(answer);
	}

	void sendStartedAsking(TaskMessage task, UUID delivery, String replyTo) {
		this.worker.send(this.topology.resultsExchange(), Topology.startedRoutingKey(task.type()),
				this.wire.startedMessage(new StartedNotice(task.id(), task.type(), task.attempt(), delivery,
						"redelivered-worker", true, Instant.now()), replyTo));
	}

	@Test
	void failedResultRecordsTheError() {
		String type = type("it.fail.hard");
		String id = this.api.accepted(type, "{}");
		TaskMessage task = this.wire.readTask(take(type));

		sendResult(task, UUID.randomUUID(), Outcome.FAILED, null);

		await().until(() -> "FAILED".equals(this.api.status(id)));
		JsonNode error = this.api.task(id).get("error");
		assertThat(error.get("code").asString()).isEqualTo(TaskError.HANDLER_ERROR);
		assertThat(error.get("message").asString()).isEqualTo("it broke");
	}

	@Test
	void batchHoldingAnUnknownAStaleAndAMalformedReplyAppliesTheRestAndParksTheTwo() {
		String type = type("it.mixed");
		String first = this.api.accepted(type, "1");
		String second = this.api.accepted(type, "2");
		TaskMessage one = this.wire.readTask(take(type));
		TaskMessage two = this.wire.readTask(take(type));
		double staleBefore = stale();
		UUID unknown = UUID.randomUUID();

		// sent back to back: the consumer takes them as one batch, or a few
		sendResult(one, UUID.randomUUID(), Outcome.SUCCEEDED, "{\"n\":1}");
		sendResult(new TaskMessage(unknown, type, 1, 0, null, Instant.now()), UUID.randomUUID(), Outcome.SUCCEEDED,
				"0");
		sendMalformedResult(type);
		sendResult(new TaskMessage(two.id(), type, 7, 0, null, Instant.now()), UUID.randomUUID(), Outcome.FAILED, null);
		sendResult(two, UUID.randomUUID(), Outcome.SUCCEEDED, "{\"n\":2}");

		await().until(() -> "SUCCEEDED".equals(this.api.status(first)) && "SUCCEEDED".equals(this.api.status(second)));
		await().until(() -> stale() == staleBefore + 1);
		assertParkedAsUnknownAndMalformed(unknown);
		// the two messages may be taken in either order
		assertThat(this.api.task(one.id().toString()).get("result").get("n").asInt()).isEqualTo(1);
		assertThat(this.api.task(two.id().toString()).get("result").get("n").asInt()).isEqualTo(2);
		assertThat(this.api.task(two.id().toString()).get("deliveries").asInt()).isEqualTo(1);
	}

	/**
	 * Results the store cannot hold as sent, each of which once left its task
	 * {@code RUNNING} for ever (handed back and applied again in a loop): every task ends
	 * with a clear error, the invalid ones are parked, and the consumer goes on.
	 */
	@Test
	void resultsTheStoreCannotHoldAsSentFinishTheirTasksAndNeverLoop() {
		String type = type("it.hostile.results");
		List<String> ids = new ArrayList<>();
		for (int i = 0; i < 7; i++) {
			ids.add(this.api.accepted(type, "{\"i\":" + i + "}"));
		}
		Map<String, TaskMessage> tasks = new HashMap<>();
		for (int i = 0; i < ids.size(); i++) {
			TaskMessage task = this.wire.readTask(take(type));
			tasks.put(task.id().toString(), task);
		}
		String nul = "a\u0000b " + "x".repeat(20_000);
		sendResult(tasks.get(ids.get(0)), "test-worker", Outcome.FAILED, null,
				new TaskError(TaskError.HANDLER_ERROR, nul, true));
		sendResult(tasks.get(ids.get(1)), "w".repeat(300), Outcome.SUCCEEDED, "1", null);
		sendResult(tasks.get(ids.get(2)), "test-worker", Outcome.FAILED, null,
				new TaskError("E".repeat(100), "too long a code", false));
		TaskMessage wrongType = tasks.get(ids.get(3));
		sendResult(new TaskMessage(wrongType.id(), "it.other.type", 1, 0, null, Instant.now()), "test-worker",
				Outcome.SUCCEEDED, "1", null);
		sendUndecodableResult(type, ids.get(4), "null");
		sendResult(tasks.get(ids.get(5)), "test-worker", Outcome.SUCCEEDED, "{\"big\":\"" + "y".repeat(70_000) + "\"}",
				null);
		sendResult(tasks.get(ids.get(6)), "test-worker", Outcome.SUCCEEDED, "{\"text\":\"nul \\u0000 inside\"}", null);

		await().until(() -> ids.stream()
			.noneMatch((id) -> List.of("PENDING", "QUEUED", "RUNNING").contains(this.api.status(id))));
		JsonNode cleaned = this.api.task(ids.get(0)).get("error");
		assertThat(cleaned.get("code").asString()).isEqualTo(TaskError.HANDLER_ERROR);
		assertThat(cleaned.get("message").asString()).startsWith("a\uFFFDb xxx").hasSize(10_000).endsWith("\u2026");
		for (int i : new int[] { 1, 2, 3, 4 }) {
			assertThat(this.api.status(ids.get(i))).isEqualTo("FAILED");
			assertThat(this.api.task(ids.get(i)).get("error").get("code").asString()).isEqualTo("REPLY_REFUSED");
		}
		assertThat(this.api.task(ids.get(1)).get("error").get("message").asString())
			.contains("workerId is 300 characters long");
		assertThat(this.api.task(ids.get(3)).get("error").get("message").asString())
			.contains("type it.other.type is not the task's type " + type);
		assertThat(this.api.task(ids.get(5)).get("error").get("code").asString()).isEqualTo("RESULT_TOO_LARGE");
		assertThat(this.api.status(ids.get(6))).isEqualTo("SUCCEEDED");
		assertThat(this.api.task(ids.get(6)).get("result").get("text").asString()).isEqualTo("nul \u0000 inside");

		// parked: the four refused results; the consumer still applies what follows
		List<Message> parked = parked(4);
		assertThat(parked).extracting((m) -> m.getMessageProperties().getMessageId())
			.containsExactlyInAnyOrder(ids.get(1), ids.get(2), ids.get(3), ids.get(4));
		String after = this.api.accepted(type, "{}");
		sendResult(this.wire.readTask(take(type)), UUID.randomUUID(), Outcome.SUCCEEDED, "1");
		await().until(() -> "SUCCEEDED".equals(this.api.status(after)));
	}

	@Test
	void replyForAnUnknownTaskAndAMalformedReplyAreParkedWhileTheConsumerGoesOn() {
		String type = type("it-park");
		UUID unknown = UUID.randomUUID();
		TaskMessage ghost = new TaskMessage(unknown, type, 1, 0, null, Instant.now());
		sendResult(ghost, UUID.randomUUID(), Outcome.SUCCEEDED, "1");
		sendMalformedResult(type);

		assertParkedAsUnknownAndMalformed(unknown);

		String id = this.api.accepted(type, "1");
		sendResult(this.wire.readTask(take(type)), UUID.randomUUID(), Outcome.SUCCEEDED, "1");
		await().until(() -> "SUCCEEDED".equals(this.api.status(id)));
	}

	@Test
	void taskMessageAWorkerDeadLetteredAsMalformedFailsItsTask() {
		String type = type("it-malformed");
		String id = this.api.accepted(type, "1");
		Message message = take(type);
		message.getMessageProperties().setHeader(ProtocolHeaders.DEAD_REASON, "malformed: bad body");

		this.worker.send(this.topology.deadLetterExchange(), type, message);

		await().until(() -> "FAILED".equals(this.api.status(id)));
		JsonNode error = this.api.task(id).get("error");
		assertThat(error.get("code").asString()).isEqualTo(TaskError.MALFORMED);
		assertThat(error.get("message").asString()).isEqualTo("malformed: bad body");
	}

	@Test
	void taskThatStartedAndKeptGoingBackPastTheBrokersDeliveryLimitFails() throws Exception {
		String type = type("it-limit");
		String id = this.api.accepted(type, "1");
		await().until(() -> "QUEUED".equals(this.api.status(id)));

		// a worker that starts the task and dies each time: the broker gets it back
		await().until(() -> {
			this.worker.execute((channel) -> {
				var response = channel.basicGet(this.topology.taskQueue(type), false);
				if (response != null) {
					sendStarted(this.wire.json().readValue(response.getBody(), TaskMessage.class), UUID.randomUUID());
					await().until(() -> "RUNNING".equals(this.api.status(id)));
					channel.basicNack(response.getEnvelope().getDeliveryTag(), false, true);
				}
				return null;
			});
			return "FAILED".equals(this.api.status(id));
		});

		JsonNode error = this.api.task(id).get("error");
		assertThat(error.get("code").asString()).isEqualTo(TaskError.DEAD_LETTERED);
		assertThat(error.get("message").asString()).contains("delivery_limit");
	}

	@Test
	void taskThatReachedTheDeliveryLimitWithoutEverStartingIsPublishedAgain() throws Exception {
		String type = type("it-held.by.dying");
		String id = this.api.accepted(type, "\"innocent\"");
		await().until(() -> "QUEUED".equals(this.api.status(id)));

		// held in the prefetch of workers that died before starting it: the broker counts
		// each of those deliveries and dead-letters it
		assertThat(returnUntilDeadLettered(type)).as("republished header").isNull();

		// published again as it was, and still QUEUED
		Message again = take(type);
		assertThat(again.getMessageProperties().getMessageId()).isEqualTo(id);
		assertThat(again.getMessageProperties().<Integer>getHeader(ProtocolHeaders.REPUBLISHED)).isEqualTo(1);
		TaskMessage task = this.wire.readTask(again);
		assertThat(task.attempt()).isEqualTo(1);
		assertThat(this.api.status(id)).isEqualTo("QUEUED");
		UUID delivery = UUID.randomUUID();
		sendStarted(task, delivery);
		sendResult(task, delivery, Outcome.SUCCEEDED, "\"ran\"");
		await().until(() -> "SUCCEEDED".equals(this.api.status(id)));
		JsonNode recorded = this.api.task(id);
		assertThat(recorded.get("error").isNull()).isTrue();
		assertThat(recorded.get("deliveries").asInt()).isEqualTo(1);
		assertThat(recorded.get("duplicates").asInt()).isZero();
	}

	@Test
	void taskMessageThatKeepsReachingTheDeliveryLimitUnstartedIsPublishedAgainOnlyAFewTimes() throws Exception {
		String type = type("it-never-starts");
		String id = this.api.accepted(type, "1");
		await().until(() -> "QUEUED".equals(this.api.status(id)));

		for (int republished = 0; republished < TaskTransitions.MAX_REPUBLISHED; republished++) {
			Integer header = returnUntilDeadLettered(type);
			assertThat((header != null) ? header : 0).isEqualTo(republished);
		}
		returnUntilDeadLettered(type);

		await().until(() -> "FAILED".equals(this.api.status(id)));
		JsonNode error = this.api.task(id).get("error");
		assertThat(error.get("code").asString()).isEqualTo(TaskError.DEAD_LETTERED);
		assertThat(error.get("message").asString()).contains("delivery_limit");
	}

	/**
	 * Takes the type's task message and hands it back, as a consumer that dies before
	 * starting it would, until the broker dead-letters it; returns its republished header
	 * as first seen.
	 */
	private Integer returnUntilDeadLettered(String type) {
		Integer[] header = new Integer[1];
		for (int delivery = 0; delivery <= DELIVERY_LIMIT; delivery++) {
			int seen = delivery;
			this.worker.execute((channel) -> {
				com.rabbitmq.client.GetResponse[] got = new com.rabbitmq.client.GetResponse[1];
				await().until(() -> (got[0] = channel.basicGet(this.topology.taskQueue(type), false)) != null);
				if (seen == 0 && got[0].getProps().getHeaders() != null) {
					Object value = got[0].getProps().getHeaders().get(ProtocolHeaders.REPUBLISHED);
					header[0] = (value instanceof Number number) ? number.intValue() : null;
				}
				channel.basicNack(got[0].getEnvelope().getDeliveryTag(), false, true);
				return null;
			});
		}
		return header[0];
	}

	@Test
	void classicQueueDeliversHigherPrioritiesFirst() {
		String type = type("it-classic");
		String low = this.api.accepted(type, "\"low\"");
		await().until(() -> "QUEUED".equals(this.api.status(low)));
		WarrenApi.Answer high = this.api.post("{\"type\":\"" + type + "\",\"payload\":\"high\",\"priority\":9}");
		String highId = high.body().get("id").asString();
		await().until(() -> "QUEUED".equals(this.api.status(highId)));

		assertThat(this.wire.readTask(take(type)).id().toString()).isEqualTo(highId);
		assertThat(this.wire.readTask(take(type)).id().toString()).isEqualTo(low);
	}

	@Test
	void listPagesNewestFirstWithACursor() {
		String type = type("it-list");
		List<String> ids = new ArrayList<>();
		for (int i = 0; i < 5; i++) {
			ids.add(this.api.accepted(type, String.valueOf(i)));
		}

		JsonNode first = this.api.get("/api/v1/tasks?type=" + type + "&limit=2").body();
		JsonNode second = this.api.get("/api/v1/tasks?type=" + type + "&limit=2&after=" + first.get("next").asString())
			.body();
		JsonNode third = this.api.get("/api/v1/tasks?type=" + type + "&limit=2&after=" + second.get("next").asString())
			.body();

		List<String> listed = new ArrayList<>();
		for (JsonNode page : List.of(first, second, third)) {
			page.get("items").forEach((item) -> listed.add(item.get("id").asString()));
		}
		assertThat(listed).containsExactly(ids.get(4), ids.get(3), ids.get(2), ids.get(1), ids.get(0));
		assertThat(third.get("next").isNull()).isTrue();
		assertThat(first.get("items").get(0).has("payload")).isFalse();
	}

	@Test
	void typeThatIsNotAValidNameIsRefusedWithAProblem() {
		WarrenApi.Answer answer = this.api.submit("Not/Valid", "1");

		assertThat(answer.status()).isEqualTo(400);
		assertThat(answer.contentType()).startsWith("application/problem+json");
		assertThat(answer.body().get("field").asString()).isEqualTo("type");
	}

	/**
	 * Requests found by trying the API as an attacker would: each gets problem details
	 * with a 4xx that names what is wrong, never a 5xx, and none stores a task.
	 */
	@Test
	void hostileRequestsGetProblemDetailsAndNeverAServerError() {
		record Case(String method, String path, byte[] body, int status, String detail) {
		}
		String type = type("it.hostile.http");
		byte[] overlong = { '{', '"', 't', 'y', 'p', 'e', '"', ':', '"', 'e', 'c', 'h', 'o', '"', ',', '"', 'p', 'a',
				'y', 'l', 'o', 'a', 'd', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}' };
		List<Case> cases = List.of(new Case("GET", "/api/v1/tasks?limit=%ZZ", null, 400, "percent-encoded"),
				new Case("GET", "/api/v1/tasks?type=%3Cscript%3E", null, 400, "not a valid task type"),
				new Case("GET", "/api/v1/tasks?type=Image.Resize", null, 400, "not a valid task type"),
				new Case("GET", "/error", null, 404, null), new Case("TRACE", "/api/v1/tasks", null, 405, null),
				new Case("POST", "/api/v1/tasks", json("{\"type\":7,\"payload\":1}"), 400, "'type'"),
				new Case("POST", "/api/v1/tasks", json("{\"type\":true,\"payload\":1}"), 400, "'type'"),
				new Case("POST", "/api/v1/tasks", json("{\"type\":\"" + type + "\",\"payload\":1,\"priority\":\"5\"}"),
						400, "'priority'"),
				new Case("POST", "/api/v1/tasks", json("{\"type\":\"" + type + "\",\"payload\":1,\"priority\":5.5}"),
						400, "'priority'"),
				new Case("POST", "/api/v1/tasks", json("{\"type\":\"" + type + "\",\"payload\":{\"a\":[1,1e400]}}"),
						400, "at $.a[1]"),
				new Case("POST", "/api/v1/tasks/batch",
						json("{\"tasks\":[{\"type\":\"" + type + "\",\"payload\":-1e999}]}"), 400, "tasks[0].payload"),
				new Case("POST", "/api/v1/tasks", overlong, 400, "not valid UTF-8"),
				new Case("POST", "/api/v1/tasks", new byte[] { '{', '"', 't', (byte) 0xE2, (byte) 0x82 }, 400, null),
				new Case("POST", "/api/v1/tasks", json("null"), 400, null),
				new Case("POST", "/api/v1/tasks", json("[1,2]"), 400, null));
		for (Case hostile : cases) {
			WarrenApi.Answer answer = hostile.path().contains("%ZZ") ? this.api.rawGet(hostile.path())
					: this.api.request(hostile.method(), hostile.path(), hostile.body());
			assertThat(answer.status()).as(hostile.method() + " " + hostile.path()).isEqualTo(hostile.status());
			assertThat(answer.contentType()).as(hostile.path()).startsWith("application/problem+json");
			assertThat(answer.body().get("status").asInt()).isEqualTo(hostile.status());
			if (hostile.detail() != null) {
				assertThat(answer.body().toString()).as(hostile.path()).contains(hostile.detail());
			}
		}
		assertThat(this.api.get("/api/v1/tasks?type=" + type).body().get("items")).isEmpty();
		// the same values, well-formed, are accepted
		assertThat(
				this.api
					.request("POST", "/api/v1/tasks",
							json("{\"type\":\"" + type
									+ "\",\"payload\":{\"a\":[1,1e300],\"t\":\"\u20ac /\"},\"priority\":5}"))
					.status())
			.isEqualTo(202);
	}

	@Test
	void sameIdempotencyKeyAndRequestReturnsTheFirstTaskAndAnotherRequestIsRefused() {
		String type = type("it.idempotent");
		String key = "order-4711-" + UUID.randomUUID();
		WarrenApi.Answer first = this.api.post("/api/v1/tasks",
				"{\"type\":\"" + type + "\",\"payload\":{\"to\":\"a@example.com\",\"n\":[1,2]}}", "Idempotency-Key",
				key);
		// the same request written differently: keys in another order, priority spelled
		// out
		WarrenApi.Answer again = this.api.post("/api/v1/tasks",
				"{ \"priority\": 0, \"payload\": {\"n\": [1, 2], \"to\": \"a@example.com\"}, \"type\": \"" + type
						+ "\" }",
				"Idempotency-Key", key);
		WarrenApi.Answer other = this.api.post("/api/v1/tasks",
				"{\"type\":\"" + type + "\",\"payload\":{\"to\":\"b@example.com\",\"n\":[1,2]}}", "Idempotency-Key",
				key);
		WarrenApi.Answer asBatch = this.api.post("/api/v1/tasks/batch",
				"{\"tasks\":[{\"type\":\"" + type + "\",\"payload\":{\"to\":\"a@example.com\",\"n\":[1,2]}}]}",
				"Idempotency-Key", key);

		assertThat(first.status()).isEqualTo(202);
		assertThat(again.status()).isEqualTo(200);
		assertThat(again.body().get("id")).isEqualTo(first.body().get("id"));
		assertThat(again.location()).isEqualTo(first.location());
		assertThat(again.body().get("payload")).isEqualTo(first.body().get("payload"));
		assertThat(other.status()).isEqualTo(422);
		assertThat(other.contentType()).startsWith("application/problem+json");
		assertThat(other.body().get("detail").asString()).contains("already used with another request");
		assertThat(asBatch.status()).as("the same key for a batch is another request").isEqualTo(422);
		assertThat(this.api.get("/api/v1/tasks?type=" + type).body().get("items")).hasSize(1);
		// one message published
		this.wire.readTask(take(type));
		assertThat(this.worker.receive(this.topology.taskQueue(type), 500)).isNull();

		assertThat(this.api
			.post("/api/v1/tasks", "{\"type\":\"" + type + "\",\"payload\":1}", "Idempotency-Key", "has space")
			.status()).isEqualTo(400);
		assertThat(this.api
			.post("/api/v1/tasks", "{\"type\":\"" + type + "\",\"payload\":1}", "Idempotency-Key", "k".repeat(256))
			.status()).isEqualTo(400);
	}

	@Test
	void idempotencyKeysAreScopedPerApiKey() {
		String type = type("it.idempotent.scoped");
		String body = "{\"type\":\"" + type + "\",\"payload\":{\"n\":1}}";
		WarrenApi submitter = this.api.withKey(SUBMITTER_KEY);

		WarrenApi.Answer mine = this.api.post("/api/v1/tasks", body, "Idempotency-Key", "nightly-report");
		WarrenApi.Answer theirs = submitter.post("/api/v1/tasks", body, "Idempotency-Key", "nightly-report");
		WarrenApi.Answer theirsAgain = submitter.post("/api/v1/tasks", body, "Idempotency-Key", "nightly-report");

		assertThat(mine.status()).isEqualTo(202);
		assertThat(theirs.status()).as("another API key: another scope, another task").isEqualTo(202);
		assertThat(theirs.body().get("id")).isNotEqualTo(mine.body().get("id"));
		assertThat(theirsAgain.status()).isEqualTo(200);
		assertThat(theirsAgain.body().get("id")).isEqualTo(theirs.body().get("id"));
	}

	/**
	 * Every endpoint of the master without a key, with a key that is not configured, with
	 * a key lacking the role and with one that has it; the actuator with an admin key
	 * given hashed.
	 */
	@Test
	void everyEndpointNeedsAKeyWithItsRoleAndOnlyHealthStatusAndProbesArePublic() {
		String type = type("it.secured");
		String id = this.api.accepted(type, "{}");
		String task = "{\"type\":\"" + type + "\",\"payload\":{}}";
		String batch = "{\"tasks\":[" + task + "]}";
		record Case(String method, String path, String body, String rightKey, String wrongRoleKey, int success) {
		}
		List<Case> cases = List.of(new Case("POST", "/api/v1/tasks", task, SUBMITTER_KEY, READER_KEY, 202),
				new Case("POST", "/api/v1/tasks/batch", batch, SUBMITTER_KEY, READER_KEY, 202),
				new Case("GET", "/api/v1/tasks", null, READER_KEY, SUBMITTER_KEY, 200),
				new Case("GET", "/api/v1/tasks/" + id, null, READER_KEY, SUBMITTER_KEY, 200),
				new Case("GET", "/api/v1/tasks/01a1fde9-da0a-7353-b273-4ef08103cba5", null, READER_KEY, SUBMITTER_KEY,
						404),
				new Case("GET", "/actuator/prometheus", null, OPS_KEY, READER_KEY, 200),
				new Case("GET", "/actuator/metrics", null, OPS_KEY, SUBMITTER_KEY, 200),
				new Case("GET", "/actuator/info", null, OPS_KEY, READER_KEY, 200),
				new Case("GET", "/actuator/health/db", null, OPS_KEY, READER_KEY, 200),
				new Case("GET", "/actuator", null, OPS_KEY, READER_KEY, 200),
				new Case("POST", "/api/v1/tasks/01a1fde9-da0a-7353-b273-4ef08103cba5/retry", null, SUBMITTER_KEY,
						READER_KEY, 404),
				new Case("POST", "/api/v1/tasks/retry?type=it.secured.none", null, SUBMITTER_KEY, READER_KEY, 200),
				new Case("DELETE", "/api/v1/tasks?status=FAILED&type=it.secured.none", null, OPS_KEY, SUBMITTER_KEY,
						200),
				new Case("POST", "/api/v1/tasks/01a1fde9-da0a-7353-b273-4ef08103cba5/cancel", null, SUBMITTER_KEY,
						READER_KEY, 404),
				new Case("POST", "/api/v1/tasks/cancel?type=it.secured.none", null, SUBMITTER_KEY, READER_KEY, 200),
				new Case("GET", "/api/v1/workers", null, READER_KEY, SUBMITTER_KEY, 200),
				new Case("GET", "/api/v1/workers/nobody", null, READER_KEY, SUBMITTER_KEY, 404),
				new Case("GET", "/api/v1/types", null, READER_KEY, SUBMITTER_KEY, 200),
				new Case("POST", "/api/v1/types/it.secured.none/pause", null, OPS_KEY, SUBMITTER_KEY, 200),
				new Case("POST", "/api/v1/types/it.secured.none/resume", null, OPS_KEY, READER_KEY, 200),
				new Case("GET", "/no/such/path", null, READER_KEY, null, 404));
		for (Case endpoint : cases) {
			byte[] body = (endpoint.body() != null) ? json(endpoint.body()) : null;
			String name = endpoint.method() + " " + endpoint.path();
			for (String key : new String[] { null, "not-a-key", "x" + WarrenApi.TEST_KEY, "Bearer" }) {
				WarrenApi.Answer refused = this.api.withKey(key).request(endpoint.method(), endpoint.path(), body);
				assertThat(refused.status()).as(name + " with key [" + key + "]").isEqualTo(401);
				assertThat(refused.contentType()).as(name).startsWith("application/problem+json");
				assertThat(refused.body().get("status").asInt()).isEqualTo(401);
			}
			if (endpoint.wrongRoleKey() != null) {
				WarrenApi.Answer forbidden = this.api.withKey(endpoint.wrongRoleKey())
					.request(endpoint.method(), endpoint.path(), body);
				assertThat(forbidden.status()).as(name + " with the wrong role").isEqualTo(403);
				assertThat(forbidden.contentType()).as(name).startsWith("application/problem+json");
				assertThat(forbidden.body().get("detail").asString()).startsWith("the API key ");
			}
			for (String key : List.of(endpoint.rightKey(), WarrenApi.TEST_KEY)) {
				assertThat(this.api.withKey(key).request(endpoint.method(), endpoint.path(), body).status())
					.as(name + " with a key that may")
					.isEqualTo(endpoint.success());
			}
		}

		// HEAD reads as GET does
		assertThat(this.api.withKey(null).request("HEAD", "/api/v1/tasks/" + id, null).status()).isEqualTo(401);
		assertThat(this.api.withKey(SUBMITTER_KEY).request("HEAD", "/api/v1/tasks/" + id, null).status())
			.isEqualTo(403);
		assertThat(this.api.withKey(READER_KEY).request("HEAD", "/api/v1/tasks/" + id, null).status()).isEqualTo(200);

		WarrenApi anonymous = this.api.withKey(null);
		for (String probe : List.of("/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness")) {
			WarrenApi.Answer health = anonymous.get(probe);
			assertThat(health.status()).as(probe).isEqualTo(200);
			assertThat(health.body().get("status").asString()).isEqualTo("UP");
			assertThat(health.body().has("components")).as(probe + " shows no details without a key").isFalse();
		}
		assertThat(anonymous.get("/api/v1/openapi.yaml").status()).isEqualTo(200);
		assertThat(this.api.withKey(READER_KEY).get("/actuator/health").body().has("components"))
			.as("details are for admin keys")
			.isFalse();
		assertThat(this.api.withKey(OPS_KEY).get("/actuator/health").body().get("components").has("db")).isTrue();
	}

	@Test
	void hostileAuthorizationHeadersGetProblemsNeverAServerError() {
		for (String key : new String[] { "k".repeat(10_000), "\u00e9-cl\u00e9", "a\u0000b", "a\tb", "Bearer x", " ",
				"{sha256}" + ApiKeys.sha256(WarrenApi.TEST_KEY), ApiKeys.sha256(WarrenApi.TEST_KEY) }) {
			WarrenApi.Answer answer = this.api.withKey(key).rawGet("/api/v1/tasks?limit=1");
			assertThat(answer.status()).as("key of %d characters", key.length()).isIn(400, 401);
			assertThat(answer.contentType()).as("key of %d characters", key.length())
				.startsWith("application/problem+json");
		}
	}

	@Test
	void batchWithAnIdempotencyKeyIsStoredOnceAndAnsweredWithTheSameIds() {
		String type = type("it.idempotent.batch");
		String body = batchOf(type, 3);

		WarrenApi.Answer first = this.api.post("/api/v1/tasks/batch", body, "Idempotency-Key", "import-2026-12-01");
		WarrenApi.Answer again = this.api.post("/api/v1/tasks/batch", body, "Idempotency-Key", "import-2026-12-01");

		assertThat(first.status()).isEqualTo(202);
		assertThat(again.status()).isEqualTo(200);
		assertThat(again.body().get("ids")).isEqualTo(first.body().get("ids"));
		assertThat(this.api.get("/api/v1/tasks?type=" + type).body().get("items")).hasSize(3);
	}

	/**
	 * Clients retrying at once with one key: the two group-commit writers may store both
	 * in one transaction or race in two; either way one set of tasks, the same answer.
	 */
	@Test
	void concurrentRequestsWithOneIdempotencyKeyCreateOneTask() throws Exception {
		String type = type("it.idempotent.race");
		String body = "{\"type\":\"" + type + "\",\"payload\":{\"n\":1}}";
		for (int round = 0; round < 5; round++) {
			String key = "race-" + round;
			java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(12);
			try {
				List<java.util.concurrent.Future<WarrenApi.Answer>> answers = new ArrayList<>();
				for (int i = 0; i < 12; i++) {
					answers.add(clients.submit(() -> this.api.post("/api/v1/tasks", body, "Idempotency-Key", key)));
				}
				Set<String> ids = new HashSet<>();
				int created = 0;
				for (var answer : answers) {
					WarrenApi.Answer got = answer.get(60, java.util.concurrent.TimeUnit.SECONDS);
					assertThat(got.status()).isIn(200, 202);
					created += (got.status() == 202) ? 1 : 0;
					ids.add(got.body().get("id").asString());
				}
				assertThat(created).as("round " + round).isEqualTo(1);
				assertThat(ids).hasSize(1);
			}
			finally {
				clients.shutdownNow();
			}
		}
		assertThat(this.api.get("/api/v1/tasks?type=" + type).body().get("items")).hasSize(5);
	}

	private static byte[] json(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	@Test
	void pathThatTomcatRefusesBeforeSpringIsStillAProblem() {
		WarrenApi.Answer answer = this.api.get("/api/v1/tasks/a%2Fb");

		assertThat(answer.status()).isEqualTo(400);
		assertThat(answer.contentType()).startsWith("application/problem+json");
		assertThat(answer.body().get("status").asInt()).isEqualTo(400);
	}

	void sendMalformedResult(String type) {
		MessageProperties properties = new MessageProperties();
		properties.setHeader(ProtocolHeaders.PROTOCOL, 1);
		properties.setType(ProtocolHeaders.RESULT_TYPE);
		this.worker.send(this.topology.resultsExchange(), Topology.resultRoutingKey(type),
				new Message("{not json".getBytes(StandardCharsets.UTF_8), properties));
	}

	/** Waits for {@code count} messages in the parked queue and takes them. */
	List<Message> parked(int count) {
		List<Message> parked = new ArrayList<>();
		await().until(() -> {
			Message message = this.worker.receive(this.topology.parkedQueue());
			if (message != null) {
				parked.add(message);
			}
			return parked.size() == count;
		});
		return parked;
	}

	/** Waits for two parked replies: one for the unknown task, one malformed. */
	void assertParkedAsUnknownAndMalformed(UUID unknown) {
		List<Message> parked = parked(2);
		assertThat(parked).extracting((m) -> m.getMessageProperties().<String>getHeader(ProtocolHeaders.PARK_REASON))
			.anySatisfy((reason) -> assertThat(reason).isEqualTo("no task with id " + unknown))
			.anySatisfy((reason) -> assertThat(reason).startsWith("malformed reply"));
	}

	/** A batch body of {@code count} tasks of a type, payload {@code {"n": i}}. */
	static String batchOf(String type, int count) {
		StringBuilder body = new StringBuilder("{\"tasks\":[");
		for (int i = 0; i < count; i++) {
			body.append((i > 0) ? "," : "")
				.append("{\"type\":\"")
				.append(type)
				.append("\",\"payload\":{\"n\":")
				.append(i)
				.append("}}");
		}
		return body.append("]}").toString();
	}

	String type(String base) {
		// each test class has its own prefix, so type names need not differ between
		// classes
		usedTypes.add(base);
		return base;
	}

	Message take(String type) {
		return played().take(type);
	}

	PlayedWorker played() {
		return new PlayedWorker(this.worker, this.topology, this.wire);
	}

	void sendStarted(TaskMessage task, UUID delivery) {
		sendStarted(task, delivery, "test-worker");
	}

	void sendStarted(TaskMessage task, UUID delivery, String workerId) {
		played().sendStarted(task, delivery, workerId);
	}

	void sendReleased(TaskMessage task, UUID delivery, String workerId) {
		this.worker.send(this.topology.resultsExchange(), Topology.releasedRoutingKey(task.type()),
				this.wire.releasedMessage(new ReleasedNotice(task.id(), task.type(), task.attempt(), delivery, workerId,
						false, Instant.now())));
	}

	double gauge(String name, String... tags) {
		var gauge = this.meters.find(name).tags(tags).gauge();
		return (gauge != null) ? gauge.value() : Double.NaN;
	}

	void sendResult(TaskMessage task, String workerId, Outcome outcome, String resultJson, TaskError error) {
		JsonNode result = (resultJson != null) ? this.wire.json().readTree(resultJson) : null;
		this.worker.send(this.topology.resultsExchange(), Topology.resultRoutingKey(task.type()),
				this.wire.resultMessage(new TaskResult(task.id(), task.type(), task.attempt(), UUID.randomUUID(),
						workerId, false, outcome, result, error, Instant.now(), Instant.now())));
	}

	/**
	 * A result whose body cannot be decoded, with the properties of the task's result.
	 */
	void sendUndecodableResult(String type, String taskId, String body) {
		MessageProperties properties = new MessageProperties();
		properties.setHeader(ProtocolHeaders.PROTOCOL, 1);
		properties.setHeader(ProtocolHeaders.ATTEMPT, 1);
		properties.setMessageId(taskId);
		properties.setType(ProtocolHeaders.RESULT_TYPE);
		this.worker.send(this.topology.resultsExchange(), Topology.resultRoutingKey(type),
				new Message(body.getBytes(StandardCharsets.UTF_8), properties));
	}

	void sendResult(TaskMessage task, UUID delivery, Outcome outcome, String resultJson) {
		played().sendResult(task, delivery, outcome, resultJson);
	}

	double duplicates(String type) {
		var counter = this.meters.find("warren.tasks.duplicates").tag("type", type).counter();
		return (counter != null) ? counter.count() : 0;
	}

	double counter(String name, String type) {
		var counter = this.meters.find(name).tag("type", type).counter();
		return (counter != null) ? counter.count() : 0;
	}

	double stale() {
		var counter = this.meters.find("warren.replies.stale").tag("kind", "result").counter();
		return (counter != null) ? counter.count() : 0;
	}

	/**
	 * Deletes the topology once the context is closed, so its containers cannot declare
	 * it again.
	 */
	@TestConfiguration
	static class Cleanup {

		@Bean
		BrokerCleanup brokerCleanup(TopologyProperties topology) {
			return new BrokerCleanup(topology.prefix(), () -> usedTypes);
		}

	}

}
