package io.warren.worker.execution;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import io.warren.monitoring.ConsumerHealthIndicator;
import io.warren.protocol.Heartbeat;
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
 * was submitted. The control channel pauses and resumes a type's container; heartbeats
 * tell the masters what runs here. A type whose paused state the masters do not answer
 * within the verdict timeout at start-up starts unpaused.
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

	private final Map<String, SimpleMessageListenerContainer> containers = new ConcurrentHashMap<>();

	private final List<String> served = new CopyOnWriteArrayList<>();

	private final Set<String> paused = ConcurrentHashMap.newKeySet();

	private final TaskControl control;

	private ControlListener controlListener;

	private Heartbeats heartbeats;

	/** One thread per type for the changes of its container. */
	private final Map<String, ExecutorService> typeThreads = new ConcurrentHashMap<>();

	/** When the last pause, resume or state applied to each type was sent. */
	private final Map<String, Instant> lastChange = new ConcurrentHashMap<>();

	private volatile boolean stopping;

	private volatile boolean running;

	public WorkerContainers(CachingConnectionFactory connectionFactory, AmqpAdmin admin, HandlerRegistry handlers,
			WorkerProperties properties, Topology topology, WireFormat wire, ReplyPublisher replies, String workerId,
			ExecutionMetrics metrics, RunningTasks runningTasks, ConsumerHealthIndicator health,
			ApplicationEventPublisher events, ReplyBackoff backoff, TaskControl control) {
		this.control = control;
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
		checkTimeouts();
		this.stopping = false;
		this.lastChange.clear();
		this.verdicts = this.properties.verdictTimeout().isZero() ? null
				: new StartVerdicts(this.topology, this.wire, this.properties.verdictTimeout());
		this.controlListener = new ControlListener(this.topology, this.wire, this.control, this);
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
		this.controlListener.start(this.connectionFactory);
		this.heartbeats = new Heartbeats(this.connectionFactory, this.topology, this.wire, this.workerId,
				this.properties.heartbeatInterval(), Clock.systemUTC(), this::state, this::typeStates,
				this.runningTasks);
		this.heartbeats.start();
		awaitPausedTypes();
		for (String type : this.served) {
			this.metrics.watchRunning(type, this.runningTasks);
			this.metrics.watchUnconfirmed(type);
			SimpleMessageListenerContainer container = createContainer(this.handlers.find(type).orElseThrow());
			this.containers.put(type, container);
			if (this.paused.contains(type)) {
				watchPaused(type, container);
			}
			else {
				activate(type, container);
			}
			// a pause that came while the container was made
			onTypeThread(type, () -> reconcile(type));
		}
		log.info("worker {} serving task types {}{}", this.workerId, this.served,
				this.paused.isEmpty() ? "" : " (paused: " + this.paused + ")");
		this.running = true;
	}

	/**
	 * The hello heartbeat asks the masters for the paused types: waits for the answer, so
	 * that no task of a paused type starts here, but not for ever (no master may be up).
	 */
	private void awaitPausedTypes() {
		Duration wait = this.properties.verdictTimeout().isZero() ? Duration.ofSeconds(5)
				: this.properties.verdictTimeout();
		try {
			this.controlListener.firstState().get(wait.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (TimeoutException | ExecutionException ex) {
			log.warn("no master told this worker the paused types within {}; starting with none paused (they "
					+ "arrive with the answer to a later heartbeat)", wait);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Refuses to start when a delivery could wait in a consumer's prefetch and run past
	 * the broker's consumer timeout (the broker would close the channel and redeliver
	 * tasks still running); warns for types without a timeout of their own.
	 */
	private void checkTimeouts() {
		List<String> untimed = checkTimeouts(this.properties, this.served,
				(type) -> prefetch(type, this.properties.forType(type)));
		if (!untimed.isEmpty()) {
			log.warn("task types {} have no timeout on this worker (warren.worker.types.<type>.timeout): their runs "
					+ "stop only at warren.worker.max-timeout ({}) unless the task or the master says otherwise",
					untimed, this.properties.maxTimeout());
		}
	}

	/**
	 * Throws if a delivery of a served type could be held unacked (waiting in the
	 * prefetch, then running) for the broker's consumer timeout; returns the served types
	 * without a timeout of their own.
	 */
	static List<String> checkTimeouts(WorkerProperties properties, List<String> served,
			Function<String, Integer> prefetchOf) {
		// one delivery, from its arrival to its ack: the verdict it may wait for, its run
		// (to the deadline and the grace period) and its result's confirm
		Duration longest = properties.maxTimeout()
			.plus(properties.timeoutGrace())
			.plus(properties.verdictTimeout())
			.plus(properties.resultConfirmTimeout());
		List<String> untimed = new ArrayList<>();
		for (String type : served) {
			int prefetch = prefetchOf.apply(type);
			Duration held = longest.multipliedBy(prefetch);
			if (held.compareTo(properties.brokerConsumerTimeout()) >= 0) {
				throw new IllegalStateException("task type " + type + ": a delivery may be held unacked for up to "
						+ held + " (prefetch " + prefetch + " x (warren.worker.max-timeout " + properties.maxTimeout()
						+ " + timeout-grace " + properties.timeoutGrace() + " + verdict-timeout "
						+ properties.verdictTimeout() + " + result-confirm-timeout " + properties.resultConfirmTimeout()
						+ ")), not less than the broker's consumer timeout of " + properties.brokerConsumerTimeout()
						+ " (warren.worker.broker-consumer-timeout): the broker would close the channel and give "
						+ "tasks still running to another worker. Lower warren.worker.max-timeout or the type's "
						+ "prefetch, or raise consumer_timeout in rabbitmq.conf and "
						+ "warren.worker.broker-consumer-timeout with it");
			}
			if (properties.forType(type).timeout() == null) {
				untimed.add(type);
			}
		}
		return untimed;
	}

	/** The state heartbeats report. */
	private String state() {
		if (this.stopping) {
			return "DRAINING";
		}
		return (!this.served.isEmpty() && this.paused.containsAll(this.served)) ? "PAUSED" : "RUNNING";
	}

	private List<Heartbeat.TypeState> typeStates() {
		Map<String, String> stopped = this.runningTasks.stoppedTypes();
		return this.served.stream()
			.map((type) -> new Heartbeat.TypeState(type, this.properties.forType(type).concurrency(),
					this.paused.contains(type), stopped.get(type)))
			.toList();
	}

	/**
	 * Stops taking tasks of a type; its running tasks finish. Idempotent. A pause sent
	 * before the last change of the type this worker applied is stale and ignored.
	 */
	void pause(String type, Instant sentAt) {
		if (this.served.contains(type) && isCurrent(type, sentAt)) {
			this.paused.add(type);
			onTypeThread(type, () -> reconcile(type));
		}
	}

	/** Takes tasks of a paused type again, unless a stuck handler stopped it. */
	void resume(String type, Instant sentAt) {
		if (this.served.contains(type) && isCurrent(type, sentAt)) {
			this.paused.remove(type);
			onTypeThread(type, () -> reconcile(type));
		}
	}

	/**
	 * The full list of paused types, as a master read it at {@code asOf}: pauses and
	 * resumes to match, except for types changed by a later pause or resume (the list may
	 * have been read just before it).
	 */
	void pausedTypes(List<String> pausedTypes, Instant asOf) {
		for (String type : this.served) {
			if (pausedTypes.contains(type)) {
				pause(type, asOf);
			}
			else {
				resume(type, asOf);
			}
		}
	}

	/**
	 * Whether a control message sent at {@code sentAt} is not older than the last one
	 * applied to the type.
	 */
	private boolean isCurrent(String type, Instant sentAt) {
		Instant[] current = new Instant[1];
		this.lastChange.compute(type, (key, last) -> {
			current[0] = (last == null || !sentAt.isBefore(last)) ? sentAt : null;
			return (current[0] != null) ? sentAt : last;
		});
		return current[0] != null;
	}

	/**
	 * Makes a type's container match what is wanted: stopped while paused (running tasks
	 * finish, however long they take within their timeout; deliveries waiting in the
	 * prefetch are not started, see {@link TaskListener}), running otherwise, unless a
	 * stuck handler stopped the type for good.
	 */
	private void reconcile(String type) {
		SimpleMessageListenerContainer container = this.containers.get(type);
		if (container == null) {
			return;
		}
		boolean wanted = !this.paused.contains(type) && !this.runningTasks.stoppedTypes().containsKey(type);
		if (wanted && !container.isRunning()) {
			log.info("task type {} resumed", type);
			activate(type, container);
		}
		else if (!wanted && container.isRunning()) {
			log.info("task type {} paused: taking no new task, letting running ones finish", type);
			this.health.paused(container, true);
			stopLettingRunningTasksFinish(container);
		}
	}

	/** Stops taking a type for good (a handler ignored its interruption). */
	private void stopTaking(String type) {
		onTypeThread(type, () -> {
			SimpleMessageListenerContainer container = this.containers.get(type);
			if (container != null && container.isRunning()) {
				this.health.forget(container);
				stopLettingRunningTasksFinish(container);
			}
		});
	}

	/**
	 * Stops a container, waiting for its running tasks as long as they may run (the drain
	 * time of a worker's stop would hand them back).
	 */
	private void stopLettingRunningTasksFinish(SimpleMessageListenerContainer container) {
		// acks owed for results already sent go out before any channel closes
		this.acks.settled(Drain.RELEASE_TIME);
		container.setShutdownTimeout(this.properties.maxTimeout().plus(this.properties.timeoutGrace()).toMillis());
		container.stop();
		container.setShutdownTimeout(this.drain.containerShutdownTimeout().toMillis());
	}

	/**
	 * Runs a change of a type's container on that type's own thread: changes of one type
	 * in the order they came, and a pause waiting for long tasks of one type holds up no
	 * other.
	 */
	private void onTypeThread(String type, Runnable action) {
		if (this.stopping) {
			return;
		}
		ExecutorService executor = this.typeThreads.computeIfAbsent(type,
				(name) -> Executors.newSingleThreadExecutor((command) -> {
					Thread thread = new Thread(command, "warren-control-" + name);
					thread.setDaemon(true);
					return thread;
				}));
		try {
			executor.execute(() -> {
				if (this.stopping) {
					return;
				}
				try {
					action.run();
				}
				catch (RuntimeException ex) {
					log.warn("control action on type {} failed: {}", type, ex.getMessage());
				}
			});
		}
		catch (RejectedExecutionException ex) {
			// stopping
		}
	}

	private SimpleMessageListenerContainer createContainer(HandlerMethod handler) {
		WorkerProperties.TypeSettings settings = this.properties.forType(handler.type());
		SimpleMessageListenerContainer container = new SimpleMessageListenerContainer(this.connectionFactory);
		container.setQueueNames(this.topology.taskQueue(handler.type()));
		TaskListener.Limits limits = new TaskListener.Limits(this.control, this.properties,
				() -> stopTaking(handler.type()), () -> this.paused.contains(handler.type()),
				() -> isActive(handler.type()));
		container.setMessageListener(new TaskListener(handler, this.wire, this.replies, this.workerId,
				Clock.systemUTC(), this.metrics, this.runningTasks, this.backoff, this.acks, this.verdicts, limits));
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
		return container;
	}

	/** Whether the type's container is active: started, and not begun to stop. */
	private boolean isActive(String type) {
		SimpleMessageListenerContainer container = this.containers.get(type);
		return container != null && container.isActive();
	}

	private void activate(String type, SimpleMessageListenerContainer container) {
		this.health.watch(container, this.properties.forType(type).concurrency());
		container.start();
	}

	/** Watched by the health check, as paused: a paused type does not make it DOWN. */
	private void watchPaused(String type, SimpleMessageListenerContainer container) {
		this.health.watch(container, this.properties.forType(type).concurrency());
		this.health.paused(container, true);
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
		if (this.controlListener != null) {
			this.controlListener.declare(this.admin);
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
		this.stopping = true;
		// a pause under way keeps waiting for its running tasks; the drain below waits
		// for them too, and hands back those that outlast it
		this.typeThreads.values().forEach(ExecutorService::shutdown);
		this.typeThreads.clear();
		this.heartbeats.beatNow();
		// consumers pausing after an unconfirmed reply hand their task back now
		this.backoff.stop();
		List<SimpleMessageListenerContainer> all = List.copyOf(this.containers.values());
		this.drain.stop(all);
		all.forEach(this.health::forget);
		this.containers.clear();
		this.heartbeats.stop();
		this.controlListener.stop();
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
