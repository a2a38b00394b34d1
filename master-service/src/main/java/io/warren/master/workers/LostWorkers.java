package io.warren.master.workers;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.warren.master.config.MasterProperties;
import io.warren.master.task.Task;
import io.warren.master.task.TaskAttempt;
import io.warren.master.task.TaskDispatcher;
import io.warren.master.task.TaskStatus;
import io.warren.master.task.TaskTransitions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Every {@code warren.master.workers.check-interval}: marks workers lost whose heartbeats
 * stopped, deletes lost and stopped workers past the retention, and ends the attempts
 * that lost workers hold: a {@code RUNNING} task whose worker is lost or stopped, that no
 * other worker took meanwhile (the broker redelivers a dead worker's tasks, and the new
 * worker's started notice moves the task to it), fails {@code WORKER_LOST} once its
 * timeout and the grace period have passed (or the grace period since the loss, without a
 * timeout), and is retried as its policy allows. Every master runs it; the moves are
 * conditional, so two masters do each once.
 */
@Component
class LostWorkers {

	private static final Logger log = LoggerFactory.getLogger(LostWorkers.class);

	private final WorkerRegistry registry;

	private final TaskTransitions transitions;

	private final TaskDispatcher dispatcher;

	private final Clock clock;

	private final MasterProperties.Workers settings;

	LostWorkers(WorkerRegistry registry, TaskTransitions transitions, TaskDispatcher dispatcher, Clock clock,
			MasterProperties properties) {
		this.registry = registry;
		this.transitions = transitions;
		this.dispatcher = dispatcher;
		this.clock = clock;
		this.settings = properties.workers();
	}

	@Scheduled(fixedDelayString = "${warren.master.workers.check-interval:5s}",
			initialDelayString = "${warren.master.workers.check-interval:5s}")
	void check() {
		try {
			run();
		}
		catch (RuntimeException ex) {
			log.warn("worker check failed (next in {}): {}", this.settings.checkInterval(), ex.getMessage());
		}
	}

	/** One pass; returns the tasks whose attempt it ended. */
	List<Task> run() {
		Instant now = this.clock.instant();
		int lost = this.registry.markLost(now);
		if (lost > 0) {
			log.warn("{} worker(s) lost: no heartbeat for {} intervals", lost, WorkerRegistry.MISSED_BEATS);
		}
		if (!this.settings.retention().isZero()) {
			this.registry.purge(now.minus(this.settings.retention()));
		}
		Duration grace = this.settings.lostTaskGrace();
		Map<UUID, TaskAttempt> attempts = new LinkedHashMap<>();
		Map<UUID, String> workers = new LinkedHashMap<>();
		for (WorkerRegistry.HeldTask held : this.registry.heldByLostWorkers(now.minus(grace))) {
			Instant timesOut = (held.timeoutMs() != null && held.startedAt() != null)
					? held.startedAt().plusMillis(held.timeoutMs()) : held.lostAt();
			Instant limit = (timesOut.isAfter(held.lostAt()) ? timesOut : held.lostAt()).plus(grace);
			if (now.isAfter(limit)) {
				attempts.put(held.taskId(), new TaskAttempt(held.taskId(), held.attempt()));
				workers.put(held.taskId(), held.workerId());
			}
		}
		if (attempts.isEmpty()) {
			return List.of();
		}
		List<Task> moved = this.transitions.workerLost(attempts, workers);
		for (Task task : moved) {
			if (task.status() == TaskStatus.PENDING) {
				this.dispatcher.publishSoon(task);
			}
		}
		return moved;
	}

}
