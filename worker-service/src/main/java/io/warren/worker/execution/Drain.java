package io.warren.worker.execution;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.warren.protocol.ReleasedNotice;
import io.warren.protocol.StartedNotice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;

/**
 * A worker's clean stop. Results already sent are acked first; then all containers stop
 * at once: they cancel their consumers, so no new task arrives, and wait for the running
 * ones. Deliveries that waited in a consumer's prefetch are not started: they return to
 * the queue when the channels close. Tasks still running when the drain time is over are
 * handed back: a confirmed released notice each, then the containers close their channels
 * and the broker requeues the deliveries for another worker.
 */
class Drain {

	private static final Logger log = LoggerFactory.getLogger(Drain.class);

	/**
	 * Before the drain, at most, for the result confirms under way; after the drain time,
	 * to send the released notices before the channels close.
	 */
	static final Duration RELEASE_TIME = Duration.ofSeconds(3);

	private final Duration drainTime;

	private final RunningTasks running;

	private final ReplyPublisher replies;

	private final Clock clock;

	private final ResultAcks acks;

	Drain(Duration drainTime, RunningTasks running, ReplyPublisher replies, ResultAcks acks, Clock clock) {
		this.drainTime = drainTime;
		this.running = running;
		this.replies = replies;
		this.acks = acks;
		this.clock = clock;
	}

	/** How long a container waits for its running tasks before closing its channels. */
	Duration containerShutdownTimeout() {
		return this.drainTime.plus(RELEASE_TIME);
	}

	/**
	 * Stops the containers; returns once all have stopped. Results already sent are acked
	 * first: their consumers' channels must stay open until their confirms arrive.
	 */
	void stop(List<SimpleMessageListenerContainer> containers) {
		// confirms come within milliseconds from a broker that works
		if (!this.acks.stopping(RELEASE_TIME)) {
			log.warn("stopping with {} result confirm(s) still missing; their tasks will run again",
					this.acks.pending());
		}
		if (this.running.count() > 0) {
			log.info("stopping: waiting up to {} for {} running task(s)", this.drainTime, this.running.count());
		}
		CompletableFuture<?>[] stops = containers.stream()
			.map((container) -> CompletableFuture.runAsync(container::stop,
					(command) -> new Thread(command, "warren-drain-" + container.getListenerId()).start()))
			.toArray(CompletableFuture[]::new);
		CompletableFuture<Void> stopped = CompletableFuture.allOf(stops);
		long deadline = System.nanoTime() + this.drainTime.toNanos();
		try {
			stopped.get(this.drainTime.toMillis(), TimeUnit.MILLISECONDS);
			// a container stopped by a pause returns at once while its tasks still run
			while (this.running.count() > 0 && System.nanoTime() < deadline) {
				Thread.sleep(50);
			}
			if (this.running.count() > 0) {
				releaseRunning();
			}
		}
		catch (TimeoutException ex) {
			releaseRunning();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException ex) {
			log.warn("a listener container failed to stop: {}", ex.getMessage());
		}
		stopped.exceptionally((ex) -> null).join();
		this.acks.stop();
	}

	private void releaseRunning() {
		for (StartedNotice task : this.running.releaseAll()) {
			log.warn("task {} still running after the drain time of {}; handing it back", task.taskId(),
					this.drainTime);
			try {
				this.replies.released(new ReleasedNotice(task.taskId(), task.type(), task.attempt(), task.deliveryId(),
						task.workerId(), task.redelivered(), this.clock.instant()));
			}
			catch (RuntimeException ex) {
				log.warn("task {} released notice not confirmed; it shows RUNNING until it starts again: {}",
						task.taskId(), ex.getMessage());
			}
		}
	}

}
