package io.warren.worker;

import java.util.List;

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
 * A worker started without API keys starts, and opens only the health status and its
 * probes.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class WorkerWithoutKeysHttpTests {

	static final String PREFIX = TestBroker.newPrefix();

	@LocalServerPort
	int port;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		WorkerHttpSecurityTests.common(registry, PREFIX);
	}

	@AfterAll
	static void cleanUp() {
		TestBroker.deleteWarren(PREFIX, List.of("echo"));
	}

	@Test
	void startsWithOnlyHealthOpen() {
		WorkerHttpSecurityTests.healthIsPublicWithoutDetails(new WarrenApi(this.port, null));
		for (String key : new String[] { null, WarrenApi.TEST_KEY }) {
			for (String path : List.of("/actuator/prometheus", "/actuator/metrics", "/actuator/health/rabbit")) {
				WarrenApi.Answer answer = new WarrenApi(this.port, key).request("GET", path, null);
				assertThat(answer.status()).as(path + " with key " + key).isEqualTo(401);
				assertThat(answer.contentType()).startsWith("application/problem+json");
			}
		}
	}

}
