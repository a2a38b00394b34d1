package io.warren.master.dispatch;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.warren.master.config.MasterProperties;
import io.warren.master.task.Task;
import io.warren.master.task.TaskAttempt;
import io.warren.master.task.TaskTransitions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Moves confirmed tasks to {@code QUEUED} in batches, on its own thread, so that confirm
 * callbacks never wait on the database. A batch that fails to write is not retried: those
 * tasks stay {@code PENDING} and the relay publishes them again, which is safe.
 * <p>
 * A confirm is recorded {@code warren.master.relay.confirm-record-delay} after the first
 * one of a batch arrived, with every confirm that arrived meanwhile (so between 0 and
 * that delay after its own): a task that a worker started by then has been moved on by
 * its started notice or result, and its confirm changes nothing (no row write), while the
 * others are written in one transaction. A stopping master records what it holds at once.
 */
@Component
class ConfirmRecorder implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(ConfirmRecorder.class);

	private static final int BATCH = 500;

	/** How often a delay checks whether the recorder is stopping. */
	private static final long STOP_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

	private final LinkedBlockingQueue<Confirmed> confirmed = new LinkedBlockingQueue<>();

	private final TaskTransitions transitions;

	private final InFlight inFlight;

	private final long delayNanos;

	private volatile Thread worker;

	ConfirmRecorder(TaskTransitions transitions, InFlight inFlight, MasterProperties properties) {
		this.transitions = transitions;
		this.inFlight = inFlight;
		this.delayNanos = properties.relay().confirmRecordDelay().toNanos();
	}

	/** The broker confirmed this task's message (the task as it was published). */
	void confirmed(Task task) {
		this.confirmed.add(new Confirmed(task, System.nanoTime()));
	}

	private void drain() {
		List<Task> batch = new ArrayList<>(BATCH);
		while (this.worker != null || !this.confirmed.isEmpty()) {
			try {
				Confirmed first = this.confirmed.poll(200, TimeUnit.MILLISECONDS);
				if (first == null) {
					continue;
				}
				awaitDelay(first.arrivedNanos());
				batch.add(first.task());
				Confirmed next;
				while (batch.size() < BATCH && (next = this.confirmed.poll()) != null) {
					batch.add(next.task());
				}
				// one commit per batch: in autocommit, PostgreSQL would commit (and
				// fsync) every row
				this.transitions.confirmed(batch);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
			catch (RuntimeException ex) {
				log.warn("could not record {} confirms; the relay will publish those tasks again: {}", batch.size(),
						ex.getMessage());
			}
			finally {
				// recorded, or left to the relay: no longer in flight here
				batch.forEach((task) -> this.inFlight.remove(new TaskAttempt(task.id(), task.attempt())));
				batch.clear();
			}
		}
	}

	/**
	 * Waits until the confirm that arrived at {@code arrivedNanos} is due, or the
	 * recorder stops.
	 */
	private void awaitDelay(long arrivedNanos) throws InterruptedException {
		long due = arrivedNanos + this.delayNanos;
		long left;
		while (this.worker != null && (left = due - System.nanoTime()) > 0) {
			TimeUnit.NANOSECONDS.sleep(Math.min(left, STOP_CHECK_NANOS));
		}
	}

	@Override
	public void start() {
		Thread thread = new Thread(this::drain, "warren-confirms");
		thread.setDaemon(true);
		this.worker = thread;
		thread.start();
	}

	@Override
	public void stop() {
		Thread thread = this.worker;
		this.worker = null;
		if (thread != null) {
			try {
				thread.join(5_000);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	@Override
	public boolean isRunning() {
		return this.worker != null;
	}

	@Override
	public int getPhase() {
		return DispatchPhases.CONFIRM_RECORDER;
	}

	private record Confirmed(Task task, long arrivedNanos) {
	}

}
