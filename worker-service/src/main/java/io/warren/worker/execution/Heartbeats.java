package io.warren.worker.execution;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.warren.protocol.Heartbeat;
import io.warren.protocol.Topology;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

/**
 * Sends this worker's heartbeats to the masters (the results exchange, routing key
 * {@code heartbeat}): a hello at start, a beat every interval, a goodbye at a clean stop.
 * Not confirmed: a lost heartbeat is made up for by the next, and three lost in a row
 * mark the worker lost.
 */
class Heartbeats {

	private static final Logger log = LoggerFactory.getLogger(Heartbeats.class);

	private final RabbitTemplate template;

	private final WireFormat wire;

	private final String exchange;

	private final String workerId;

	private final Duration interval;

	private final Clock clock;

	private final Instant startedAt;

	private final String host = hostName();

	private final String version;

	private final Supplier<String> state;

	private final Supplier<List<Heartbeat.TypeState>> types;

	private final RunningTasks running;

	private ScheduledExecutorService timer;

	Heartbeats(ConnectionFactory connectionFactory, Topology topology, WireFormat wire, String workerId,
			Duration interval, Clock clock, Supplier<String> state, Supplier<List<Heartbeat.TypeState>> types,
			RunningTasks running) {
		this.template = new RabbitTemplate(connectionFactory);
		this.template.setMandatory(false);
		this.wire = wire;
		this.exchange = topology.resultsExchange();
		this.workerId = workerId;
		this.interval = interval;
		this.clock = clock;
		this.startedAt = clock.instant();
		this.state = state;
		this.types = types;
		this.running = running;
		String implementation = Heartbeats.class.getPackage().getImplementationVersion();
		this.version = (implementation != null) ? implementation : "dev";
	}

	/** Sends the hello, then a beat every interval. */
	void start() {
		send(Heartbeat.HELLO, this.state.get());
		this.timer = Executors.newSingleThreadScheduledExecutor((command) -> {
			Thread thread = new Thread(command, "warren-heartbeat");
			thread.setDaemon(true);
			return thread;
		});
		long millis = this.interval.toMillis();
		this.timer.scheduleWithFixedDelay(() -> send(Heartbeat.BEAT, this.state.get()), millis, millis,
				TimeUnit.MILLISECONDS);
	}

	/** Sends a beat now, with the state as it is (say, draining). */
	void beatNow() {
		send(Heartbeat.BEAT, this.state.get());
	}

	/** Stops the beats and says goodbye. */
	void stop() {
		if (this.timer != null) {
			this.timer.shutdownNow();
		}
		send(Heartbeat.GOODBYE, "STOPPED");
	}

	private void send(String event, String state) {
		try {
			List<Heartbeat.RunningTask> tasks = this.running.executions()
				.stream()
				.map((run) -> new Heartbeat.RunningTask(run.notice().taskId(), run.notice().type(),
						run.notice().attempt(), run.notice().deliveryId(), run.notice().startedAt(), run.deadline()))
				.toList();
			Heartbeat heartbeat = new Heartbeat(this.workerId, event, state, this.host, this.version,
					this.interval.toMillis(), this.startedAt, this.clock.instant(), this.types.get(), tasks);
			this.template.send(this.exchange, Topology.HEARTBEAT_ROUTING_KEY, this.wire.heartbeatMessage(heartbeat));
		}
		catch (AmqpException ex) {
			log.debug("heartbeat not sent: {}", ex.getMessage());
		}
		catch (RuntimeException ex) {
			log.warn("heartbeat not sent: {}", ex.getMessage());
		}
	}

	private static String hostName() {
		try {
			return InetAddress.getLocalHost().getHostName();
		}
		catch (UnknownHostException ex) {
			return "unknown-host";
		}
	}

}
