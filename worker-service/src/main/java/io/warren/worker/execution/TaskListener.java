package io.warren.worker.execution;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import com.rabbitmq.client.Channel;
import io.warren.protocol.MalformedMessageException;
import io.warren.protocol.Outcome;
import io.warren.protocol.ReleasedNotice;
import io.warren.protocol.StartVerdict;
import io.warren.protocol.StartedNotice;
import io.warren.protocol.TaskError;
import io.warren.protocol.TaskMessage;
import io.warren.protocol.TaskResult;
import io.warren.protocol.WireFormat;
import io.warren.worker.config.WorkerProperties;
import io.warren.worker.handler.HandlerMethod;
import io.warren.worker.handler.InvalidPayloadException;
import io.warren.worker.handler.NonRetryableTaskException;
import io.warren.worker.handler.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import tools.jackson.databind.JsonNode;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;

/**
 * Runs one task type's deliveries, in the order the protocol sets: confirmed started
 * notice, handler, confirmed result, ack. The result's confirm is not waited for here:
 * {@link ResultAcks} acks the delivery when it arrives while this consumer goes on. A
 * crash anywhere before the ack leaves the delivery unacked, so the broker redelivers it
 * and the master counts the duplicate. A redelivered delivery asks the master first
 * whether to run it ({@link StartVerdicts}): not if its task is finished, its attempt no
 * longer current, or its task poisoned. A message that cannot be decoded is copied to the
 * dead-letter exchange with the reason, then acked.
 */
public class TaskListener implements ChannelAwareMessageListener {

	private static final Logger log = LoggerFactory.getLogger(TaskListener.class);

	private final HandlerMethod handler;

	private final WireFormat wire;

	private final ReplyPublisher replies;

	private final String workerId;

	private final Clock clock;

	private final ExecutionMetrics metrics;

	private final RunningTasks running;

	private final ReplyBackoff backoff;

	private final ResultAcks acks;

	private final StartVerdicts verdicts;

	private final Limits limits;

	/**
	 * What stops this listener's deliveries.
	 *
	 * @param control interrupts at deadlines and on cancels
	 * @param properties the worker's timeouts
	 * @param stopType called once a handler ignored its stop for the grace period: the
	 * worker stops taking the type
	 * @param paused whether the type is paused: a delivery that waited in the prefetch is
	 * not started
	 * @param active whether the type's container is still active (it has not begun to
	 * stop)
	 */
	public record Limits(TaskControl control, WorkerProperties properties, Runnable stopType, BooleanSupplier paused,
			BooleanSupplier active) {

		Duration timeoutOf(TaskMessage task) {
			return this.properties.timeoutOf(task.type(), task.timeoutMs());
		}

	}

	/** As below, without asking the master about redelivered deliveries. */
	public TaskListener(HandlerMethod handler, WireFormat wire, ReplyPublisher replies, String workerId, Clock clock,
			ExecutionMetrics metrics, RunningTasks running, ReplyBackoff backoff, ResultAcks acks) {
		this(handler, wire, replies, workerId, clock, metrics, running, backoff, acks, null);
	}

	/**
	 * A listener that asks {@code verdicts} (if not {@code null}) whether to run a
	 * redelivered delivery.
	 */
	public TaskListener(HandlerMethod handler, WireFormat wire, ReplyPublisher replies, String workerId, Clock clock,
			ExecutionMetrics metrics, RunningTasks running, ReplyBackoff backoff, ResultAcks acks,
			StartVerdicts verdicts) {
		this(handler, wire, replies, workerId, clock, metrics, running, backoff, acks, verdicts, null);
	}

	/**
	 * A listener whose deliveries time out and can be cancelled as {@code limits} says
	 * ({@code null}: never).
	 */
	public TaskListener(HandlerMethod handler, WireFormat wire, ReplyPublisher replies, String workerId, Clock clock,
			ExecutionMetrics metrics, RunningTasks running, ReplyBackoff backoff, ResultAcks acks,
			StartVerdicts verdicts, Limits limits) {
		this.limits = limits;
		this.verdicts = verdicts;
		this.handler = handler;
		this.wire = wire;
		this.replies = replies;
		this.workerId = workerId;
		this.clock = clock;
		this.metrics = metrics;
		this.running = running;
		this.backoff = backoff;
		this.acks = acks;
	}

	@Override
	public void onMessage(Message message, Channel channel) throws Exception {
		long tag = message.getMessageProperties().getDeliveryTag();
		boolean redelivered = Boolean.TRUE.equals(message.getMessageProperties().getRedelivered());
		TaskMessage task;
		try {
			task = this.wire.readTask(message);
			if (!task.type().equals(this.handler.type())) {
				throw new MalformedMessageException(
						"type " + task.type() + " delivered on the queue of " + this.handler.type());
			}
		}
		catch (MalformedMessageException ex) {
			deadLetter(message, channel, tag, ex.getMessage());
			return;
		}
		catch (RuntimeException ex) {
			// whatever else a body can make decoding throw: the delivery is settled and
			// never left holding this consumer
			log.warn("task message on the queue of {} could not be decoded", this.handler.type(), ex);
			deadLetter(message, channel, tag, "undecodable task message");
			return;
		}
		if (this.acks.isStopping()) {
			// a delivery that waited in the prefetch: not started, so not reported; it
			// stays
			// unacked and the broker gets it back when the stopping consumer's channel
			// closes (a nack now could come straight back to this consumer)
			log.debug("task {} not started: the worker is stopping", task.id());
			return;
		}
		if (this.limits != null && this.limits.paused().getAsBoolean() && !resumedBeforeStop()) {
			// a delivery that waited in the prefetch of a paused type: not started, so
			// not
			// reported; unacked, it returns to the queue when the stopping consumer's
			// channel closes
			log.debug("task {} not started: its type is paused", task.id());
			return;
		}
		if (this.limits != null && this.limits.control().isCancelled(task.id(), task.attempt())) {
			log.info("task {} not run: it was cancelled", task.id());
			this.metrics.skipped(task.type());
			channel.basicAck(tag, false);
			return;
		}
		MDC.put("taskId", task.id().toString());
		try {
			run(task, redelivered, channel, tag);
		}
		finally {
			MDC.remove("taskId");
		}
	}

	/**
	 * Waits while the type is paused and its container has not begun to stop (a pause
	 * takes a moment to stop it): true if the type was resumed meanwhile, so that a
	 * delivery caught between a pause and a quick resume runs rather than waiting unacked
	 * on a channel that stays open.
	 */
	private boolean resumedBeforeStop() {
		while (this.limits.paused().getAsBoolean() && this.limits.active().getAsBoolean() && !this.acks.isStopping()) {
			LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
			// a stray interrupt must not end the wait: the container's stop does
			Thread.interrupted();
		}
		// not once the container began to stop: its channel may close before the ack
		return !this.limits.paused().getAsBoolean() && this.limits.active().getAsBoolean() && !this.acks.isStopping();
	}

	/**
	 * The started notice is confirmed before the handler runs: the evidence that a run
	 * began is safe before the run, so a crash during it is always counted. This is
	 * called only for the delivery this consumer is about to run, never for prefetched
	 * ones still waiting.
	 */
	private void run(TaskMessage task, boolean redelivered, Channel channel, long tag) throws IOException {
		UUID deliveryId = UUID.randomUUID();
		Instant started = this.clock.instant();
		StartedNotice notice = new StartedNotice(task.id(), task.type(), task.attempt(), deliveryId, this.workerId,
				redelivered, started);
		boolean ask = redelivered && this.verdicts != null;
		CompletableFuture<StartVerdict> verdict = ask ? this.verdicts.expect(deliveryId) : null;
		try {
			if (ask) {
				this.replies.started(notice, this.verdicts.queue());
			}
			else {
				this.replies.started(notice);
			}
		}
		catch (RuntimeException ex) {
			if (ask) {
				this.verdicts.forget(deliveryId);
			}
			handBack(task, deliveryId, redelivered, "started", ex, channel, tag);
			return;
		}
		this.backoff.succeeded();
		if (ask && !mayRun(task, deliveryId, verdict)) {
			this.metrics.skipped(task.type());
			channel.basicAck(tag, false);
			return;
		}
		log.debug("task {} attempt {} delivery {} started (redelivered: {})", task.id(), task.attempt(), deliveryId,
				redelivered);
		Instant deadline = (this.limits != null) ? started.plus(this.limits.timeoutOf(task)) : null;
		Execution execution = new Execution(notice, Thread.currentThread(), deadline, channel, tag);
		// what the give-up needs of the task, not its payload: the timer may hold it
		TaskMessage identity = new TaskMessage(task.id(), task.type(), task.attempt(), task.priority(), null,
				task.createdAt(), task.timeoutMs());
		execution.onIgnored(() -> abandon(identity, execution));
		this.running.add(execution);
		if (this.limits != null) {
			this.limits.control().watch(execution);
			if (this.limits.control().isCancelled(task.id(), task.attempt())) {
				// the cancel came while the started notice or the verdict travelled
				execution.stop(TaskError.CANCELLED);
			}
		}
		try {
			runStarted(task, execution, channel, tag);
		}
		finally {
			this.running.remove(deliveryId);
		}
	}

	/**
	 * A handler told to stop (deadline, cancel) that has not returned after the grace
	 * period: its task is reported as stopped now and its delivery acked once the result
	 * is confirmed; this worker takes no more tasks of the type (the consumer thread is
	 * held by the handler), and says so in its health and heartbeats. Whatever the
	 * handler returns later is not reported.
	 */
	private void abandon(TaskMessage task, Execution execution) {
		String reason = execution.stopReason();
		if (reason == null || !execution.abandon()) {
			return;
		}
		StartedNotice notice = execution.notice();
		Duration grace = this.limits.control().grace();
		log.error("task {}: its handler ignored its interruption ({}) for {}; reporting it, and this worker takes no "
				+ "more tasks of type {} (restart it)", task.id(), reason, grace, task.type());
		this.running.remove(notice.deliveryId());
		this.running.typeStopped(task.type(), "the handler of task " + task.id() + " ignored its interruption ("
				+ reason + ") for " + grace + "; restart the worker");
		TaskResult result = stopped(task, notice, reason, " (its handler did not stop within " + grace + ")");
		this.metrics.executed(task.type(), result.outcome(), result.durationMs());
		try {
			this.acks.ackWhenConfirmed(this.replies.result(result), result, execution.channel(),
					execution.deliveryTag());
		}
		catch (RuntimeException ex) {
			log.warn("task {} stopped result not confirmed; it stays unacked: {}", task.id(), ex.getMessage());
		}
		this.limits.stopType().run();
	}

	private TaskResult stopped(TaskMessage task, StartedNotice notice, String reason, String detail) {
		boolean timedOut = TaskError.TIMED_OUT.equals(reason);
		String message = timedOut ? "ran longer than its timeout of " + this.limits.timeoutOf(task) + detail
				: "cancelled while it ran" + detail;
		return new TaskResult(task.id(), task.type(), task.attempt(), notice.deliveryId(), this.workerId,
				notice.redelivered(), Outcome.FAILED, null, new TaskError(reason, message, timedOut),
				notice.startedAt(), this.clock.instant());
	}

	/**
	 * Whether the master lets a redelivered delivery run: yes, unless it said no (a
	 * verdict that does not come in time lets it run).
	 */
	private boolean mayRun(TaskMessage task, UUID deliveryId, CompletableFuture<StartVerdict> verdict) {
		StartVerdict answer;
		try {
			answer = this.verdicts.await(deliveryId, verdict);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return true;
		}
		if (answer != null && !answer.run()) {
			log.info("task {} attempt {} redelivered, not run: {}", task.id(), task.attempt(), answer.reason());
			return false;
		}
		return true;
	}

	private void runStarted(TaskMessage task, Execution execution, Channel channel, long tag) throws IOException {
		StartedNotice notice = execution.notice();
		UUID deliveryId = notice.deliveryId();
		boolean redelivered = notice.redelivered();
		Instant started = notice.startedAt();
		TaskContext context = new TaskContext(task.id(), task.type(), task.attempt(), deliveryId, redelivered,
				task.priority(), task.createdAt(), this.workerId, execution.deadline(), execution::stopReason);
		TaskResult result;
		String stopReason;
		try {
			result = execute(task, context, started);
		}
		finally {
			// no interrupt of this thread after this, whatever the handler threw
			stopReason = execution.end();
		}
		if (execution.isAbandoned()) {
			log.info("task {} handler returned after it was given up on; its result is not reported", task.id());
			return;
		}
		if (this.running.isReleased(deliveryId)) {
			log.info("task {} handler returned after the task was handed back; its result is not reported", task.id());
			return;
		}
		if (stopReason != null) {
			// whatever the handler made of its interruption
			result = stopped(task, notice, stopReason, "");
		}
		this.metrics.executed(task.type(), result.outcome(), result.durationMs());
		CompletableFuture<Void> confirmed;
		try {
			confirmed = this.replies.result(result);
		}
		catch (RuntimeException ex) {
			handBack(task, deliveryId, notice.redelivered(), "result", ex, channel, tag);
			return;
		}
		// a container that stops (a paused type, a stuck one): its channel must outlive
		// the ack
		this.acks.ackWhenConfirmed(confirmed, result, channel, tag,
				this.limits != null && (this.limits.paused().getAsBoolean() || !this.limits.active().getAsBoolean()));
	}

	/**
	 * A reply the broker did not confirm: the delivery goes back to the queue, after a
	 * pause that grows while the failures go on, with a released notice sent on the way
	 * (not waited for), so that the master does not take the hand-back for a worker that
	 * died.
	 */
	private void handBack(TaskMessage task, UUID deliveryId, boolean redelivered, String kind, RuntimeException ex,
			Channel channel, long tag) throws IOException {
		this.replies.releasedWithoutWaiting(new ReleasedNotice(task.id(), task.type(), task.attempt(), deliveryId,
				this.workerId, redelivered, this.clock.instant()));
		// not running any more: the drain must not release it, the in-flight gauge not
		// count it during the pause
		this.running.remove(deliveryId);
		log.warn("task {} {} not confirmed, handing the task back for redelivery: {}", task.id(),
				(kind.equals("started") ? "started notice" : kind), ex.getMessage());
		this.metrics.unconfirmed(task.type(), kind);
		this.backoff.failed(kind + " of task " + task.id() + ": " + ex.getMessage());
		channel.basicNack(tag, false, true);
	}

	private TaskResult execute(TaskMessage task, TaskContext context, Instant started) {
		try {
			JsonNode value = this.handler.invoke(task.payload(), context);
			return new TaskResult(task.id(), task.type(), task.attempt(), context.deliveryId(), this.workerId,
					context.redelivered(), Outcome.SUCCEEDED, value, null, started, this.clock.instant());
		}
		catch (Exception | StackOverflowError | LinkageError | AssertionError ex) {
			boolean retryable = !(ex instanceof NonRetryableTaskException);
			if (retryable) {
				log.info("task {} handler failed", task.id(), ex);
			}
			else {
				log.debug("task {} handler failed: {}", task.id(), ex.getMessage());
			}
			// the handler's own words, never a class name: the log above has the details
			String message = (ex.getMessage() != null) ? ex.getMessage() : "the handler failed without a message";
			return new TaskResult(task.id(), task.type(), task.attempt(), context.deliveryId(), this.workerId,
					context.redelivered(), Outcome.FAILED, null, new TaskError(errorCode(ex), message, retryable),
					started, this.clock.instant());
		}
	}

	private static String errorCode(Throwable ex) {
		return (ex instanceof InvalidPayloadException) ? TaskError.INVALID_PAYLOAD : TaskError.HANDLER_ERROR;
	}

	private void deadLetter(Message message, Channel channel, long tag, String reason) throws IOException {
		log.warn("dead-lettering a malformed message on the queue of {} (message_id {}): {}", this.handler.type(),
				message.getMessageProperties().getMessageId(), reason);
		try {
			this.replies.deadLetter(message, this.handler.type(), "malformed: " + reason);
		}
		catch (RuntimeException ex) {
			log.warn("dead letter not confirmed, handing the message back: {}", ex.getMessage());
			this.metrics.unconfirmed(this.handler.type(), "dead-letter");
			this.backoff.failed("dead letter on the queue of " + this.handler.type() + ": " + ex.getMessage());
			channel.basicNack(tag, false, true);
			return;
		}
		this.backoff.succeeded();
		this.metrics.malformed(this.handler.type());
		channel.basicAck(tag, false);
	}

}
