package io.warren.master.dispatch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.MeterRegistry;
import io.warren.master.config.MasterProperties;
import io.warren.master.task.Task;
import io.warren.master.task.TaskAttempt;
import io.warren.master.task.TaskDispatcher;
import io.warren.master.task.TaskStatus;
import io.warren.master.task.TaskStore;
import io.warren.protocol.Topology;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Publishes task messages with publisher confirms and mandatory returns, without waiting:
 * a confirm is handled when it arrives, and only an ack without a return moves a task to
 * {@code QUEUED}. Anything else leaves it {@code PENDING} for the relay.
 */
@Component
public class TaskPublisher implements SmartLifecycle, TaskDispatcher {

	private static final Logger log = LoggerFactory.getLogger(TaskPublisher.class);

	private static final Duration STOP_WAIT = Duration.ofSeconds(5);

	private final RabbitTemplate template;

	private final TaskQueues queues;

	private final Topology topology;

	private final WireFormat wire;

	private final ConfirmRecorder confirms;

	private final MeterRegistry meters;

	private final ThreadPoolExecutor dispatch;

	private final Clock clock;

	private final Duration confirmTimeout;

	private final AtomicInteger outstanding = new AtomicInteger();

	private final PublishOutage outage;

	private final InFlight inFlight;

	private final int maxBacklog;

	private volatile boolean running;

	TaskPublisher(RabbitTemplate template, TaskQueues queues, Topology topology, WireFormat wire,
			ConfirmRecorder confirms, MeterRegistry meters, Clock clock, MasterProperties properties,
			InFlight inFlight) {
		this.template = template;
		this.queues = queues;
		this.topology = topology;
		this.wire = wire;
		this.confirms = confirms;
		this.meters = meters;
		this.clock = clock;
		this.confirmTimeout = properties.relay().confirmTimeout();
		this.outage = new PublishOutage(clock);
		this.maxBacklog = properties.submit().maxPublishBacklog();
		this.inFlight = inFlight;
		// Bounded: when the broker is slow, the overflow stays PENDING and the relay
		// takes it.
		this.dispatch = new ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(10_000),
				(runnable) -> {
					Thread thread = new Thread(runnable, "warren-publish");
					thread.setDaemon(true);
					return thread;
				}, new ThreadPoolExecutor.AbortPolicy());
	}

	/** Publishes soon, off the caller's thread; if that cannot be, the relay will. */
	@Override
	public void publishSoon(Task task) {
		if (!this.running) {
			return;
		}
		this.inFlight.add(attemptOf(task));
		try {
			this.dispatch.execute(() -> {
				if (leftToRelay(task, this.clock.instant())) {
					log.debug("task {} waited too long to be published; the relay will publish it", task.id());
					this.meters.counter("warren.publish.left-to-relay").increment();
					this.inFlight.remove(attemptOf(task));
					return;
				}
				publish(task);
			});
		}
		catch (RejectedExecutionException ex) {
			this.inFlight.remove(attemptOf(task));
			log.debug("task {} left to the relay: publish backlog full", task.id());
		}
	}

	/**
	 * Whether so many accepted tasks wait to be handed to the broker or for its confirm
	 * that accepting more would only leave them to the relay.
	 */
	@Override
	public boolean isBehind() {
		return this.dispatch.getQueue().size() + this.outstanding.get() >= this.maxBacklog;
	}

	/**
	 * Whether this master is publishing the task now (handed over, not yet confirmed or
	 * failed): the relay leaves such a task alone, so a slow first publish is not
	 * doubled.
	 */
	boolean isInFlight(Task task) {
		return this.inFlight.contains(attemptOf(task));
	}

	private static TaskAttempt attemptOf(Task task) {
		return new TaskAttempt(task.id(), task.attempt());
	}

	/**
	 * Whether a task waited in the publish backlog so long that the relay may claim it
	 * before its confirm is recorded. Publishing it here as well would run it twice; from
	 * half the confirm timeout on, only the relay publishes it.
	 */
	boolean leftToRelay(Task task, Instant now) {
		// since it became PENDING: submitted, or due, or retried by hand
		return now.isAfter(task.updatedAt().plus(this.confirmTimeout.dividedBy(2)));
	}

	/**
	 * Publishes now; returns false if the message could not be handed to the broker. Only
	 * a task read as {@code PENDING} is published: a caller that passes anything else is
	 * refused (false), so that no finished task runs again. (Whether the row is still
	 * {@code PENDING} is the claim's business: see
	 * {@link TaskStore#claimOverduePending}.)
	 */
	public boolean publish(Task task) {
		if (task.status() != TaskStatus.PENDING) {
			log.warn("task {} is {}, not PENDING; not published", task.id(), task.status());
			return false;
		}
		this.outstanding.incrementAndGet();
		this.inFlight.add(attemptOf(task));
		boolean handedOver = false;
		try {
			this.queues.ensureDeclared(task.type());
			Message message = this.wire.taskMessage(task.id(), task.type(), task.attempt(), task.priority(),
					task.payload(), task.createdAt(), task.timeoutMs());
			CorrelationData correlation = new CorrelationData(task.id() + "/" + task.attempt());
			this.template.send(this.topology.tasksExchange(), task.type(), message, correlation);
			handedOver = true;
			correlation.getFuture().whenComplete((confirm, ex) -> {
				this.outstanding.decrementAndGet();
				if (ex == null && confirm.ack() && correlation.getReturned() == null) {
					this.outage.succeeded();
					// still in flight until the recorder has written QUEUED
					this.confirms.confirmed(task);
				}
				else {
					this.inFlight.remove(attemptOf(task));
					unconfirmed(task, correlation, (ex != null) ? ex.getMessage() : confirm.reason());
				}
			});
			return true;
		}
		catch (AmqpException ex) {
			this.outage.failed(task.id(), ex.getMessage());
			this.meters.counter("warren.publish.failures", "reason", "send").increment();
			return false;
		}
		finally {
			if (!handedOver) {
				this.outstanding.decrementAndGet();
				this.inFlight.remove(attemptOf(task));
			}
		}
	}

	private void unconfirmed(Task task, CorrelationData correlation, String reason) {
		if (correlation.getReturned() != null) {
			this.queues.forget(task.type());
			log.warn("task {} returned by the broker ({}); its queue will be declared again", task.id(),
					correlation.getReturned().getReplyText());
			this.meters.counter("warren.publish.failures", "reason", "returned").increment();
		}
		else {
			// a lost connection fails every confirm still due: one line per outage
			this.outage.failed(task.id(), "not confirmed by the broker: " + reason);
			this.meters.counter("warren.publish.failures", "reason", "nack").increment();
		}
	}

	@Override
	public void start() {
		this.running = true;
	}

	/**
	 * Publishes what is queued, then waits a little for the confirms still due, so that a
	 * clean stop leaves no confirmed task {@code PENDING} (the relay would publish it
	 * again after the restart).
	 */
	@Override
	public void stop() {
		this.running = false;
		this.dispatch.shutdown();
		try {
			this.dispatch.awaitTermination(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
			long deadline = System.nanoTime() + STOP_WAIT.toNanos();
			while (this.outstanding.get() > 0 && System.nanoTime() < deadline) {
				Thread.sleep(10);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		if (this.outstanding.get() > 0) {
			log.warn("{} task(s) stay PENDING without a confirm; the relay publishes them after the restart",
					this.outstanding.get());
		}
	}

	@Override
	public int getPhase() {
		return DispatchPhases.PUBLISHER;
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

}
