package io.warren.worker;

import java.util.List;

import io.warren.security.ApiKeys;
import io.warren.testsupport.TestBroker;
import io.warren.testsupport.WarrenApi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A worker's HTTP side: the health status and probes are public; the rest of the actuator
 * needs an admin key.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class WorkerHttpSecurityTests {

	static final String PREFIX = TestBroker.newPrefix();

	static final String OPS_KEY = "worker-ops-key-5e2b9c81d07a";

	static final String READER_KEY = "worker-reader-key-a3f07c6e19b4";

	@LocalServerPort
	int port;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		common(registry, PREFIX);
		registry.add("warren.security.api-keys",
				() -> "ops:admin:" + ApiKeys.HASHED_PREFIX + ApiKeys.sha256(OPS_KEY) + ",reader:read:" + READER_KEY);
	}

	static void common(DynamicPropertyRegistry registry, String prefix) {
		TestBroker.register(registry, TestBroker.springProperties());
		registry.add("warren.topology.prefix", () -> prefix);
		registry.add("warren.worker.types.sleep.enabled", () -> "false");
		registry.add("warren.worker.types.fail.enabled", () -> "false");
	}

	static void healthIsPublicWithoutDetails(WarrenApi anonymous) {
		for (String probe : List.of("/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness")) {
			WarrenApi.Answer health = anonymous.get(probe);
			assertThat(health.status()).as(probe).isEqualTo(200);
			assertThat(health.body().has("components")).as(probe).isFalse();
		}
	}

	@AfterAll
	static void cleanUp() {
		TestBroker.deleteWarren(PREFIX, List.of("echo"));
	}

	@Test
	void actuatorNeedsAnAdminKey() {
		healthIsPublicWithoutDetails(new WarrenApi(this.port, null));
		for (String path : List.of("/actuator/prometheus", "/actuator/metrics", "/actuator/health/rabbit")) {
			assertThat(new WarrenApi(this.port, null).request("GET", path, null).status()).as(path).isEqualTo(401);
			assertThat(new WarrenApi(this.port, "wrong").request("GET", path, null).status()).as(path).isEqualTo(401);
			assertThat(new WarrenApi(this.port, READER_KEY).request("GET", path, null).status()).as(path)
				.isEqualTo(403);
			assertThat(new WarrenApi(this.port, OPS_KEY).request("GET", path, null).status()).as(path).isEqualTo(200);
		}
		assertThat(new WarrenApi(this.port, OPS_KEY).get("/actuator/health").body().has("components")).isTrue();
	}

}
