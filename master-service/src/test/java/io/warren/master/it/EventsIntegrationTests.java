package io.warren.master.it;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import io.micrometer.core.instrument.MeterRegistry;
import io.warren.master.MasterApplication;
import io.warren.protocol.TaskMessage;
import io.warren.protocol.Topology;
import io.warren.protocol.TopologyProperties;
import io.warren.protocol.WireFormat;
import io.warren.testsupport.BrokerCleanup;
import io.warren.testsupport.EventStreamClient;
import io.warren.testsupport.TestBroker;
import io.warren.testsupport.TestPostgres;
import io.warren.testsupport.WarrenApi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Live events, event streams and waits, with two masters on one PostgreSQL schema and one
 * broker: master A is the test's context, master B is started beside it. The test plays
 * the worker with plain AMQP. B's reply consumer runs only where a test says so, so that
 * A applies the replies (and publishes their events) unless B is meant to.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(EventsIntegrationTests.Cleanup.class)
@DirtiesContext
class EventsIntegrationTests {

	static final String PREFIX = TestBroker.newPrefix();

	static final String SCHEMA = TestPostgres.createSchema();

	static final List<String> TYPES = List.of("ev.cross", "ev.order", "ev.resume", "ev.wait", "ev.many");

	static final String SUBMITTER_KEY = "submitter-key-0b8e4c2d7f1a";

	static ConfigurableApplicationContext masterB;

	@LocalServerPort
	int port;

	@Autowired
	@Qualifier("replyContainer")
	SimpleMessageListenerContainer replies;

	@Autowired
	MeterRegistry meters;

	WarrenApi api;

	CachingConnectionFactory broker;

	PlayedWorker worker;

	final JsonMapper json = JsonMapper.builder().build();

	final List<EventStreamClient> streams = new ArrayList<>();

	static List<String> properties() {
		List<String> properties = new ArrayList<>(TestBroker.springProperties());
		properties.addAll(TestPostgres.springProperties(SCHEMA));
		properties.add("warren.topology.prefix=" + PREFIX);
		properties.add("warren.security.api-keys=" + WarrenApi.TEST_KEY + ",submitter:submit:" + SUBMITTER_KEY);
		properties.add("warren.master.replies.concurrency=1");
		properties.add("warren.master.relay.interval=200ms");
		properties.add("warren.master.events.keep-alive=1s");
		return properties;
	}

	@DynamicPropertySource
	static void register(DynamicPropertyRegistry registry) {
		TestBroker.register(registry, properties());
	}

	@BeforeAll
	static void startMasterB() {
		masterB = startMaster("warren.master.events.max-streams=2");
		replyContainerOf(masterB).stop();
	}

	static ConfigurableApplicationContext startMaster(String... more) {
		List<String> properties = new ArrayList<>(properties());
		properties.add("server.port=0");
		properties.add("spring.application.name=warren-master-b");
		properties.addAll(List.of(more));
		// as arguments: default properties would lose to application.yml
		return new SpringApplicationBuilder(MasterApplication.class)
			.run(properties.stream().map((property) -> "--" + property).toArray(String[]::new));
	}

	static SimpleMessageListenerContainer replyContainerOf(ConfigurableApplicationContext master) {
		return master.getBean("replyContainer", SimpleMessageListenerContainer.class);
	}

	static int portOf(ConfigurableApplicationContext master) {
		return Integer.parseInt(master.getEnvironment().getProperty("local.server.port"));
	}

	@AfterAll
	static void stopMasterB() {
		if (masterB != null) {
			masterB.close();
		}
	}

	@BeforeEach
	void connect() {
		this.api = new WarrenApi(this.port);
		this.broker = TestBroker.connectionFactory();
		this.broker.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.SIMPLE);
		this.worker = new PlayedWorker(new RabbitTemplate(this.broker),
				new Topology(TopologyProperties.withPrefix(PREFIX)), new WireFormat("test-worker"));
	}

	@AfterEach
	void disconnect() {
		this.streams.forEach(EventStreamClient::close);
		this.broker.destroy();
	}

	@Test
	void aStreamOnOneMasterCarriesTheEventsOfTasksSubmittedToAndAppliedByAnother() {
		EventStreamClient stream = open(this.port, "/api/v1/events?type=ev.cross");
		WarrenApi onB = new WarrenApi(portOf(masterB));
		this.replies.stop();
		replyContainerOf(masterB).start();
		try {
			String id = onB.accepted("ev.cross", "{\"n\":1}");
			await().until(() -> "QUEUED".equals(onB.status(id)));
			this.worker.run(this.worker.takeTask("ev.cross"), "{\"ok\":true}");
			await().until(() -> "SUCCEEDED".equals(onB.status(id)));
			await().until(() -> events(stream).size() == 4);
		}
		finally {
			replyContainerOf(masterB).stop();
			this.replies.start();
		}

		List<JsonNode> events = events(stream);
		assertThat(events).extracting((event) -> event.get("status").asString())
			.containsExactly("PENDING", "QUEUED", "RUNNING", "SUCCEEDED");
		assertThat(events).extracting((event) -> event.get("seq").asInt()).containsExactly(1, 2, 3, 4);
		assertThat(events).allSatisfy((event) -> {
			assertThat(event.get("type").asString()).isEqualTo("ev.cross");
			assertThat(event.get("attempt").asInt()).isEqualTo(1);
			assertThat(event.has("error")).isFalse();
			assertThat(Instant.parse(event.get("at").asString())).isNotNull();
		});
		assertThat(events.get(3).get("workerId").asString()).isEqualTo("test-worker");
		// event ids, not task ids: each distinct
		assertThat(stream.events()).extracting(EventStreamClient.Event::id).doesNotHaveDuplicates().allSatisfy((id) -> {
			assertThat(id).isNotBlank();
			assertThat(id).isNotEqualTo(events.get(0).get("id").asString());
		});
	}

	@Test
	void everyStatusOfAHundredTasksArrivesInOrderPerTask() {
		EventStreamClient stream = open(this.port, "/api/v1/events?type=ev.order");
		WarrenApi.Answer batch = this.api.post("/api/v1/tasks/batch", MasterIntegrationTests.batchOf("ev.order", 100));
		assertThat(batch.status()).isEqualTo(202);
		await().until(() -> count(events(stream), "QUEUED") == 100);
		for (int i = 0; i < 100; i++) {
			this.worker.run(this.worker.takeTask("ev.order"), Integer.toString(i));
		}
		try {
			await().until(() -> count(events(stream), "SUCCEEDED") == 100);
		}
		catch (org.awaitility.core.ConditionTimeoutException ex) {
			Map<String, Long> byStatus = new java.util.TreeMap<>();
			events(stream).forEach((event) -> byStatus.merge(event.get("status").asString(), 1L, Long::sum));
			Map<String, Long> records = new java.util.TreeMap<>();
			this.api.get("/api/v1/tasks?type=ev.order&limit=500")
				.body()
				.get("items")
				.forEach((task) -> records.merge(task.get("status").asString(), 1L, Long::sum));
			List<String> running = new ArrayList<>();
			this.api.get("/api/v1/tasks?type=ev.order&status=RUNNING&limit=500")
				.body()
				.get("items")
				.forEach((task) -> running.add(task.get("id").asString()));
			throw new AssertionError(
					"events by status " + byStatus + ", records by status " + records + ", stream ended "
							+ stream.ended() + ", running " + running + ", replies queue "
							+ new org.springframework.amqp.rabbit.core.RabbitAdmin(this.broker)
								.getQueueInfo(new Topology(TopologyProperties.withPrefix(PREFIX)).replyQueue())
							+ " parked "
							+ new org.springframework.amqp.rabbit.core.RabbitAdmin(this.broker)
								.getQueueInfo(new Topology(TopologyProperties.withPrefix(PREFIX)).parkedQueue())
							+ " dead "
							+ new org.springframework.amqp.rabbit.core.RabbitAdmin(this.broker)
								.getQueueInfo(new Topology(TopologyProperties.withPrefix(PREFIX)).deadLetterQueue()),
					ex);
		}

		Map<String, List<JsonNode>> byTask = new LinkedHashMap<>();
		events(stream).forEach(
				(event) -> byTask.computeIfAbsent(event.get("id").asString(), (id) -> new ArrayList<>()).add(event));
		assertThat(byTask).hasSize(100);
		byTask.forEach((task, events) -> {
			assertThat(events).extracting((event) -> event.get("status").asString())
				.containsExactly("PENDING", "QUEUED", "RUNNING", "SUCCEEDED");
			assertThat(events).extracting((event) -> event.get("seq").asInt()).containsExactly(1, 2, 3, 4);
		});
	}

	@Test
	void aStreamResumesAfterItsLastEventIdAndIsToldWhenItCannot() {
		EventStreamClient first = open(this.port, "/api/v1/events?type=ev.resume");
		String early = this.api.accepted("ev.resume", "1");
		await().until(() -> count(events(first), "QUEUED") == 1);
		String lastSeen = first.events().get(first.events().size() - 1).id();
		first.close();
		this.worker.run(this.worker.takeTask("ev.resume"), "1");
		await().until(() -> "SUCCEEDED".equals(this.api.status(early)));
		String later = this.api.accepted("ev.resume", "2");
		await().until(() -> "QUEUED".equals(this.api.status(later)));

		EventStreamClient resumed = EventStreamClient.open(this.port, "/api/v1/events?type=ev.resume",
				WarrenApi.TEST_KEY, lastSeen);
		this.streams.add(resumed);
		await().until(() -> events(resumed).size() == 4);
		// what came after the last event seen, each task's in order, nothing from before
		assertThat(events(resumed)).filteredOn((event) -> event.get("id").asString().equals(early))
			.extracting((event) -> event.get("status").asString())
			.containsExactly("RUNNING", "SUCCEEDED");
		assertThat(events(resumed)).filteredOn((event) -> event.get("id").asString().equals(later))
			.extracting((event) -> event.get("status").asString())
			.containsExactly("PENDING", "QUEUED");
		assertThat(resumed.events()).noneMatch((event) -> "gap".equals(event.name()));

		EventStreamClient unknown = EventStreamClient.open(this.port, "/api/v1/events?type=ev.resume",
				WarrenApi.TEST_KEY, "another-run-42");
		this.streams.add(unknown);
		await().until(() -> !unknown.events().isEmpty());
		EventStreamClient.Event gap = unknown.events().get(0);
		assertThat(gap.name()).isEqualTo("gap");
		assertThat(this.json.readTree(gap.data()).get("lastEventId").asString()).isEqualTo("another-run-42");
		this.worker.takeTask("ev.resume");
	}

	@Test
	void streamsBeyondTheCapAreRefusedAndStreamsEndCleanlyWhenTheMasterStops() {
		ConfigurableApplicationContext masterC = startMaster("warren.master.events.max-streams=1");
		int portC = portOf(masterC);
		EventStreamClient open;
		try {
			open = open(portC, "/api/v1/events");
			EventStreamClient refused = EventStreamClient.open(portC, "/api/v1/events");
			assertThat(refused.status()).isEqualTo(503);
			assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
			assertThat(refused.header("Retry-After")).isNotNull();
			assertThat(this.json.readTree(refused.errorBody()).get("detail").asString())
				.contains("warren.master.events.max-streams");
			assertThat(EventStreamClient.open(portC, "/api/v1/events?colour=red").status()).isEqualTo(400);
			assertThat(EventStreamClient.open(portC, "/api/v1/events", null, null).status()).isEqualTo(401);
			assertThat(EventStreamClient.open(portC, "/api/v1/events", SUBMITTER_KEY, null).status()).isEqualTo(403);
			// keep-alives every second
			await().until(() -> open.comments().contains("keep-alive"));
		}
		finally {
			long closing = System.nanoTime();
			masterC.close();
			assertThat(Duration.ofNanos(System.nanoTime() - closing)).isLessThan(Duration.ofSeconds(20));
		}
		await().atMost(Duration.ofSeconds(5)).until(open::ended);
	}

	@Test
	void aWaitAnswersAsSoonAsTheTaskFinishes() {
		List<Long> latencies = new ArrayList<>();
		for (int i = 0; i < 20; i++) {
			String id = this.api.accepted("ev.wait", Integer.toString(i));
			TaskMessage task = this.worker.takeTask("ev.wait");
			CompletableFuture<WarrenApi.Answer> waiting = this.api.getAsync("/api/v1/tasks/" + id + "?wait=30s");
			await().until(() -> watching() == 1);
			this.worker.run(task, "\"done\"");
			WarrenApi.Answer answer = waiting.join();
			Instant answered = Instant.now();

			assertThat(answer.status()).isEqualTo(200);
			assertThat(answer.body().get("status").asString()).isEqualTo("SUCCEEDED");
			assertThat(answer.body().get("result").asString()).isEqualTo("done");
			Instant recorded = Instant.parse(answer.body().get("updatedAt").asString());
			latencies.add(Duration.between(recorded, answered).toMillis());
		}
		// the promise: answered within 100 ms of the result being recorded (the
		// median, so that one GC pause on a busy build machine does not fail it)
		assertThat(latencies.stream().sorted().toList().get(latencies.size() / 2)).isLessThan(100);
		assertThat(watching()).isZero();

		WarrenApi.Answer finished = this.api.get("/api/v1/tasks/" + this.api.accepted("ev.wait", "0") + "?wait=0s");
		assertThat(finished.status()).isEqualTo(200);
		this.worker.takeTask("ev.wait");
	}

	@Test
	void submitAndWaitAnswers200WhenFinishedAnd202WithTheCurrentStateWhenTheWaitEnds() {
		CompletableFuture<WarrenApi.Answer> waiting = CompletableFuture
			.supplyAsync(() -> this.api.post("/api/v1/tasks?wait=30s", "{\"type\":\"ev.wait\",\"payload\":7}"));
		this.worker.run(this.worker.takeTask("ev.wait"), "49");
		WarrenApi.Answer done = waiting.join();
		assertThat(done.status()).isEqualTo(200);
		assertThat(done.body().get("status").asString()).isEqualTo("SUCCEEDED");
		assertThat(done.body().get("result").asInt()).isEqualTo(49);
		assertThat(done.location()).isEqualTo("/api/v1/tasks/" + done.body().get("id").asString());

		long start = System.nanoTime();
		WarrenApi.Answer late = this.api.post("/api/v1/tasks?wait=300ms", "{\"type\":\"ev.wait\",\"payload\":8}");
		assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
		assertThat(late.status()).isEqualTo(202);
		assertThat(late.body().get("status").asString()).isIn("PENDING", "QUEUED");
		String id = late.body().get("id").asString();
		await().until(() -> "QUEUED".equals(this.api.status(id)));
		WarrenApi.Answer still = this.api.get("/api/v1/tasks/" + id + "?wait=PT0.2S");
		assertThat(still.status()).isEqualTo(200);
		assertThat(still.body().get("status").asString()).isEqualTo("QUEUED");
		this.worker.takeTask("ev.wait");

		for (String wait : List.of("soon", "-1s", "10m", "", "1.5s")) {
			WarrenApi.Answer refused = this.api.get("/api/v1/tasks/" + id + "?wait=" + wait);
			assertThat(refused.status()).as(wait).isEqualTo(400);
			assertThat(refused.body().get("field").asString()).isEqualTo("wait");
		}
		int before = tasks("ev.wait");
		assertThat(this.api.post("/api/v1/tasks?wait=eventually", "{\"type\":\"ev.wait\",\"payload\":9}").status())
			.isEqualTo(400);
		assertThat(tasks("ev.wait")).isEqualTo(before);
		assertThat(this.api.get("/api/v1/tasks/" + UUID.randomUUID() + "?wait=1s").status()).isEqualTo(404);
		// waiting on a task needs the role read, submitting and waiting the role submit
		assertThat(this.api.withKey(SUBMITTER_KEY).get("/api/v1/tasks/" + id + "?wait=1s").status()).isEqualTo(403);
		assertThat(this.api.withKey(null).get("/api/v1/tasks/" + id + "?wait=1s").status()).isEqualTo(401);
	}

	@Test
	void aThousandConcurrentWaitersAreAllAnswered() {
		List<String> ids = new ArrayList<>();
		for (int i = 0; i < 10; i++) {
			ids.add(this.api.accepted("ev.many", Integer.toString(i)));
		}
		List<CompletableFuture<WarrenApi.Answer>> waiting = new ArrayList<>();
		WarrenApi patient = this.api.withTimeout(Duration.ofSeconds(90));
		for (int i = 0; i < 1000; i++) {
			waiting.add(patient.getAsync("/api/v1/tasks/" + ids.get(i % 10) + "?wait=60s"));
		}
		await().atMost(Duration.ofSeconds(60)).until(() -> watching() == 1000);
		// the master still answers other requests
		assertThat(this.api.get("/api/v1/tasks?type=ev.many").status()).isEqualTo(200);
		for (int i = 0; i < 10; i++) {
			this.worker.run(this.worker.takeTask("ev.many"), "true");
		}

		Map<Integer, Integer> statuses = new HashMap<>();
		for (CompletableFuture<WarrenApi.Answer> answer : waiting) {
			WarrenApi.Answer done = answer.join();
			statuses.merge(done.status(), 1, Integer::sum);
			assertThat(done.body().get("status").asString()).isEqualTo("SUCCEEDED");
		}
		assertThat(statuses).containsExactly(Map.entry(200, 1000));
		await().until(() -> watching() == 0);
	}

	private EventStreamClient open(int port, String path) {
		EventStreamClient stream = EventStreamClient.open(port, path);
		assertThat(stream.status()).isEqualTo(200);
		assertThat(stream.header("Content-Type")).startsWith("text/event-stream");
		this.streams.add(stream);
		return stream;
	}

	private List<JsonNode> events(EventStreamClient stream) {
		return stream.events()
			.stream()
			.filter((event) -> event.name() == null)
			.map((event) -> this.json.readTree(event.data()))
			.toList();
	}

	private static long count(List<JsonNode> events, String status) {
		return events.stream().filter((event) -> status.equals(event.get("status").asString())).count();
	}

	private double watching() {
		return this.meters.get("warren.waits.active").gauge().value();
	}

	private int tasks(String type) {
		return this.api.get("/api/v1/tasks?type=" + type + "&limit=500").body().get("items").size();
	}

	@TestConfiguration
	static class Cleanup {

		@Bean
		BrokerCleanup brokerCleanup() {
			return new BrokerCleanup(PREFIX, () -> TYPES);
		}

		@Bean
		AutoCloseable dropSchema() {
			return () -> TestPostgres.dropSchema(SCHEMA);
		}

	}

}
