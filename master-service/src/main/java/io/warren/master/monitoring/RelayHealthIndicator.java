package io.warren.master.monitoring;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import io.warren.master.config.MasterProperties;
import io.warren.master.dispatch.StoreMismatches;
import io.warren.master.task.TaskStore;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * {@code relay} in {@code /actuator/health}: whether accepted tasks reach the broker in
 * time. DOWN when the oldest {@code PENDING} task waits longer than the allowed lag,
 * which happens when the broker is unreachable or the relay cannot keep up; DOWN too once
 * the store listed a row as {@code PENDING} that is not (see {@link StoreMismatches}).
 */
@Component
class RelayHealthIndicator extends AbstractHealthIndicator {

	private final TaskStore store;

	private final Clock clock;

	private final Duration maxLag;

	private final StoreMismatches mismatches;

	RelayHealthIndicator(TaskStore store, Clock clock, MasterProperties properties, StoreMismatches mismatches) {
		super("relay check failed");
		this.store = store;
		this.clock = clock;
		this.maxLag = properties.monitoring().relayMaxLag();
		this.mismatches = mismatches;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		Optional<Instant> oldest = this.store.oldestPending();
		Duration lag = oldest.map((since) -> Duration.between(since, this.clock.instant())).orElse(Duration.ZERO);
		int mismatched = this.mismatches.count();
		builder.withDetail("oldestPendingSeconds", lag.toSeconds())
			.withDetail("maxLagSeconds", this.maxLag.toSeconds())
			.withDetail("storeMismatches", mismatched);
		if (lag.compareTo(this.maxLag) > 0 || mismatched > 0) {
			builder.down();
		}
		else {
			builder.up();
		}
	}

}
