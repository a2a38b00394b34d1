package io.warren.system;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.warren.testsupport.TestBroker;
import io.warren.testsupport.WarrenApi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A master and two workers, from the built jars, driven over HTTP only. Subclasses choose
 * the master's store.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class EndToEndSystemTests {

	static final int ECHO_TASKS = 1000;

	WarrenCluster cluster;

	WarrenApi api;

	abstract WarrenCluster cluster();

	@BeforeAll
	void start() {
		this.cluster = cluster();
		this.api = this.cluster.startMaster();
		this.cluster.startWorker("worker-a");
		this.cluster.startWorker("worker-b");
		// built-ins under a prefix: task types with dots, with a bracketed per-type
		// setting
		this.cluster.startWorker("worker-dotted", "warren.worker.builtins.prefix=img.",
				"warren.worker.types.[img.sleep].concurrency=2");
		List.of("img.echo", "img.sleep", "img.fail").forEach(this.cluster::uses);
	}

	@AfterAll
	void stop() {
		this.cluster.close();
	}

	@Test
	void thousandEchoTasksPostedOneByOneAllSucceedWithTheirPayloadExactlyOnce() {
		List<String> ids = new ArrayList<>();
		for (int i = 0; i < ECHO_TASKS; i++) {
			ids.add(this.api.accepted("echo", "{\"n\":" + i + ",\"text\":\"task " + i + "\"}"));
		}

		await().atMost(Duration.ofMinutes(3))
			.until(() -> this.api.status(ids.get(ids.size() - 1)) != null
					&& ids.stream().allMatch((id) -> "SUCCEEDED".equals(this.api.status(id))));

		Set<String> workers = new HashSet<>();
		for (int i = 0; i < ids.size(); i++) {
			JsonNode task = this.api.task(ids.get(i));
			assertThat(task.get("result").get("n").asInt()).isEqualTo(i);
			assertThat(task.get("result").get("text").asString()).isEqualTo("task " + i);
			assertThat(task.get("deliveries").asInt()).isEqualTo(1);
			assertThat(task.get("duplicates").asInt()).isZero();
			workers.add(task.get("workerId").asString());
		}
		assertThat(workers).as("both workers took tasks").containsExactlyInAnyOrder("worker-a", "worker-b");
	}

	@Test
	void tasksOfDottedTypesRunOnceAndTheirResultsAreRecorded() {
		List<String> echoes = new ArrayList<>();
		for (int i = 0; i < 100; i++) {
			echoes.add(this.api.accepted("img.echo", "{\"n\":" + i + "}"));
		}
		List<String> sleeps = List.of(this.api.accepted("img.sleep", "{\"ms\":300}"),
				this.api.accepted("img.sleep", "{\"ms\":300}"));
		String failed = this.api.accepted("img.fail", "{\"message\":\"no such image\"}");

		await().atMost(Duration.ofMinutes(2))
			.until(() -> echoes.stream().allMatch((id) -> "SUCCEEDED".equals(this.api.status(id)))
					&& sleeps.stream().allMatch((id) -> "SUCCEEDED".equals(this.api.status(id)))
					&& "FAILED".equals(this.api.status(failed)));
		for (int i = 0; i < echoes.size(); i++) {
			JsonNode task = this.api.task(echoes.get(i));
			assertThat(task.get("type").asString()).isEqualTo("img.echo");
			assertThat(task.get("result").get("n").asInt()).isEqualTo(i);
			assertThat(task.get("deliveries").asInt()).isEqualTo(1);
			assertThat(task.get("duplicates").asInt()).isZero();
			assertThat(task.get("workerId").asString()).isEqualTo("worker-dotted");
		}
		assertThat(this.api.task(sleeps.get(0)).get("result").get("sleptMs").asInt()).isEqualTo(300);
		assertThat(this.api.task(failed).get("error").get("message").asString()).isEqualTo("no such image");
		assertThat(this.cluster.messagesIn(this.cluster.topology.parkedQueue())).as("parked replies").isZero();
	}

	@Test
	void failingTasksAreRetriedByTheDefaultPolicyAndEndFailedWithTheirMessage() {
		List<String> ids = new ArrayList<>();
		for (int i = 0; i < 10; i++) {
			ids.add(this.api.accepted("fail", "{\"message\":\"broken " + i + "\"}"));
		}
		String flaky = this.api.accepted("fail", "{\"succeedOnAttempt\":3}");
		String hopeless = this.api
			.post("/api/v1/tasks", "{\"type\":\"fail\",\"payload\":{\"retryable\":false},\"maxAttempts\":10}")
			.body()
			.get("id")
			.asString();

		await().until(() -> ids.stream().allMatch((id) -> "FAILED".equals(this.api.status(id))));
		for (int i = 0; i < ids.size(); i++) {
			JsonNode task = this.api.task(ids.get(i));
			assertThat(task.get("error").get("code").asString()).isEqualTo("HANDLER_ERROR");
			assertThat(task.get("error").get("message").asString()).isEqualTo("broken " + i);
			assertThat(task.get("attempts").asInt()).as("3 attempts by default").isEqualTo(3);
			assertThat(task.get("history")).hasSize(3);
			assertThat(task.get("history").get(0).get("error").get("message").asString()).isEqualTo("broken " + i);
		}
		await().until(() -> "SUCCEEDED".equals(this.api.status(flaky)) && "FAILED".equals(this.api.status(hopeless)));
		JsonNode succeeded = this.api.task(flaky);
		assertThat(succeeded.get("attempts").asInt()).isEqualTo(3);
		assertThat(succeeded.get("result").get("attempt").asInt()).isEqualTo(3);
		assertThat(succeeded.get("history")).extracting((attempt) -> attempt.get("outcome").asString())
			.containsExactly("FAILED", "FAILED", "SUCCEEDED");
		assertThat(this.api.task(hopeless).get("attempts").asInt()).as("not retryable").isEqualTo(1);
	}

	@Test
	void malformedTaskMessageEndsItsTaskFailedWhileTheWorkersGoOn() {
		// a type no worker serves: its message waits in the queue, where the test
		// corrupts it
		this.cluster.uses("unserved");
		String id = this.api.accepted("unserved", "{\"fine\":true}");
		await().until(() -> "QUEUED".equals(this.api.status(id)));
		CachingConnectionFactory broker = TestBroker.connectionFactory();
		try {
			RabbitTemplate template = new RabbitTemplate(broker);
			Message message = template.receive(this.cluster.topology.taskQueue("unserved"), 10_000);
			assertThat(message).isNotNull();
			template.send(this.cluster.topology.tasksExchange(), "echo",
					new Message("{\"id\": oops".getBytes(StandardCharsets.UTF_8), message.getMessageProperties()));
		}
		finally {
			broker.destroy();
		}

		await().until(() -> "FAILED".equals(this.api.status(id)));
		assertThat(this.api.task(id).get("error").get("code").asString()).isEqualTo("MALFORMED");
		String after = this.api.accepted("echo", "\"still working\"");
		await().until(() -> "SUCCEEDED".equals(this.api.status(after)));
	}

	/**
	 * Hostile input from every side at once, against the real jars: HTTP requests, task
	 * messages no worker can decode, results the store cannot hold as sent. Every request
	 * gets a 4xx problem, every task ends, and a hundred ordinary tasks run afterwards.
	 */
	@Test
	@Order(Integer.MAX_VALUE) // last: the other tests expect an empty parked queue
	void hostileInputFromEverySideLeavesNoTaskActiveAndOrdinaryTasksRunAfterwards() {
		for (String[] request : new String[][] { { "GET", "/api/v1/tasks?type=%3Cx%3E" }, { "GET", "/error" },
				{ "TRACE", "/api/v1/tasks" }, { "POST", "{\"type\":7,\"payload\":1}" },
				{ "POST", "{\"type\":\"echo\",\"payload\":1e400}" },
				{ "POST", "{\"type\":\"echo\",\"payload\":1,\"priority\":\"9\"}" } }) {
			WarrenApi.Answer answer = request[0].equals("POST") ? this.api.post(request[1])
					: this.api.request(request[0], request[1], null);
			assertThat(answer.status()).as(String.join(" ", request)).isBetween(400, 499);
			assertThat(answer.contentType()).as(String.join(" ", request)).startsWith("application/problem+json");
		}
		assertThat(this.api.rawGet("/api/v1/tasks?limit=%ZZ").status()).isEqualTo(400);
		String misfit = this.api.accepted("sleep", "\"abc\"");

		// results for tasks no worker serves, sent as a broken worker would
		this.cluster.uses("hostile.unserved");
		List<String> unserved = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			unserved.add(this.api.accepted("hostile.unserved", "{\"i\":" + i + "}"));
		}
		io.warren.protocol.WireFormat wire = new io.warren.protocol.WireFormat("hostile-worker");
		// in the order the broker hands them out, which need not be the order submitted;
		// a
		// task the relay published twice (its confirm recorded late on a busy machine) is
		// taken once
		Map<java.util.UUID, io.warren.protocol.TaskMessage> byId = new LinkedHashMap<>();
		List<io.warren.protocol.TaskMessage> taken = new ArrayList<>();
		CachingConnectionFactory broker = TestBroker.connectionFactory();
		try {
			RabbitTemplate template = new RabbitTemplate(broker);
			await().until(() -> {
				Message message = template.receive(this.cluster.topology.taskQueue("hostile.unserved"));
				if (message != null) {
					io.warren.protocol.TaskMessage task = wire.readTask(message);
					byId.putIfAbsent(task.id(), task);
				}
				return byId.size() == unserved.size();
			});
			taken.addAll(byId.values());
			String results = this.cluster.topology.resultsExchange();
			String key = io.warren.protocol.Topology.resultRoutingKey("hostile.unserved");
			template.send(results, key, wire.resultMessage(result(taken.get(0), "w",
					new io.warren.protocol.TaskError("HANDLER_ERROR", "nul \u0000 byte", false))));
			template.send(results, key, wire.resultMessage(result(taken.get(1), "w".repeat(300), null)));
			template.send(results, key, wire.resultMessage(result(
					new io.warren.protocol.TaskMessage(taken.get(2).id(), "echo", 1, 0, null, java.time.Instant.now()),
					"w", null)));
			org.springframework.amqp.core.MessageProperties properties = new org.springframework.amqp.core.MessageProperties();
			properties.setType(io.warren.protocol.ProtocolHeaders.RESULT_TYPE);
			properties.setMessageId(taken.get(3).id().toString());
			properties.setHeader(io.warren.protocol.ProtocolHeaders.PROTOCOL, 1);
			properties.setHeader(io.warren.protocol.ProtocolHeaders.ATTEMPT, 1);
			template.send(results, key, new Message("null".getBytes(StandardCharsets.UTF_8), properties));
			// task messages no worker can decode, on a queue the workers serve
			for (String body : List.of("null", "[1]", "42", "")) {
				org.springframework.amqp.core.MessageProperties task = new org.springframework.amqp.core.MessageProperties();
				task.setHeader(io.warren.protocol.ProtocolHeaders.PROTOCOL, 1);
				template.send(this.cluster.topology.tasksExchange(), "echo",
						new Message(body.getBytes(StandardCharsets.UTF_8), task));
			}
		}
		finally {
			broker.destroy();
		}

		try {
			await().atMost(Duration.ofMinutes(1))
				.until(() -> unserved.stream().allMatch((id) -> "FAILED".equals(this.api.status(id)))
						&& "FAILED".equals(this.api.status(misfit)));
		}
		catch (org.awaitility.core.ConditionTimeoutException ex) {
			// what the record and the master say, for a run that cannot be repeated
			List<String> statuses = new ArrayList<>();
			for (String id : unserved) {
				statuses.add(id + " " + this.api.task(id));
			}
			statuses.add("misfit " + misfit + " " + this.api.task(misfit));
			String log = this.cluster.master().log();
			throw new AssertionError("tasks not all FAILED: " + statuses + "\nmaster log (end):\n"
					+ log.substring(Math.max(0, log.length() - 20_000)), ex);
		}
		assertThat(this.api.task(taken.get(0).id().toString()).get("error").get("message").asString())
			.isEqualTo("nul \uFFFD byte");
		for (io.warren.protocol.TaskMessage task : taken.subList(1, 4)) {
			assertThat(this.api.task(task.id().toString()).get("error").get("code").asString())
				.isEqualTo("REPLY_REFUSED");
		}
		assertThat(this.api.task(misfit).get("error").get("message").asString()).doesNotContain("io.warren")
			.contains("at $");
		List<String> ordinary = new ArrayList<>();
		for (int i = 0; i < 100; i++) {
			ordinary.add(this.api.accepted("echo", "{\"n\":" + i + "}"));
		}
		await().atMost(Duration.ofMinutes(2))
			.until(() -> ordinary.stream().allMatch((id) -> "SUCCEEDED".equals(this.api.status(id))));
		for (String status : List.of("PENDING", "QUEUED", "RUNNING")) {
			assertThat(this.api.get("/api/v1/tasks?status=" + status + "&type=hostile.unserved").body().get("items"))
				.as(status)
				.isEmpty();
		}
		// parked for a person to read: the three invalid results, the four task messages
		// (dead-lettered by the workers, naming no task); taken, so other tests find none
		CachingConnectionFactory reader = TestBroker.connectionFactory();
		try {
			RabbitTemplate template = new RabbitTemplate(reader);
			List<String> reasons = new ArrayList<>();
			await().until(() -> {
				Message message = template.receive(this.cluster.topology.parkedQueue());
				if (message != null) {
					reasons.add(message.getMessageProperties()
						.<String>getHeader(io.warren.protocol.ProtocolHeaders.PARK_REASON));
				}
				return reasons.size() == 7;
			});
			assertThat(reasons).filteredOn((reason) -> reason.startsWith("invalid reply")).hasSize(2);
			assertThat(reasons).filteredOn((reason) -> reason.startsWith("malformed reply")).hasSize(1);
		}
		finally {
			reader.destroy();
		}
	}

	private static io.warren.protocol.TaskResult result(io.warren.protocol.TaskMessage task, String workerId,
			io.warren.protocol.TaskError error) {
		return new io.warren.protocol.TaskResult(task.id(), task.type(), task.attempt(), java.util.UUID.randomUUID(),
				workerId, false,
				(error != null) ? io.warren.protocol.Outcome.FAILED : io.warren.protocol.Outcome.SUCCEEDED, null, error,
				java.time.Instant.now(), java.time.Instant.now());
	}

	@Test
	void badInputGetsProblemDetailsFromTheRunningMaster() {
		WarrenApi.Answer tooLarge = this.api.submit("echo", "\"" + "x".repeat(1_100_000) + "\"");
		WarrenApi.Answer malformed = this.api.post("{\"type\":");
		WarrenApi.Answer missingPayload = this.api.post("{\"type\":\"echo\"}");
		WarrenApi.Answer unknown = this.api.get("/api/v1/tasks/01a1fde9-da0a-7353-b273-4ef08103cba5");

		assertThat(tooLarge.status()).isEqualTo(413);
		assertThat(malformed.status()).isEqualTo(400);
		assertThat(missingPayload.status()).isEqualTo(400);
		assertThat(missingPayload.body().get("field").asString()).isEqualTo("payload");
		assertThat(unknown.status()).isEqualTo(404);
		for (WarrenApi.Answer answer : List.of(tooLarge, malformed, missingPayload, unknown)) {
			assertThat(answer.contentType()).startsWith("application/problem+json");
			assertThat(answer.body().toString()).doesNotContain("Exception").doesNotContain("at io.");
		}
	}

}
