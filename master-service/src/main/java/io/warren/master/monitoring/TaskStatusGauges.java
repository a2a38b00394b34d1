package io.warren.master.monitoring;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.warren.master.config.MasterProperties;
import io.warren.master.task.TaskStatus;
import io.warren.master.task.TaskStore;

import org.springframework.scheduling.TaskScheduler;
import org.springframework.stereotype.Component;

/**
 * {@code warren.tasks.by-status{type,status}}: tasks in the store per type and active
 * status ({@code PENDING}, {@code SCHEDULED}, {@code QUEUED}, {@code RUNNING},
 * {@code RETRYING}), and {@code warren.tasks.scheduled}, those waiting for a due time,
 * counted with one grouped query over the active rows per refresh interval, so the cost
 * does not grow with the finished history (finished tasks are counted by
 * {@code warren.tasks.completed}). Read from the shared table, so every master reports
 * the same figures (take one, not the sum, across masters).
 */
@Component
class TaskStatusGauges extends PeriodicRefresh {

	private final TaskStore store;

	private final MeterRegistry meters;

	private volatile Map<String, Map<TaskStatus, Long>> counts = Map.of();

	private final Set<String> registered = ConcurrentHashMap.newKeySet();

	TaskStatusGauges(TaskStore store, MeterRegistry meters, TaskScheduler scheduler, MasterProperties properties) {
		super(scheduler, properties.monitoring().refreshInterval());
		this.store = store;
		this.meters = meters;
		Gauge.builder("warren.tasks.scheduled", this::waiting)
			.description("Tasks waiting in the store for their due time (SCHEDULED and RETRYING)")
			.register(meters);
	}

	private long waiting() {
		long waiting = 0;
		for (Map<TaskStatus, Long> byStatus : this.counts.values()) {
			waiting += byStatus.getOrDefault(TaskStatus.SCHEDULED, 0L) + byStatus.getOrDefault(TaskStatus.RETRYING, 0L);
		}
		return waiting;
	}

	@Override
	void refresh() {
		this.store.types().forEach(this::register);
		this.counts = this.store.countActiveByTypeAndStatus();
	}

	/** The task types the store has seen, as of the last refresh. */
	Set<String> types() {
		return Set.copyOf(this.registered);
	}

	private void register(String type) {
		if (!this.registered.add(type)) {
			return;
		}
		for (TaskStatus status : TaskStatus.active()) {
			Gauge.builder("warren.tasks.by-status", () -> count(type, status))
				.description("Active tasks in the store, per type and status")
				.tags("type", type, "status", status.name())
				.register(this.meters);
		}
	}

	private long count(String type, TaskStatus status) {
		return this.counts.getOrDefault(type, Map.of()).getOrDefault(status, 0L);
	}

}
