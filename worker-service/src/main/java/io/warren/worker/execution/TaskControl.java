package io.warren.worker.execution;

import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.warren.protocol.TaskError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops running deliveries: at their deadline ({@code TIMED_OUT}) and when their task is
 * cancelled ({@code CANCELLED}), by interrupting the handler; a handler that has not
 * returned a grace period later is given up on ({@link Execution#onIgnored()}). Remembers
 * the tasks cancelled lately, so that a task message that comes after its cancel is acked
 * without running.
 */
public class TaskControl {

	private static final Logger log = LoggerFactory.getLogger(TaskControl.class);

	/** How many cancelled task ids are remembered. */
	static final int REMEMBERED = 10_000;

	private final Duration grace;

	private final Clock clock;

	private final RunningTasks running;

	/**
	 * Cancelled task ids, with the latest attempt cancelled, the oldest forgotten first.
	 */
	private final Map<UUID, Integer> cancelled = Collections
		.synchronizedMap(new LinkedHashMap<UUID, Integer>(256, 0.75f, false) {
			@Override
			protected boolean removeEldestEntry(Map.Entry<UUID, Integer> eldest) {
				return size() > REMEMBERED;
			}
		});

	private final ScheduledThreadPoolExecutor timer;

	public TaskControl(Duration grace, Clock clock, RunningTasks running) {
		this.grace = grace;
		this.clock = clock;
		this.running = running;
		this.timer = new ScheduledThreadPoolExecutor(1, (command) -> {
			Thread thread = new Thread(command, "warren-deadlines");
			thread.setDaemon(true);
			return thread;
		});
		// a run that ends cancels its timers: they must not wait in the queue until they
		// would have fired (minutes), holding what they refer to
		this.timer.setRemoveOnCancelPolicy(true);
	}

	/** The grace period a stopped handler has to return. */
	Duration grace() {
		return this.grace;
	}

	/**
	 * Whether this attempt of the task was cancelled lately: its message is acked without
	 * running. A later attempt (a retry by hand of a task that failed while its cancel
	 * waited) runs.
	 */
	public boolean isCancelled(UUID taskId, int attempt) {
		Integer cancelledAttempt = this.cancelled.get(taskId);
		return cancelledAttempt != null && attempt <= cancelledAttempt;
	}

	/**
	 * Watches a delivery that starts running: interrupted at its deadline, given up on
	 * {@code grace} later if its handler has not returned.
	 */
	void watch(Execution execution) {
		if (execution.deadline() == null) {
			return;
		}
		long delay = Math.max(0, Duration.between(this.clock.instant(), execution.deadline()).toMillis());
		ScheduledFuture<?> deadline = this.timer.schedule(() -> {
			if (execution.stop(TaskError.TIMED_OUT)) {
				log.info("task {} timed out at {}: handler interrupted", execution.notice().taskId(),
						execution.deadline());
			}
		}, delay, TimeUnit.MILLISECONDS);
		ScheduledFuture<?> giveUp = this.timer.schedule(execution.onIgnored(), delay + this.grace.toMillis(),
				TimeUnit.MILLISECONDS);
		execution.timers(deadline, giveUp);
	}

	/**
	 * Cancels a task: interrupts its running deliveries (of the attempt, when given),
	 * each given up on {@code grace} later if its handler has not returned, and remembers
	 * the attempt (a cancel without one is not remembered: nothing tells which later
	 * message it covers). Returns how many deliveries were interrupted.
	 */
	public int cancel(UUID taskId, Integer attempt) {
		if (attempt != null) {
			this.cancelled.merge(taskId, attempt, Math::max);
		}
		int stopped = 0;
		for (Execution execution : this.running.executionsOf(taskId)) {
			if (attempt != null && execution.notice().attempt() != attempt) {
				continue;
			}
			if (execution.stop(TaskError.CANCELLED)) {
				stopped++;
				log.info("task {} cancelled: handler interrupted", taskId);
				this.timer.schedule(execution.onIgnored(), this.grace.toMillis(), TimeUnit.MILLISECONDS);
			}
		}
		return stopped;
	}

}
