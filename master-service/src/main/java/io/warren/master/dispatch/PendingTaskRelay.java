package io.warren.master.dispatch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.warren.master.config.MasterProperties;
import io.warren.master.task.Task;
import io.warren.master.task.TaskStore;
import io.warren.master.task.TaskTransitions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The outbox relay and the scheduler: publishes the waiting tasks ({@code SCHEDULED},
 * {@code RETRYING}) whose due time has come, and publishes again every task left
 * {@code PENDING} longer than the confirm timeout (broker down, nack, return, a master
 * that died between commit and publish). Claims use {@code FOR UPDATE SKIP LOCKED} and
 * move the row (to {@code PENDING}, or its next claim out), so several masters on one
 * database do not publish the same task at the same time. Nothing waits in a master's
 * memory or in the broker: a restart loses no due time.
 */
@Component
class PendingTaskRelay implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(PendingTaskRelay.class);

	private static final Duration STOP_WAIT = Duration.ofSeconds(10);

	private final TaskStore store;

	private final TaskPublisher publisher;

	private final TransactionTemplate transactions;

	private final TaskScheduler scheduler;

	private final Clock clock;

	private final MasterProperties.Relay settings;

	private final Counter republished;

	private final StoreMismatches mismatches;

	private final TaskTransitions transitions;

	private final ReentrantLock passing = new ReentrantLock();

	private volatile ScheduledFuture<?> schedule;

	PendingTaskRelay(TaskStore store, TaskPublisher publisher, TransactionTemplate transactions,
			TaskScheduler scheduler, Clock clock, MasterProperties properties, MeterRegistry meters,
			StoreMismatches mismatches, TaskTransitions transitions) {
		this.transitions = transitions;
		this.store = store;
		this.publisher = publisher;
		this.transactions = transactions;
		this.scheduler = scheduler;
		this.clock = clock;
		this.settings = properties.relay();
		this.republished = meters.counter("warren.relay.republished");
		this.mismatches = mismatches;
	}

	/**
	 * One pass: publishes the due tasks, then claims overdue ones and publishes them;
	 * returns the larger of the two counts. It stops at the first failure, since the
	 * broker is then unreachable; the rest of the claim is published on a later pass.
	 */
	int relayOnce() {
		TaskTransitions.Due claim = this.transitions.due(this.settings.batchSize(), this.mismatches.known());
		int skippedNextTime = this.mismatches.report(claim.mismatched(), "due (SCHEDULED or RETRYING)");
		List<Task> due = claim.pending();
		for (Task task : due) {
			log.debug("task {} due; publishing attempt {}", task.id(), task.attempt());
			if (!this.publisher.publish(task)) {
				// PENDING now: published again once its confirm is overdue
				return 0;
			}
		}
		return Math.max(due.size() + skippedNextTime, relayOverdue());
	}

	private int relayOverdue() {
		Instant now = this.clock.instant();
		TaskStore.Claim claim = this.transactions
			.execute((status) -> this.store.claimOverduePending(this.settings.batchSize(), this.mismatches.known(), now,
					now.plus(this.settings.confirmTimeout())));
		int skippedNextTime = this.mismatches.report(claim.mismatched(), "overdue PENDING");
		List<Task> claimed = claim.claimed();
		for (Task task : claimed) {
			if (this.publisher.isInFlight(task)) {
				// its first publish is still under way here: a second one would run it
				// twice
				log.debug("task {} still PENDING but its publish is in flight; left to it", task.id());
				continue;
			}
			log.debug("task {} still PENDING after {}; publishing it again", task.id(), this.settings.confirmTimeout());
			if (!this.publisher.publish(task)) {
				return 0;
			}
			this.republished.increment();
		}
		// a batch filled by newly found mismatches leaves room for more next time
		return claimed.size() + skippedNextTime;
	}

	private void run() {
		this.passing.lock();
		try {
			while (this.schedule != null && relayOnce() >= this.settings.batchSize()) {
				// a full batch: more are waiting
			}
		}
		catch (RuntimeException ex) {
			log.warn("relay pass failed; next pass in {}: {}", this.settings.interval(), ex.getMessage());
		}
		finally {
			this.passing.unlock();
		}
	}

	@Override
	public void start() {
		this.schedule = this.scheduler.scheduleWithFixedDelay(this::run, this.settings.interval());
	}

	/** Stops scheduling passes and waits for the one under way, which ends its batch. */
	@Override
	public void stop() {
		ScheduledFuture<?> current = this.schedule;
		this.schedule = null;
		if (current != null) {
			current.cancel(false);
		}
		try {
			if (this.passing.tryLock(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
				this.passing.unlock();
			}
			else {
				log.warn("relay pass still running after {}; stopping anyway", STOP_WAIT);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public int getPhase() {
		return DispatchPhases.RELAY;
	}

	@Override
	public boolean isRunning() {
		return this.schedule != null;
	}

}
