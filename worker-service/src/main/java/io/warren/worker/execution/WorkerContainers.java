package io.warren.worker.execution;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import io.warren.monitoring.ConsumerHealthIndicator;
import io.warren.protocol.QueueType;
import io.warren.protocol.Topology;
import io.warren.protocol.WireFormat;
import io.warren.worker.config.WorkerProperties;
import io.warren.worker.handler.HandlerMethod;
import io.warren.worker.handler.HandlerRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.Declarable;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;

/**
 * One listener container per task type this worker serves: {@code concurrency} consumers,
 * each on its own channel with {@code prefetch} unacked deliveries, manual acks (sent
 * when the result is confirmed, see {@link ResultAcks}). The served types' queues are
 * declared on every new connection, so a worker may start before any task of its types
 * was submitted.
 */
public class WorkerContainers implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(WorkerContainers.class);

	private final CachingConnectionFactory connectionFactory;

	private final AmqpAdmin admin;

	private final HandlerRegistry handlers;

	private final WorkerProperties properties;

	private final Topology topology;

	private final WireFormat wire;

	private final ReplyPublisher replies;

	private final String workerId;

	private final ExecutionMetrics metrics;

	private final ConsumerHealthIndicator health;

	private final RunningTasks runningTasks;

	/** Created at each start: a stop ends them for good. */
	private Drain drain;

	private final ApplicationEventPublisher events;

	private final ReplyBackoff backoff;

	private ResultAcks acks;

	private StartVerdicts verdicts;

	private final List<SimpleMessageListenerContainer> containers = new ArrayList<>();

	private final List<String> served = new ArrayList<>();

	private volatile boolean running;

	public WorkerContainers(CachingConnectionFactory connectionFactory, AmqpAdmin admin, HandlerRegistry handlers,
			WorkerProperties properties, Topology topology, WireFormat wire, ReplyPublisher replies, String workerId,
			ExecutionMetrics metrics, RunningTasks runningTasks, ConsumerHealthIndicator health,
			ApplicationEventPublisher events, ReplyBackoff backoff) {
		this.connectionFactory = connectionFactory;
		this.admin = admin;
		this.handlers = handlers;
		this.properties = properties;
		this.topology = topology;
		this.wire = wire;
		this.replies = replies;
		this.workerId = workerId;
		this.metrics = metrics;
		this.health = health;
		this.runningTasks = runningTasks;
		this.events = events;
		this.backoff = backoff;
	}

	/** The task types this worker consumes. */
	public List<String> servedTypes() {
		return List.copyOf(this.served);
	}

	@Override
	public void start() {
		this.acks = new ResultAcks(this.backoff, this.metrics, this.replies);
		this.drain = new Drain(this.properties.drainTimeout(), this.runningTasks, this.replies, this.acks,
				Clock.systemUTC());
		this.served.clear();
		for (String type : this.handlers.types()) {
			if (this.properties.forType(type).enabled()) {
				this.served.add(type);
			}
		}
		this.verdicts = this.properties.verdictTimeout().isZero() ? null
				: new StartVerdicts(this.topology, this.wire, this.properties.verdictTimeout());
		this.connectionFactory.addConnectionListener((connection) -> declareServedQueues());
		try {
			declareServedQueues();
		}
		catch (AmqpException ex) {
			log.warn("broker unreachable at start-up; queues will be declared on connection: {}", ex.getMessage());
		}
		if (this.verdicts != null) {
			this.verdicts.start(this.connectionFactory);
		}
		for (String type : this.served) {
			this.metrics.watchRunning(type, this.runningTasks);
			this.metrics.watchUnconfirmed(type);
			this.containers.add(startContainer(this.handlers.find(type).orElseThrow()));
		}
		log.info("worker {} serving task types {}", this.workerId, this.served);
		this.running = true;
	}

	private SimpleMessageListenerContainer startContainer(HandlerMethod handler) {
		WorkerProperties.TypeSettings settings = this.properties.forType(handler.type());
		SimpleMessageListenerContainer container = new SimpleMessageListenerContainer(this.connectionFactory);
		container.setQueueNames(this.topology.taskQueue(handler.type()));
		container.setMessageListener(new TaskListener(handler, this.wire, this.replies, this.workerId,
				Clock.systemUTC(), this.metrics, this.runningTasks, this.backoff, this.acks, this.verdicts));
		container.setAcknowledgeMode(AcknowledgeMode.MANUAL);
		container.setConcurrentConsumers(settings.concurrency());
		container.setPrefetchCount(prefetch(handler.type(), settings));
		container.setMissingQueuesFatal(false);
		// the served queues are declared on every new connection (above); a container's
		// own redeclaration only repeats it, and logs an ERROR per consumer restart while
		// the broker is down
		container.setAutoDeclare(false);
		container.setDefaultRequeueRejected(false);
		// on stop: the drain time for running tasks, then the hand-back (see Drain)
		container.setShutdownTimeout(this.drain.containerShutdownTimeout().toMillis());
		container.setBeanName("warren-" + handler.type());
		container.setApplicationEventPublisher(this.events);
		container.afterPropertiesSet();
		this.health.watch(container, settings.concurrency());
		container.start();
		return container;
	}

	/**
	 * The type's prefetch, or by default 2 on a quorum queue (one delivery waits while
	 * the last result's confirm travels, see {@link ResultAcks}) and 1 on a classic
	 * queue, which delivers priorities strictly only at 1.
	 */
	private int prefetch(String type, WorkerProperties.TypeSettings settings) {
		if (settings.prefetch() != null) {
			return settings.prefetch();
		}
		return (this.topology.properties().queueTypeOf(type) == QueueType.QUORUM) ? 2 : 1;
	}

	private void declareServedQueues() {
		if (this.verdicts != null) {
			this.verdicts.declare(this.admin);
		}
		for (String type : this.served) {
			for (Declarable declarable : this.topology.forTaskType(type).getDeclarables()) {
				if (declarable instanceof Queue queue) {
					this.admin.declareQueue(queue);
				}
				else if (declarable instanceof Binding binding) {
					this.admin.declareBinding(binding);
				}
			}
		}
	}

	/**
	 * Stops taking deliveries and drains (see {@link Drain}). Blocks until done, which
	 * holds back the closing of the connections the running tasks report on.
	 */
	@Override
	public void stop() {
		// consumers pausing after an unconfirmed reply hand their task back now
		this.backoff.stop();
		this.drain.stop(this.containers);
		this.containers.forEach(this.health::forget);
		this.containers.clear();
		if (this.verdicts != null) {
			this.verdicts.stop();
		}
		this.running = false;
		log.info("worker {} stopped", this.workerId);
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

}
