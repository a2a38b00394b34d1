package io.warren.testsupport;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;

import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The PostgreSQL server tests run against: a Testcontainers server when a Docker engine
 * is available, else the local one ({@code WARREN_TEST_POSTGRES_URL}, default
 * {@code jdbc:postgresql://localhost:5432/test}, user {@code postgres}). Tests that need
 * PostgreSQL fail, never skip, when it cannot be reached. Each test gets its own schema.
 */
public final class TestPostgres {

	private static volatile Endpoint endpoint;

	private TestPostgres() {
	}

	/** The JDBC URL and credentials of the server's test database. */
	public record Endpoint(String url, String username, String password) {
	}

	/** The server, started on first use. */
	public static Endpoint endpoint() {
		if (endpoint == null) {
			synchronized (TestPostgres.class) {
				if (endpoint == null) {
					endpoint = start();
				}
			}
		}
		return endpoint;
	}

	/** Creates a fresh schema and returns its name. */
	public static String createSchema() {
		String schema = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
		execute("CREATE SCHEMA " + schema);
		return schema;
	}

	/** Drops a schema made by {@link #createSchema()} and everything in it. */
	public static void dropSchema(String schema) {
		execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
	}

	/** Spring Boot properties that point an application at one schema of the server. */
	public static List<String> springProperties(String schema) {
		Endpoint server = endpoint();
		String separator = server.url().contains("?") ? "&" : "?";
		return List.of("spring.datasource.url=" + server.url() + separator + "currentSchema=" + schema,
				"spring.datasource.username=" + server.username(), "spring.datasource.password=" + server.password(),
				"spring.flyway.schemas=" + schema);
	}

	private static void execute(String sql) {
		Endpoint server = endpoint();
		try (Connection connection = DriverManager.getConnection(server.url(), server.username(), server.password());
				Statement statement = connection.createStatement()) {
			statement.execute(sql);
		}
		catch (SQLException ex) {
			throw new IllegalStateException(
					"PostgreSQL at " + server.url() + " is required by this test and failed: " + ex.getMessage(), ex);
		}
	}

	private static Endpoint start() {
		if (!"local".equals(System.getProperty("warren.test.services")) && TestBroker.dockerAvailable()) {
			PostgreSQLContainer container = new PostgreSQLContainer("postgres:15-alpine");
			container.start();
			return new Endpoint(container.getJdbcUrl(), container.getUsername(), container.getPassword());
		}
		return new Endpoint(
				System.getenv().getOrDefault("WARREN_TEST_POSTGRES_URL", "jdbc:postgresql://localhost:5432/test"),
				System.getenv().getOrDefault("WARREN_TEST_POSTGRES_USER", "postgres"),
				System.getenv().getOrDefault("WARREN_TEST_POSTGRES_PASSWORD", ""));
	}

}
