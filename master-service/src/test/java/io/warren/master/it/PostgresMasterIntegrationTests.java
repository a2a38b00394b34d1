package io.warren.master.it;

import io.warren.testsupport.TestBroker;
import io.warren.testsupport.TestPostgres;
import org.junit.jupiter.api.AfterAll;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The master on PostgreSQL, its production store; fails when PostgreSQL is unreachable.
 */
class PostgresMasterIntegrationTests extends MasterIntegrationTests {

	static final String PREFIX = TestBroker.newPrefix();

	static final String SCHEMA = TestPostgres.createSchema();

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		TestBroker.register(registry, TestPostgres.springProperties(SCHEMA));
		TestBroker.register(registry, springProperties(PREFIX));
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
