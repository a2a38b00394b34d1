package io.warren.master.it;

import java.nio.file.Path;
import java.util.UUID;

import io.warren.testsupport.TestBroker;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

class H2BrokerOutageIntegrationTests extends BrokerOutageIntegrationTests {

	static final String PREFIX = TestBroker.newPrefix();

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		register(registry, PREFIX);
		Path file = Path.of("target", "it-h2", UUID.randomUUID().toString(), "warren").toAbsolutePath();
		registry.add("spring.datasource.url", () -> "jdbc:h2:file:" + file + ";WRITE_DELAY=0");
	}

	@Override
	String prefix() {
		return PREFIX;
	}

}
