package io.warren.master.it;

import java.nio.file.Path;
import java.util.UUID;

import io.warren.testsupport.TestBroker;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The master on its embedded default store, an H2 file database, configured as shipped.
 */
class H2MasterIntegrationTests extends MasterIntegrationTests {

	static final String PREFIX = TestBroker.newPrefix();

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		Path file = Path.of("target", "it-h2", UUID.randomUUID().toString(), "warren").toAbsolutePath();
		registry.add("spring.datasource.url", () -> "jdbc:h2:file:" + file + ";WRITE_DELAY=0;LOCK_TIMEOUT=10000");
		TestBroker.register(registry, springProperties(PREFIX));
	}

	@Override
	String prefix() {
		return PREFIX;
	}

}
