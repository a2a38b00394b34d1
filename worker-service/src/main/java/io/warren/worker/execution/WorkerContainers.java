package io.warren.worker.execution;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.warren.monitoring.ConsumerHealthIndicator;
import io.warren.protocol.ReleasedNotice;
import io.warren.protocol.StartedNotice;
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
 * each on its own channel with {@code prefetch} unacked deliveries, manual acks. The
 * served types' queues are declared on every new connection, so a worker may start before
 * any task of its types was submitted.
 */
public class WorkerContainers implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(WorkerContainers.class);

	/** After the drain time: to send the released notices before the channels close. */
	static final Duration RELEASE_TIME = Duration.ofSeconds(3);

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

	private final ApplicationEventPublisher events;

	private final List<SimpleMessageListenerContainer> containers = new ArrayList<>();

	private final List<String> served = new ArrayList<>();

	private volatile boolean running;

	public WorkerContainers(CachingConnectionFactory connectionFactory, AmqpAdmin admin, HandlerRegistry handlers,
			WorkerProperties properties, Topology topology, WireFormat wire, ReplyPublisher replies, String workerId,
			ExecutionMetrics metrics, RunningTasks runningTasks, ConsumerHealthIndicator health,
			ApplicationEventPublisher events) {
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
	}

	/** The task types this worker consumes. */
	public List<String> servedTypes() {
		return List.copyOf(this.served);
	}

	@Override
	public void start() {
		for (String type : this.handlers.types()) {
			if (this.properties.forType(type).enabled()) {
				this.served.add(type);
			}
		}
		this.connectionFactory.addConnectionListener((connection) -> declareServedQueues());
		try {
			declareServedQueues();
		}
		catch (AmqpException ex) {
			log.warn("broker unreachable at start-up; queues will be declared on connection: {}", ex.getMessage());
		}
		for (String type : this.served) {
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
				Clock.systemUTC(), this.metrics, this.runningTasks));
		container.setAcknowledgeMode(AcknowledgeMode.MANUAL);
		container.setConcurrentConsumers(settings.concurrency());
		container.setPrefetchCount(settings.prefetch());
		container.setMissingQueuesFatal(false);
		container.setDefaultRequeueRejected(false);
		// on stop: cancel the consumers, let running tasks finish for the drain time,
		// then
		// close the channels so that the broker hands the rest to another worker
		container.setShutdownTimeout(this.properties.drainTimeout().plus(RELEASE_TIME).toMillis());
		container.setBeanName("warren-" + handler.type());
		container.setApplicationEventPublisher(this.events);
		container.afterPropertiesSet();
		this.health.watch(container);
		container.start();
		return container;
	}

	private void declareServedQueues() {
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
	 * Stops taking deliveries and drains, all types at once: running tasks get the drain
	 * time to finish. Those still running then are handed back: a confirmed released
	 * notice each, then the channels close and the broker requeues them for another
	 * worker. Blocks until done, which holds back the closing of the connections the
	 * running tasks report on.
	 */
	@Override
	public void stop() {
		Duration drain = this.properties.drainTimeout();
		if (this.runningTasks.count() > 0) {
			log.info("worker {} stopping: waiting up to {} for {} running task(s)", this.workerId, drain,
					this.runningTasks.count());
		}
		CompletableFuture<?>[] stops = this.containers.stream()
			.map((container) -> CompletableFuture.runAsync(container::stop,
					(command) -> new Thread(command, "warren-drain-" + container.getListenerId()).start()))
			.toArray(CompletableFuture[]::new);
		CompletableFuture<Void> stopped = CompletableFuture.allOf(stops);
		try {
			stopped.get(drain.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (TimeoutException ex) {
			releaseRunning(drain);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException ex) {
			log.warn("worker {}: a listener container failed to stop: {}", this.workerId, ex.getMessage());
		}
		stopped.join();
		this.containers.forEach(this.health::forget);
		this.containers.clear();
		this.running = false;
		log.info("worker {} stopped", this.workerId);
	}

	private void releaseRunning(Duration drain) {
		for (StartedNotice task : this.runningTasks.releaseAll()) {
			log.warn("task {} still running after the drain time of {}; handing it back", task.taskId(), drain);
			try {
				this.replies.released(new ReleasedNotice(task.taskId(), task.type(), task.attempt(), task.deliveryId(),
						task.workerId(), task.redelivered(), Instant.now()));
			}
			catch (RuntimeException ex) {
				log.warn("task {} released notice not confirmed; it shows RUNNING until it starts again: {}",
						task.taskId(), ex.getMessage());
			}
		}
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

}
