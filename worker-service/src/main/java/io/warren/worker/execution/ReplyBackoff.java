package io.warren.worker.execution;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * What a worker does when the broker does not confirm a reply it must not go on without
 * (a started notice, a result, a dead letter): the consumer that sent it pauses before it
 * hands the delivery back, each consecutive failure doubling the pause up to a maximum,
 * so that an unroutable reply does not turn into a hot redelivery loop. Its state is the
 * {@code replies} health check: DOWN from a failure until the next confirmed reply.
 */
public class ReplyBackoff implements HealthIndicator {

	private final Duration initial;

	private final Duration max;

	private final Clock clock;

	private final AtomicInteger consecutive = new AtomicInteger();

	private volatile String lastFailure;

	private volatile Instant failingSince;

	public ReplyBackoff(Duration initial, Duration max, Clock clock) {
		this.initial = initial;
		this.max = max;
		this.clock = clock;
	}

	/** A reply was confirmed: the broker takes what this worker reports. */
	void succeeded() {
		if (this.consecutive.get() != 0) {
			this.consecutive.set(0);
			this.failingSince = null;
		}
	}

	/**
	 * A reply was not confirmed; returns after the pause this failure calls for (at once
	 * if the thread is interrupted, as on a worker's stop).
	 */
	void failed(String why) {
		int failures = this.consecutive.incrementAndGet();
		this.lastFailure = why;
		if (failures == 1) {
			this.failingSince = this.clock.instant();
		}
		try {
			// a back-off on a failing broker, not a wait for an outcome
			Thread.sleep(pause(failures).toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/** The pause after the given number of consecutive failures. */
	Duration pause(int failures) {
		Duration pause = this.initial.multipliedBy(1L << Math.min(failures - 1, 20));
		return (pause.compareTo(this.max) > 0) ? this.max : pause;
	}

	@Override
	public Health health() {
		int failures = this.consecutive.get();
		if (failures == 0) {
			return Health.up().build();
		}
		return Health.down()
			.withDetail("consecutiveFailures", failures)
			.withDetail("since", String.valueOf(this.failingSince))
			.withDetail("lastFailure", String.valueOf(this.lastFailure))
			.build();
	}

}
