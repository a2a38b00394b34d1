package io.warren.system;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.warren.protocol.Topology;
import io.warren.protocol.TopologyProperties;
import io.warren.testsupport.TestBroker;
import io.warren.testsupport.TestPostgres;
import io.warren.testsupport.WarrenApi;

import org.springframework.amqp.core.QueueInformation;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;

/**
 * A master and workers run from the built jars against the test broker, under a name
 * prefix of their own, in a working directory under target/. The master uses the shipped
 * default store (an H2 file under ./data of its working directory) unless given a
 * PostgreSQL schema.
 */
final class WarrenCluster implements AutoCloseable {

	final String prefix = TestBroker.newPrefix();

	final Path workDir = Path.of("target", "system", UUID.randomUUID().toString()).toAbsolutePath();

	final Topology topology = new Topology(TopologyProperties.withPrefix(this.prefix));

	private final String postgresSchema;

	private final PrivateBroker privateBroker;

	private final List<ServiceProcess> workers = new ArrayList<>();

	private final List<String> types = new ArrayList<>(List.of("echo", "sleep", "fail"));

	private ServiceProcess master;

	private WarrenCluster(String postgresSchema, PrivateBroker privateBroker) {
		this.postgresSchema = postgresSchema;
		this.privateBroker = privateBroker;
	}

	static WarrenCluster onH2() {
		return new WarrenCluster(null, null);
	}

	static WarrenCluster onPostgres() {
		return new WarrenCluster(TestPostgres.createSchema(), null);
	}

	/** On H2 and a private broker node, which the test may stop and start. */
	static WarrenCluster onH2(PrivateBroker broker) {
		return new WarrenCluster(null, broker);
	}

	String store() {
		return (this.postgresSchema != null) ? "postgresql" : "h2";
	}

	/** Starts (or restarts) the master and returns a client of its API. */
	WarrenApi startMaster(String... extra) {
		List<String> arguments = new ArrayList<>(common());
		arguments.addAll(List.of(extra));
		if (this.postgresSchema != null) {
			arguments.addAll(TestPostgres.springProperties(this.postgresSchema));
		}
		this.master = ServiceProcess.start("master", ServiceProcess.masterJar(), this.workDir, arguments);
		return new WarrenApi(this.master.port());
	}

	ServiceProcess master() {
		return this.master;
	}

	/**
	 * Starts another master on the same store and broker (PostgreSQL only: H2 is one
	 * process's file) and returns a client of its API.
	 */
	WarrenApi startSecondMaster(String... extra) {
		if (this.postgresSchema == null) {
			throw new IllegalStateException("several masters share a PostgreSQL store only");
		}
		List<String> arguments = new ArrayList<>(common());
		arguments.addAll(List.of(extra));
		arguments.addAll(TestPostgres.springProperties(this.postgresSchema));
		ServiceProcess second = ServiceProcess.start("master-2", ServiceProcess.masterJar(), this.workDir, arguments);
		this.workers.add(second);
		return new WarrenApi(second.port());
	}

	/** Starts a worker with the given id. */
	ServiceProcess startWorker(String id, String... extra) {
		List<String> arguments = new ArrayList<>(common());
		arguments.add("warren.worker.id=" + id);
		arguments.addAll(List.of(extra));
		ServiceProcess worker = ServiceProcess.start(id, ServiceProcess.workerJar(), this.workDir, arguments);
		this.workers.add(worker);
		return worker;
	}

	/** Remembers a task type whose queue must be deleted at the end. */
	void uses(String type) {
		this.types.add(type);
	}

	/** Messages ready in a queue, as the broker reports them; -1 if it does not exist. */
	long messagesIn(String queue) {
		CachingConnectionFactory connectionFactory = (this.privateBroker != null)
				? new CachingConnectionFactory("127.0.0.1", this.privateBroker.port()) : TestBroker.connectionFactory();
		try {
			QueueInformation info = new RabbitAdmin(connectionFactory).getQueueInfo(queue);
			return (info != null) ? info.getMessageCount() : -1;
		}
		finally {
			connectionFactory.destroy();
		}
	}

	boolean h2FileExists() {
		return Files.isDirectory(this.workDir.resolve("data"));
	}

	private List<String> common() {
		List<String> arguments = new ArrayList<>(
				(this.privateBroker != null) ? this.privateBroker.springProperties() : TestBroker.springProperties());
		arguments.add("warren.topology.prefix=" + this.prefix);
		arguments.add(WarrenApi.TEST_KEY_PROPERTY);
		return arguments;
	}

	@Override
	public void close() {
		this.workers.forEach(ServiceProcess::close);
		if (this.master != null) {
			this.master.close();
		}
		if (this.privateBroker == null) {
			TestBroker.deleteWarren(this.prefix, this.types);
		}
		if (this.postgresSchema != null) {
			TestPostgres.dropSchema(this.postgresSchema);
		}
	}

}
