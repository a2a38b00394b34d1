package io.warren.master.it;

import io.warren.testsupport.TestBroker;
import io.warren.testsupport.TestPostgres;
import org.junit.jupiter.api.AfterAll;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

class PostgresBrokerOutageIntegrationTests extends BrokerOutageIntegrationTests {

	static final String PREFIX = TestBroker.newPrefix();

	static final String SCHEMA = TestPostgres.createSchema();

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		register(registry, PREFIX);
		TestBroker.register(registry, TestPostgres.springProperties(SCHEMA));
	}

	@Override
	String prefix() {
		return PREFIX;
	}

	@AfterAll
	static void cleanUp() {
		TestPostgres.dropSchema(SCHEMA);
	}

}
