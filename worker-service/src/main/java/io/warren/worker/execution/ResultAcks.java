package io.warren.worker.execution;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.rabbitmq.client.Channel;
import io.warren.protocol.ReleasedNotice;
import io.warren.protocol.TaskResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acks each task when the broker confirms its result, off the handler's thread: the
 * consumer goes on to its next delivery (the type's prefetch lets one wait) while the
 * confirm travels. A result the broker did not confirm hands its delivery back after the
 * consumer's back-off pause, as a failed started notice does, so that an unroutable
 * result does not turn into a hot redelivery loop; until then the delivery stays unacked
 * and counts against the prefetch, which holds the consumer back.
 * <p>
 * The ack goes on the consumer's own channel from the confirm's thread; a channel that
 * closed in between (broker connection lost) requeues the delivery, and the master counts
 * the second run. A clean stop waits for the confirms under way first (see
 * {@link #stopping(Duration)}).
 */
public class ResultAcks {

	private static final Logger log = LoggerFactory.getLogger(ResultAcks.class);

	private final ReplyBackoff backoff;

	private final ExecutionMetrics metrics;

	private final ReplyPublisher replies;

	/**
	 * Sends the acks and, after their pause, the hand-backs: never on the connection's
	 * thread that completes the confirms, which must not wait for a consumer channel's
	 * lock (held during a blocking {@code basic.cancel} while a container stops).
	 */
	private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor((command) -> {
		Thread thread = new Thread(command, "warren-acks");
		thread.setDaemon(true);
		return thread;
	});

	private final Object lock = new Object();

	private int pending;

	private volatile boolean stopping;

	public ResultAcks(ReplyBackoff backoff, ExecutionMetrics metrics) {
		this(backoff, metrics, null);
	}

	/**
	 * Acks that also send a released notice (not waited for) for each delivery handed
	 * back, if {@code replies} is not {@code null}.
	 */
	public ResultAcks(ReplyBackoff backoff, ExecutionMetrics metrics, ReplyPublisher replies) {
		this.backoff = backoff;
		this.metrics = metrics;
		this.replies = replies;
	}

	/**
	 * Acks the delivery when {@code confirmed} completes, or hands it back after the
	 * consumer's pause if it fails. Called on the consumer's thread; once the worker is
	 * stopping, waits for the outcome there, so that no consumer closes its channel
	 * before its last ack.
	 */
	void ackWhenConfirmed(CompletableFuture<Void> confirmed, TaskResult result, Channel channel, long tag) {
		ackWhenConfirmed(confirmed, result, channel, tag, false);
	}

	/**
	 * As above, also waiting on the consumer's thread if {@code wait} (its container is
	 * about to stop: a paused type).
	 */
	void ackWhenConfirmed(CompletableFuture<Void> confirmed, TaskResult result, Channel channel, long tag,
			boolean wait) {
		Thread consumer = Thread.currentThread();
		synchronized (this.lock) {
			this.pending++;
		}
		CompletableFuture<Void> settled = confirmed.whenCompleteAsync((ignored, failure) -> {
			try {
				if (failure == null) {
					this.backoff.succeeded(consumer);
					basicAck(channel, tag, result);
				}
				else {
					handBack(consumer, result, channel, tag, failure);
				}
			}
			finally {
				settled();
			}
		}, this.executor);
		if (this.stopping || wait) {
			settled.handle((ignored, failure) -> null).join();
		}
	}

	private void basicAck(Channel channel, long tag, TaskResult result) {
		try {
			channel.basicAck(tag, false);
			log.debug("task {} {} and acked", result.taskId(), result.outcome());
		}
		catch (IOException | RuntimeException ex) {
			log.info("task {} result confirmed but its ack failed; the broker delivers it again: {}", result.taskId(),
					ex.getMessage());
		}
	}

	private void handBack(Thread consumer, TaskResult result, Channel channel, long tag, Throwable failure) {
		Throwable cause = (failure instanceof CompletionException) ? failure.getCause() : failure;
		log.warn("task {} result not confirmed, handing the task back for redelivery: {}", result.taskId(),
				cause.getMessage());
		this.metrics.unconfirmed(result.type(), "result");
		if (this.replies != null) {
			// not a worker that died: not counted towards poisoning
			this.replies.releasedWithoutWaiting(new ReleasedNotice(result.taskId(), result.type(), result.attempt(),
					result.deliveryId(), result.workerId(), result.redelivered(), Instant.now()));
		}
		Duration pause = this.backoff.recordFailure(consumer,
				"result of task " + result.taskId() + ": " + cause.getMessage());
		try {
			this.executor.schedule(() -> nack(channel, tag, result), pause.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (RuntimeException ex) {
			// stopping: the channel closes and the broker requeues the delivery
			log.debug("task {} left to the channel's close: {}", result.taskId(), ex.getMessage());
		}
	}

	private void nack(Channel channel, long tag, TaskResult result) {
		try {
			channel.basicNack(tag, false, true);
		}
		catch (IOException | RuntimeException ex) {
			log.debug("task {} hand-back: the channel is gone, the broker requeues it: {}", result.taskId(),
					ex.getMessage());
		}
	}

	private void settled() {
		synchronized (this.lock) {
			this.pending--;
			if (this.pending == 0) {
				this.lock.notifyAll();
			}
		}
	}

	/** Whether the worker is stopping (see {@link #stopping(Duration)}). */
	boolean isStopping() {
		return this.stopping;
	}

	/** Results sent whose confirm has not arrived yet. */
	int pending() {
		synchronized (this.lock) {
			return this.pending;
		}
	}

	/**
	 * The worker is stopping: from now on each consumer waits for its result's confirm
	 * itself, and deliveries not started yet are not started. Then waits until none of
	 * the confirms sent before is under way, or the timeout is over; true if none is.
	 */
	boolean stopping(Duration timeout) {
		this.stopping = true;
		return settled(timeout);
	}

	/**
	 * Waits until none of the confirms sent so far is under way, or the timeout is over;
	 * true if none is. Before a container stops (a pause), so that it closes no channel
	 * before an ack it owes.
	 */
	boolean settled(Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		synchronized (this.lock) {
			while (this.pending > 0) {
				long left = deadline - System.nanoTime();
				if (left <= 0) {
					return false;
				}
				try {
					TimeUnit.NANOSECONDS.timedWait(this.lock, left);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return false;
				}
			}
			return true;
		}
	}

	/**
	 * Stopped: hand-backs still waiting out their pause are dropped; their channels close
	 * with the containers and the broker requeues the deliveries.
	 */
	void stop() {
		this.executor.shutdownNow();
	}

}
