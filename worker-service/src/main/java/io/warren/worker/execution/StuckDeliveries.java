package io.warren.worker.execution;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.warren.protocol.StartedNotice;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The {@code stuck} health check: DOWN while a delivery has been running longer than
 * {@code warren.worker.stuck-threshold}, with the task ids of the oldest, and once a type
 * was stopped because its handler ignored its interruption ({@code stoppedTypes}: restart
 * the worker). Such a consumer takes no other task; the check is not part of the
 * readiness or liveness probes, so it alerts without restarting a worker whose handler is
 * merely slow.
 */
public class StuckDeliveries implements HealthIndicator {

	/** The most stuck deliveries the check lists. */
	private static final int LISTED = 10;

	private final RunningTasks running;

	private final Duration threshold;

	private final Clock clock;

	public StuckDeliveries(RunningTasks running, Duration threshold, Clock clock) {
		this.running = running;
		this.threshold = threshold;
		this.clock = clock;
	}

	@Override
	public Health health() {
		Instant now = this.clock.instant();
		List<StartedNotice> stuck = this.running.all()
			.stream()
			.filter((notice) -> Duration.between(notice.startedAt(), now).compareTo(this.threshold) > 0)
			.sorted(Comparator.comparing(StartedNotice::startedAt))
			.toList();
		Map<String, String> stoppedTypes = this.running.stoppedTypes();
		if (stuck.isEmpty() && stoppedTypes.isEmpty()) {
			return Health.up().withDetail("threshold", this.threshold.toString()).build();
		}
		if (stuck.isEmpty()) {
			return Health.down()
				.withDetail("threshold", this.threshold.toString())
				.withDetail("stoppedTypes", stoppedTypes)
				.build();
		}
		List<Map<String, Object>> listed = stuck.stream().limit(LISTED).map((notice) -> {
			Map<String, Object> entry = new LinkedHashMap<>();
			entry.put("taskId", notice.taskId().toString());
			entry.put("type", notice.type());
			entry.put("attempt", notice.attempt());
			entry.put("runningFor", Duration.between(notice.startedAt(), now).withNanos(0).toString());
			return entry;
		}).toList();
		return Health.down()
			.withDetail("threshold", this.threshold.toString())
			.withDetail("stuck", stuck.size())
			.withDetail("oldest", listed)
			.withDetail("stoppedTypes", stoppedTypes)
			.build();
	}

}
