package io.warren.master.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.sun.net.httpserver.HttpServer;
import io.warren.master.MasterApplication;
import io.warren.protocol.Outcome;
import io.warren.protocol.TaskMessage;
import io.warren.protocol.Topology;
import io.warren.protocol.TopologyProperties;
import io.warren.protocol.WireFormat;
import io.warren.testsupport.TestBroker;
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
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Result callbacks from a master on an H2 file database (so that it can be stopped and
 * started again on the same records) to a receiver on loopback played by the test, which
 * answers what each test tells it to.
 */
class CallbacksIntegrationTests {

	static final String PREFIX = TestBroker.newPrefix();

	static final String SECRET = "callback-secret-5b9d0e7a";

	static final List<String> TYPES = List.of("cb.echo");

	static Path data;

	static HttpServer receiver;

	static ConfigurableApplicationContext master;

	/** Requests received, by path. */
	static final Map<String, Queue<Received>> received = new ConcurrentHashMap<>();

	/** Statuses to answer, by path, in order; 200 once they run out. */
	static final Map<String, Queue<Integer>> answers = new ConcurrentHashMap<>();

	final JsonMapper json = JsonMapper.builder().build();

	WarrenApi api;

	CachingConnectionFactory broker;

	PlayedWorker worker;

	record Received(Map<String, List<String>> headers, String body) {

		String header(String name) {
			return this.headers.entrySet()
				.stream()
				.filter((entry) -> entry.getKey().equalsIgnoreCase(name))
				.map((entry) -> entry.getValue().get(0))
				.findFirst()
				.orElse(null);
		}

	}

	@BeforeAll
	static void start() throws IOException {
		data = Files.createTempDirectory("warren-callbacks");
		receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		receiver.createContext("/hook/", (exchange) -> {
			String path = exchange.getRequestURI().getPath();
			String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
			received.computeIfAbsent(path, (p) -> new ConcurrentLinkedQueue<>())
				.add(new Received(Map.copyOf(exchange.getRequestHeaders()), body));
			Integer status = answers.getOrDefault(path, new ConcurrentLinkedQueue<>()).poll();
			exchange.sendResponseHeaders((status != null) ? status : 200, -1);
			exchange.close();
		});
		receiver.start();
		master = startMaster();
	}

	static ConfigurableApplicationContext startMaster() {
		List<String> properties = new ArrayList<>(TestBroker.springProperties());
		properties.add("spring.datasource.url=jdbc:h2:file:" + data.resolve("warren")
				+ ";WRITE_DELAY=0;LOCK_TIMEOUT=10000;DB_CLOSE_ON_EXIT=FALSE");
		properties.add("server.port=0");
		properties.add("warren.topology.prefix=" + PREFIX);
		properties.add("warren.security.api-keys=" + WarrenApi.TEST_KEY);
		properties.add("warren.master.replies.concurrency=1");
		properties.add("warren.master.retry.max-attempts=1");
		properties.add("warren.master.callbacks.secret=" + SECRET);
		properties.add("warren.master.callbacks.interval=100ms");
		properties.add("warren.master.callbacks.initial-backoff=200ms");
		properties.add("warren.master.callbacks.max-backoff=1s");
		// as arguments: default properties would lose to application.yml
		return new SpringApplicationBuilder(MasterApplication.class)
			.run(properties.stream().map((property) -> "--" + property).toArray(String[]::new));
	}

	@AfterAll
	static void stop() {
		if (master != null) {
			master.close();
		}
		receiver.stop(0);
		TestBroker.deleteWarren(PREFIX, TYPES);
	}

	@BeforeEach
	void connect() {
		this.api = new WarrenApi(port());
		this.broker = TestBroker.connectionFactory();
		this.broker.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.SIMPLE);
		this.worker = new PlayedWorker(new RabbitTemplate(this.broker),
				new Topology(TopologyProperties.withPrefix(PREFIX)), new WireFormat("test-worker"));
	}

	@AfterEach
	void disconnect() {
		this.broker.destroy();
	}

	static int port() {
		return Integer.parseInt(master.getEnvironment().getProperty("local.server.port"));
	}

	static String hook(String name) {
		return "http://localhost:" + receiver.getAddress().getPort() + "/hook/" + name;
	}

	@Test
	void everyEndOfATaskIsPostedOnceSignedWithTheSecret() {
		String id = submit(hook("ends"));
		TaskMessage first = this.worker.takeTask("cb.echo");
		UUID delivery = UUID.randomUUID();
		this.worker.sendStarted(first, delivery, "test-worker");
		this.worker.sendResult(first, delivery, Outcome.FAILED, null);
		await().until(() -> received("ends").size() == 1);
		assertThat(this.api.post("/api/v1/tasks/" + id + "/retry", "").status()).isEqualTo(200);
		this.worker.run(this.worker.takeTask("cb.echo"), "{\"second\":true}");
		// each end once, and nothing more
		await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(20)).until(() -> received("ends").size() == 2);

		List<Received> posts = received("ends");
		assertThat(posts).extracting((post) -> post.header("X-Warren-Task-Status"))
			.containsExactly("FAILED", "SUCCEEDED");
		assertThat(posts).extracting((post) -> post.header("X-Warren-Delivery")).doesNotHaveDuplicates();
		for (Received post : posts) {
			String timestamp = post.header("X-Warren-Timestamp");
			assertThat(Long.parseLong(timestamp)).isCloseTo(Instant.now().getEpochSecond(),
					org.assertj.core.data.Offset.offset(60L));
			assertThat(post.header("X-Warren-Signature")).isEqualTo("sha256=" + hmac(timestamp + "." + post.body()));
			assertThat(post.header("Content-Type")).isEqualTo("application/json");
			JsonNode body = this.json.readTree(post.body());
			assertThat(body.get("id").asString()).isEqualTo(id);
			assertThat(body.get("callbackUrl").asString()).isEqualTo(hook("ends"));
		}
		assertThat(this.json.readTree(posts.get(1).body()).get("result").get("second").asBoolean()).isTrue();
		// a signature over another body does not verify
		assertThat(hmac(posts.get(0).header("X-Warren-Timestamp") + "." + posts.get(1).body()))
			.isNotEqualTo(posts.get(0).header("X-Warren-Signature").substring(7));

		JsonNode callbacks = this.api.task(id).get("callbacks");
		assertThat(callbacks).hasSize(2);
		assertThat(callbacks).allSatisfy((callback) -> {
			assertThat(callback.get("state").asString()).isEqualTo("DELIVERED");
			assertThat(callback.get("tries")).hasSize(1);
			assertThat(callback.get("tries").get(0).get("httpStatus").asInt()).isEqualTo(200);
		});
		assertThat(callbacks.get(0).get("taskStatus").asString()).isEqualTo("FAILED");
		assertThat(callbacks.get(1).get("attempt").asInt()).isEqualTo(2);
	}

	@Test
	void aCallbackIsRetriedUntilTheReceiverTakesIt() {
		answers.put("/hook/flaky", new ConcurrentLinkedQueue<>(List.of(500, 503)));
		String id = submit(hook("flaky"));
		this.worker.run(this.worker.takeTask("cb.echo"), "1");
		await().until(() -> received("flaky").size() == 3);

		assertThat(received("flaky")).extracting((post) -> post.header("X-Warren-Delivery"))
			.containsOnly(received("flaky").get(0).header("X-Warren-Delivery"));
		await().until(() -> "DELIVERED".equals(this.api.task(id).get("callbacks").get(0).get("state").asString()));
		JsonNode callback = this.api.task(id).get("callbacks").get(0);
		assertThat(callback.get("tries")).extracting((attempt) -> attempt.get("httpStatus").asInt())
			.containsExactly(500, 503, 200);
		assertThat(callback.get("tries").get(0).get("error").asString()).contains("500");
		assertThat(callback.get("deliveredAt").isNull()).isFalse();
	}

	@Test
	void aCallbackWaitingToBeSentIsSentAfterTheMasterRestarts() {
		answers.put("/hook/later", new ConcurrentLinkedQueue<>(List.of(503, 503, 503, 503, 503, 503, 503, 503)));
		String id = submit(hook("later"));
		this.worker.run(this.worker.takeTask("cb.echo"), "1");
		await().until(() -> !received("later").isEmpty());
		master.close();
		answers.get("/hook/later").clear();
		int refusedBefore = received("later").size();

		master = startMaster();
		this.api = new WarrenApi(port());
		// a POST claimed by the master that stopped waits for its claim to run out
		await().atMost(Duration.ofSeconds(40))
			.until(() -> "DELIVERED".equals(this.api.task(id).get("callbacks").get(0).get("state").asString()));
		assertThat(received("later").size()).isGreaterThan(refusedBefore);
		assertThat(received("later")).extracting((post) -> post.header("X-Warren-Delivery"))
			.containsOnly(this.api.task(id).get("callbacks").get(0).get("deliveryId").asString());
	}

	@Test
	void callbackUrlsTheMasterMayNotCallAreRefusedAtSubmission() {
		int before = this.api.get("/api/v1/tasks?type=cb.echo&limit=500").body().get("items").size();
		for (String url : List.of("http://example.com/hook", "ftp://localhost/hook", "http://user:pw@localhost/hook",
				"not a url", "http:///hook", "http://localhost.example.com/hook", "file:///etc/passwd",
				"http://localhost/" + "x".repeat(2100))) {
			WarrenApi.Answer refused = this.api.post("/api/v1/tasks",
					"{\"type\":\"cb.echo\",\"payload\":1,\"callbackUrl\":" + this.json.writeValueAsString(url) + "}");
			assertThat(refused.status()).as(url).isEqualTo(400);
			assertThat(refused.body().get("field").asString()).isEqualTo("callbackUrl");
		}
		WarrenApi.Answer batch = this.api.post("/api/v1/tasks/batch",
				"{\"tasks\":[{\"type\":\"cb.echo\",\"payload\":1},{\"type\":\"cb.echo\",\"payload\":2,"
						+ "\"callbackUrl\":\"https://example.com/hook\"}]}");
		assertThat(batch.status()).isEqualTo(400);
		assertThat(batch.body().get("field").asString()).isEqualTo("tasks[1].callbackUrl");
		assertThat(this.api.get("/api/v1/tasks?type=cb.echo&limit=500").body().get("items").size()).isEqualTo(before);
		// loopback by name and by address, any port, either scheme
		for (String url : List.of("http://127.0.0.1:9/hook", "https://LOCALHOST/hook", "http://[::1]:8443/hook")) {
			String id = submit(url);
			assertThat(this.api.task(id).get("callbackUrl").asString()).isEqualTo(url);
			this.worker.takeTask("cb.echo");
		}
	}

	private String submit(String callbackUrl) {
		WarrenApi.Answer answer = this.api.post("{\"type\":\"cb.echo\",\"payload\":1,\"callbackUrl\":"
				+ this.json.writeValueAsString(callbackUrl) + "}");
		assertThat(answer.status()).isEqualTo(202);
		return answer.body().get("id").asString();
	}

	private static List<Received> received(String name) {
		return List.copyOf(received.getOrDefault("/hook/" + name, new ConcurrentLinkedQueue<>()));
	}

	private static String hmac(String text) {
		try {
			Mac mac = Mac.getInstance("HmacSHA256");
			mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
			return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
		}
		catch (NoSuchAlgorithmException | InvalidKeyException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
