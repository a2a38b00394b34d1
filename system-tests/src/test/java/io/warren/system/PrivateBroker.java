package io.warren.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A RabbitMQ node of the test's own, from the locally installed RabbitMQ, on loopback
 * ports of its own and with its data under target/: a broker a test may stop and start
 * without touching the shared one. Its data survives a stop, as a real node's does.
 */
final class PrivateBroker implements AutoCloseable {

	static final Path SERVER = Path.of("/usr/lib/rabbitmq/bin/rabbitmq-server");

	static final Path CTL = Path.of("/usr/lib/rabbitmq/bin/rabbitmqctl");

	private final Path home = Path.of("target", "faults", "rabbit-" + UUID.randomUUID()).toAbsolutePath();

	private final String node = "warren-fault-" + UUID.randomUUID().toString().substring(0, 8) + "@localhost";

	private final int port = ServiceProcess.freePort();

	private final int distributionPort = ServiceProcess.freePort();

	private Process process;

	/** Whether this machine has a RabbitMQ installation to start nodes from. */
	static boolean available() {
		return Files.isExecutable(SERVER) && Files.isExecutable(CTL);
	}

	static PrivateBroker started() {
		PrivateBroker broker = new PrivateBroker();
		broker.start();
		return broker;
	}

	/** Starts the node (again) and waits until it serves AMQP. */
	void start() {
		try {
			Files.createDirectories(this.home);
			Files.writeString(this.home.resolve("enabled_plugins"), "[].\n");
			Files.writeString(this.home.resolve("rabbitmq.conf"), "listeners.tcp.1 = 127.0.0.1:" + this.port + "\n");
			// the distribution listener on loopback too
			Files.writeString(this.home.resolve("rabbitmq-env.conf"),
					"ERL_EPMD_ADDRESS=127.0.0.1\nexport ERL_FLAGS=\"-kernel inet_dist_use_interface {127,0,0,1}\"\n");
			ProcessBuilder builder = new ProcessBuilder(SERVER.toString()).redirectErrorStream(true)
				.redirectOutput(ProcessBuilder.Redirect.appendTo(this.home.resolve("server.log").toFile()));
			builder.environment().putAll(environment());
			this.process = builder.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		await().atMost(Duration.ofSeconds(90)).until(() -> {
			if (!this.process.isAlive()) {
				throw new IllegalStateException("RabbitMQ node exited at start-up; see " + this.home);
			}
			return ctl("await_startup", "--timeout", "5") == 0;
		});
	}

	/** Stops the node cleanly, as an operator's restart or an upgrade does. */
	void stop() {
		ctl("stop");
		try {
			if (!this.process.waitFor(60, TimeUnit.SECONDS)) {
				this.process.destroyForcibly();
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/** Spring Boot properties that point an application at this node. */
	List<String> springProperties() {
		return List.of("spring.rabbitmq.host=127.0.0.1", "spring.rabbitmq.port=" + this.port,
				"spring.rabbitmq.username=guest", "spring.rabbitmq.password=guest");
	}

	int port() {
		return this.port;
	}

	private Map<String, String> environment() {
		return Map.of("RABBITMQ_NODENAME", this.node, "RABBITMQ_NODE_PORT", String.valueOf(this.port),
				"RABBITMQ_DIST_PORT", String.valueOf(this.distributionPort), "RABBITMQ_MNESIA_BASE",
				this.home.resolve("mnesia").toString(), "RABBITMQ_LOG_BASE", this.home.resolve("log").toString(),
				"RABBITMQ_PID_FILE", this.home.resolve("pid").toString(), "RABBITMQ_ENABLED_PLUGINS_FILE",
				this.home.resolve("enabled_plugins").toString(), "RABBITMQ_CONFIG_FILE",
				this.home.resolve("rabbitmq.conf").toString(), "RABBITMQ_CONF_ENV_FILE",
				this.home.resolve("rabbitmq-env.conf").toString());
	}

	private int ctl(String... arguments) {
		try {
			ProcessBuilder builder = new ProcessBuilder(
					concat(List.of(CTL.toString(), "-n", this.node), List.of(arguments)))
				.redirectErrorStream(true)
				.redirectOutput(ProcessBuilder.Redirect.appendTo(this.home.resolve("ctl.log").toFile()));
			builder.environment().putAll(environment());
			Process ctl = builder.start();
			if (!ctl.waitFor(60, TimeUnit.SECONDS)) {
				ctl.destroyForcibly();
				return -1;
			}
			return ctl.exitValue();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return -1;
		}
	}

	private static List<String> concat(List<String> first, List<String> second) {
		return java.util.stream.Stream.concat(first.stream(), second.stream()).toList();
	}

	@Override
	public void close() {
		if (this.process != null && this.process.isAlive()) {
			stop();
		}
	}

}
