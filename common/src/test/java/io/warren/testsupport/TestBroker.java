package io.warren.testsupport;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.rabbitmq.RabbitMQContainer;

import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;

/**
 * The RabbitMQ broker tests run against: a Testcontainers broker when a Docker engine is
 * available, else the local one ({@code WARREN_TEST_RABBITMQ_HOST}/{@code _PORT}, default
 * localhost:5672, guest/guest). Every test takes its own name prefix and deletes what it
 * declared, so runs never see each other's queues.
 */
public final class TestBroker {

	private static volatile Endpoint endpoint;

	private TestBroker() {
	}

	/** Host, port and credentials of the broker. */
	public record Endpoint(String host, int port, String username, String password) {
	}

	/** The broker, started on first use. */
	public static Endpoint endpoint() {
		if (endpoint == null) {
			synchronized (TestBroker.class) {
				if (endpoint == null) {
					endpoint = start();
				}
			}
		}
		return endpoint;
	}

	/** A fresh name prefix for one test's exchanges and queues. */
	public static String newPrefix() {
		return "it-" + UUID.randomUUID().toString().substring(0, 8) + ".";
	}

	/** A connection factory to the broker, for the test's own inspection and clean-up. */
	public static CachingConnectionFactory connectionFactory() {
		Endpoint broker = endpoint();
		CachingConnectionFactory factory = new CachingConnectionFactory(broker.host(), broker.port());
		factory.setUsername(broker.username());
		factory.setPassword(broker.password());
		return factory;
	}

	/** Spring Boot properties that point an application at the broker. */
	public static List<String> springProperties() {
		Endpoint broker = endpoint();
		List<String> properties = new ArrayList<>();
		properties.add("spring.rabbitmq.host=" + broker.host());
		properties.add("spring.rabbitmq.port=" + broker.port());
		properties.add("spring.rabbitmq.username=" + broker.username());
		properties.add("spring.rabbitmq.password=" + broker.password());
		return properties;
	}

	/**
	 * Registers {@code name=value} Spring properties with a test's dynamic property
	 * registry.
	 */
	public static void register(org.springframework.test.context.DynamicPropertyRegistry registry,
			List<String> properties) {
		for (String property : properties) {
			String[] pair = property.split("=", 2);
			registry.add(pair[0], () -> pair[1]);
		}
	}

	/**
	 * Deletes every Warren exchange and queue under {@code prefix}, with the given task
	 * types' queues.
	 */
	public static void deleteWarren(String prefix, java.util.Collection<String> taskTypes) {
		io.warren.protocol.Topology topology = new io.warren.protocol.Topology(
				io.warren.protocol.TopologyProperties.withPrefix(prefix));
		List<String> queues = new ArrayList<>(List.of(topology.replyQueue(), topology.deadLetterQueue(),
				topology.parkedQueue(), topology.heartbeatQueue()));
		taskTypes.forEach((type) -> queues.add(topology.taskQueue(type)));
		delete(queues, List.of(topology.tasksExchange(), topology.resultsExchange(), topology.deadLetterExchange(),
				topology.controlExchange(), topology.eventsExchange()));
	}

	/** Deletes the named queues and exchanges; missing ones are ignored. */
	public static void delete(List<String> queues, List<String> exchanges) {
		CachingConnectionFactory factory = connectionFactory();
		try {
			RabbitAdmin admin = new RabbitAdmin(factory);
			queues.forEach(admin::deleteQueue);
			exchanges.forEach(admin::deleteExchange);
		}
		finally {
			factory.destroy();
		}
	}

	private static Endpoint start() {
		if (!"local".equals(System.getProperty("warren.test.services")) && dockerAvailable()) {
			RabbitMQContainer container = new RabbitMQContainer("rabbitmq:3.13-management");
			container.start();
			return new Endpoint(container.getHost(), container.getAmqpPort(), container.getAdminUsername(),
					container.getAdminPassword());
		}
		String host = System.getenv().getOrDefault("WARREN_TEST_RABBITMQ_HOST", "localhost");
		int port = Integer.parseInt(System.getenv().getOrDefault("WARREN_TEST_RABBITMQ_PORT", "5672"));
		return new Endpoint(host, port, "guest", "guest");
	}

	static boolean dockerAvailable() {
		try {
			return DockerClientFactory.instance().isDockerAvailable();
		}
		catch (RuntimeException ex) {
			return false;
		}
	}

}
