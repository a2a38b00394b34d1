package io.warren.master.it;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

import io.micrometer.core.instrument.MeterRegistry;
import io.warren.master.MasterApplication;
import io.warren.protocol.Topology;
import io.warren.protocol.TopologyProperties;
import io.warren.protocol.WireFormat;
import io.warren.testsupport.TestBroker;
import io.warren.testsupport.TestPostgres;
import io.warren.testsupport.WarrenApi;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The MQTT bridge against the local Mosquitto ({@code WARREN_TEST_MQTT_URL} overrides
 * it), with two masters on one PostgreSQL schema sharing the submit subscription; each
 * test run has topics of its own. The test plays the worker with plain AMQP.
 */
class MqttIntegrationTests {

	static final String PREFIX = TestBroker.newPrefix();

	static final String SCHEMA = TestPostgres.createSchema();

	static final String TOPICS = "warren-it-" + UUID.randomUUID().toString().substring(0, 8);

	static final String URL = System.getenv().getOrDefault("WARREN_TEST_MQTT_URL", "tcp://localhost:1883");

	static final List<String> TYPES = List.of("mq.echo", "mq.shared", "mq.dup");

	static final List<ConfigurableApplicationContext> masters = new ArrayList<>();

	final JsonMapper json = JsonMapper.builder().build();

	/** Messages received by the test's client, by topic. */
	final Map<String, Queue<JsonNode>> received = new ConcurrentHashMap<>();

	MqttClient client;

	CachingConnectionFactory broker;

	PlayedWorker worker;

	WarrenApi api;

	@BeforeAll
	static void startMasters() {
		masters.add(startMaster());
		masters.add(startMaster());
	}

	static ConfigurableApplicationContext startMaster() {
		List<String> properties = new ArrayList<>(TestBroker.springProperties());
		properties.addAll(TestPostgres.springProperties(SCHEMA));
		properties.add("server.port=0");
		properties.add("warren.topology.prefix=" + PREFIX);
		properties.add("warren.security.api-keys=" + WarrenApi.TEST_KEY);
		properties.add("warren.mqtt.enabled=true");
		properties.add("warren.mqtt.url=" + URL);
		properties.add("warren.mqtt.topic-prefix=" + TOPICS);
		properties.add("warren.mqtt.share-group=" + TOPICS);
		// as arguments: default properties would lose to application.yml
		return new SpringApplicationBuilder(MasterApplication.class)
			.run(properties.stream().map((property) -> "--" + property).toArray(String[]::new));
	}

	@AfterAll
	static void stopMasters() {
		masters.forEach(ConfigurableApplicationContext::close);
		TestBroker.deleteWarren(PREFIX, TYPES);
		TestPostgres.dropSchema(SCHEMA);
	}

	@BeforeEach
	void connect() throws MqttException {
		this.client = new MqttClient(URL, "warren-it-" + UUID.randomUUID().toString().substring(0, 8),
				new MemoryPersistence());
		MqttConnectOptions options = new MqttConnectOptions();
		options.setCleanSession(true);
		this.client.connect(options);
		// what the masters publish, not the submissions themselves
		for (String filter : List.of("/submitted/#", "/tasks/#", "/errors")) {
			this.client.subscribe(TOPICS + filter, 1,
					(topic, message) -> this.received.computeIfAbsent(topic, (t) -> new ConcurrentLinkedQueue<>())
						.add(this.json.readTree(new String(message.getPayload(), StandardCharsets.UTF_8))));
		}
		this.broker = TestBroker.connectionFactory();
		this.broker.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.SIMPLE);
		this.worker = new PlayedWorker(new RabbitTemplate(this.broker),
				new Topology(TopologyProperties.withPrefix(PREFIX)), new WireFormat("test-worker"));
		this.api = new WarrenApi(Integer.parseInt(masters.get(0).getEnvironment().getProperty("local.server.port")));
		// both masters subscribed before anything is published
		await().until(() -> masters.stream().allMatch((master) -> accepted(master) >= 0 && connected(master)));
	}

	@AfterEach
	void disconnect() throws MqttException {
		this.client.disconnect();
		this.client.close();
		this.broker.destroy();
	}

	@Test
	void aTaskSubmittedOverMqttRunsAndItsEndIsPublished() throws MqttException {
		publish("submit/mq.echo", "{\"payload\":{\"n\":1},\"correlationId\":\"order-4711\",\"priority\":3}");
		JsonNode answer = next("submitted/order-4711");
		assertThat(answer.get("correlationId").asString()).isEqualTo("order-4711");
		assertThat(answer.get("type").asString()).isEqualTo("mq.echo");
		assertThat(answer.get("replayed").asBoolean()).isFalse();
		String id = answer.get("id").asString();
		assertThat(this.api.task(id).get("priority").asInt()).isEqualTo(3);

		this.worker.run(this.worker.takeTask("mq.echo"), "{\"n\":1}");
		JsonNode end = next("tasks/mq.echo/" + id + "/SUCCEEDED");
		assertThat(end.get("id").asString()).isEqualTo(id);
		assertThat(end.get("status").asString()).isEqualTo("SUCCEEDED");
		// submitted, then at least its end: with two masters the result may be applied
		// before the started notice, which then changes nothing
		assertThat(end.get("seq").asInt()).isGreaterThanOrEqualTo(2);
		assertThat(end.get("workerId").asString()).isEqualTo("test-worker");
		// the end of a task is published once, by the master that applied it
		await().during(Duration.ofMillis(500)).until(() -> all("tasks/mq.echo/" + id + "/SUCCEEDED").size() == 1);
	}

	@Test
	void aRedeliveredSubmissionCreatesNoSecondTask() throws MqttException {
		String message = "{\"payload\":\"once\",\"correlationId\":\"dup-1\"}";
		publish("submit/mq.dup", message);
		publish("submit/mq.dup", message);
		await().until(() -> all("submitted/dup-1").size() == 2);

		List<JsonNode> answers = all("submitted/dup-1");
		assertThat(answers).extracting((answer) -> answer.get("id").asString())
			.containsOnly(answers.get(0).get("id").asString());
		// the two deliveries may be taken by both masters at once: one stores, one
		// replays
		assertThat(answers).extracting((answer) -> answer.get("replayed").asBoolean())
			.containsExactlyInAnyOrder(false, true);
		this.worker.takeTask("mq.dup");
		assertThat(this.api.get("/api/v1/tasks?type=mq.dup").body().get("items")).hasSize(1);
	}

	@Test
	void malformedSubmissionsGetAnErrorNoticeAndTheBridgeGoesOn() throws MqttException {
		publish("submit/mq.echo", "not json at all");
		publish("submit/mq.echo", "null");
		publish("submit/mq.echo", "{\"payload\":1,\"correlationId\":\"a/b\"}");
		await().until(() -> all("errors").size() == 3);
		assertThat(all("errors")).allSatisfy((notice) -> {
			assertThat(notice.get("topic").asString()).isEqualTo(TOPICS + "/submit/mq.echo");
			assertThat(notice.get("error").get("status").asInt()).isEqualTo(400);
		});
		// the two masters answer in either order
		assertThat(all("errors"))
			.anySatisfy((notice) -> assertThat(notice.get("error").get("field").asString()).isEqualTo("correlationId"));

		publish("submit/mq.echo", "{\"payload\":1,\"correlationId\":\"bad-1\",\"priority\":42}");
		publish("submit/mq.echo", "{\"payload\":1,\"correlationId\":\"bad-2\",\"colour\":\"red\"}");
		publish("submit/mq.echo", "{\"payload\":1,\"correlationId\":\"bad-3\",\"type\":\"mq.other\"}");
		publish("submit/mq.echo", "{\"correlationId\":\"bad-4\"}");
		publish("submit/Not.A.Type", "{\"payload\":1,\"correlationId\":\"bad-5\"}");
		publish("submit/mq.echo", "{\"payload\":\"\\u0000\",\"correlationId\":\"bad-6\",\"maxAttempts\":\"many\"}");
		assertThat(next("submitted/bad-1").get("error").get("field").asString()).isEqualTo("priority");
		assertThat(next("submitted/bad-2").get("error").get("field").asString()).isEqualTo("colour");
		assertThat(next("submitted/bad-3").get("error").get("field").asString()).isEqualTo("type");
		assertThat(next("submitted/bad-4").get("error").get("field").asString()).isEqualTo("payload");
		assertThat(next("submitted/bad-5").get("error").get("field").asString()).isEqualTo("type");
		assertThat(next("submitted/bad-6").get("error").get("status").asInt()).isEqualTo(400);

		// the bridge still takes submissions
		publish("submit/mq.echo", "{\"payload\":2,\"correlationId\":\"good-1\"}");
		assertThat(next("submitted/good-1").get("id").isNull()).isFalse();
		this.worker.takeTask("mq.echo");
	}

	@Test
	void eachSubmissionIsTakenByOneOfTheMasters() throws MqttException {
		double before = masters.stream().mapToDouble(MqttIntegrationTests::accepted).sum();
		for (int i = 0; i < 20; i++) {
			publish("submit/mq.shared", "{\"payload\":" + i + ",\"correlationId\":\"shared-" + i + "\"}");
		}
		await().until(() -> answered("shared-") == 20);
		await().during(Duration.ofMillis(500)).until(() -> answered("shared-") == 20);

		assertThat(masters.stream().mapToDouble(MqttIntegrationTests::accepted).sum() - before).isEqualTo(20);
		for (int i = 0; i < 20; i++) {
			this.worker.takeTask("mq.shared");
		}
	}

	private void publish(String topic, String body) throws MqttException {
		this.client.publish(TOPICS + "/" + topic, body.getBytes(StandardCharsets.UTF_8), 1, false);
	}

	private JsonNode next(String topic) {
		await().until(() -> !all(topic).isEmpty());
		return all(topic).get(0);
	}

	private List<JsonNode> all(String topic) {
		return List.copyOf(this.received.getOrDefault(TOPICS + "/" + topic, new ConcurrentLinkedQueue<>()));
	}

	private long answered(String correlationPrefix) {
		return this.received.entrySet()
			.stream()
			.filter((entry) -> entry.getKey().startsWith(TOPICS + "/submitted/" + correlationPrefix))
			.mapToLong((entry) -> entry.getValue().size())
			.sum();
	}

	private static double accepted(ConfigurableApplicationContext master) {
		return master.getBean(MeterRegistry.class)
			.get("warren.mqtt.submissions")
			.tag("outcome", "accepted")
			.counter()
			.count();
	}

	private static boolean connected(ConfigurableApplicationContext master) {
		return master.getBean(MeterRegistry.class).get("warren.mqtt.connected").gauge().value() == 1;
	}

}
