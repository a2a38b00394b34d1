package io.warren.master.monitoring;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.warren.master.config.MasterProperties;
import io.warren.master.control.PausedTypes;
import io.warren.master.task.TaskStatus;
import io.warren.master.task.TaskStore;
import io.warren.master.workers.WorkerRegistry;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.stereotype.Component;

/**
 * {@code warren.workers{state}}: workers in the registry per state; and the
 * {@code workers} health check: {@code UNSERVED}, with the types, while tasks of a type
 * that is not paused wait ({@code PENDING} or {@code QUEUED}) and no live worker takes
 * that type. The status is not one the overall health aggregates, so the master stays UP
 * (its own work goes on) while the check says what is missing. Read on a schedule, from
 * the shared store.
 */
@Component("workersHealthIndicator")
class WorkerMonitor extends PeriodicRefresh implements HealthIndicator {

	/** The health status of a type with waiting tasks that no live worker takes. */
	static final Status UNSERVED = new Status("UNSERVED", "tasks wait that no live worker takes");

	private final WorkerRegistry registry;

	private final TaskStore store;

	private final PausedTypes paused;

	private volatile Map<String, Long> states = Map.of();

	private volatile Map<String, Long> unserved = Map.of();

	private volatile boolean refreshed;

	WorkerMonitor(WorkerRegistry registry, TaskStore store, PausedTypes paused, MeterRegistry meters,
			TaskScheduler scheduler, MasterProperties properties) {
		super(scheduler, properties.monitoring().refreshInterval());
		this.registry = registry;
		this.store = store;
		this.paused = paused;
		for (String state : WorkerRegistry.STATES) {
			Gauge.builder("warren.workers", () -> this.states.getOrDefault(state, 0L))
				.description("Workers in the registry, per state")
				.tag("state", state)
				.register(meters);
		}
	}

	@Override
	void refresh() {
		this.states = this.registry.countByState();
		Map<String, Integer> served = this.registry.liveWorkersByType();
		Set<String> pausedTypes = this.paused.all().keySet();
		Map<String, Long> waiting = new TreeMap<>();
		this.store.countActiveByTypeAndStatus().forEach((type, counts) -> {
			long count = counts.getOrDefault(TaskStatus.PENDING, 0L) + counts.getOrDefault(TaskStatus.QUEUED, 0L);
			if (count > 0 && !served.containsKey(type) && !pausedTypes.contains(type)) {
				waiting.put(type, count);
			}
		});
		this.unserved = waiting;
		this.refreshed = true;
	}

	@Override
	public Health health() {
		Map<String, Object> details = new LinkedHashMap<>(this.states);
		if (!this.refreshed) {
			return Health.unknown().withDetails(details).build();
		}
		if (this.unserved.isEmpty()) {
			return Health.up().withDetails(details).build();
		}
		details.put("unservedTypes", this.unserved);
		return Health.status(UNSERVED).withDetails(details).build();
	}

}
