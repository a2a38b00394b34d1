package io.warren.master.dispatch;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

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
 */
@Component
class ConfirmRecorder implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(ConfirmRecorder.class);

	private static final int BATCH = 500;

	private final LinkedBlockingQueue<Task> confirmed = new LinkedBlockingQueue<>();

	private final TaskTransitions transitions;

	private final InFlight inFlight;

	private volatile Thread worker;

	ConfirmRecorder(TaskTransitions transitions, InFlight inFlight) {
		this.transitions = transitions;
		this.inFlight = inFlight;
	}

	/** The broker confirmed this task's message (the task as it was published). */
	void confirmed(Task task) {
		this.confirmed.add(task);
	}

	private void drain() {
		List<Task> batch = new ArrayList<>(BATCH);
		while (this.worker != null || !this.confirmed.isEmpty()) {
			try {
				Task first = this.confirmed.poll(200, TimeUnit.MILLISECONDS);
				if (first == null) {
					continue;
				}
				batch.add(first);
				this.confirmed.drainTo(batch, BATCH - 1);
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

}
