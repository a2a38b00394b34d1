package io.warren.master.monitoring;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import io.warren.master.config.MasterProperties;
import io.warren.master.task.TaskStore;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * {@code relay} in {@code /actuator/health}: whether accepted tasks reach the broker in
 * time. DOWN when the oldest {@code PENDING} task waits longer than the allowed lag,
 * which happens when the broker is unreachable or the relay cannot keep up.
 */
@Component
class RelayHealthIndicator extends AbstractHealthIndicator {

	private final TaskStore store;

	private final Clock clock;

	private final Duration maxLag;

	RelayHealthIndicator(TaskStore store, Clock clock, MasterProperties properties) {
		super("relay check failed");
		this.store = store;
		this.clock = clock;
		this.maxLag = properties.monitoring().relayMaxLag();
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		Optional<Instant> oldest = this.store.oldestPending();
		Duration lag = oldest.map((since) -> Duration.between(since, this.clock.instant())).orElse(Duration.ZERO);
		builder.withDetail("oldestPendingSeconds", lag.toSeconds())
			.withDetail("maxLagSeconds", this.maxLag.toSeconds());
		if (lag.compareTo(this.maxLag) > 0) {
			builder.down();
		}
		else {
			builder.up();
		}
	}

}
