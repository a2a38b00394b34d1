package io.warren.worker.execution;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * What a worker does when the broker does not confirm a reply it must not go on without
 * (a started notice, a result, a dead letter): the consumer that sent it pauses before it
 * hands the delivery back, each of its consecutive failures doubling the pause up to a
 * maximum, so that an unroutable reply does not turn into a hot redelivery loop. Each
 * consumer thread keeps its own count, so that many consumers failing at once do not
 * lengthen each other's pauses, and one consumer's success does not shorten another's.
 * The state is the {@code replies} health check: DOWN while any consumer's last reply
 * failed. A stop ends every pause at once.
 */
public class ReplyBackoff implements HealthIndicator {

	private final Duration initial;

	private final Duration max;

	private final Clock clock;

	/** Consumer thread to its consecutive failures, while it has any. */
	private final Map<Thread, Integer> failing = new ConcurrentHashMap<>();

	private final CountDownLatch stopped = new CountDownLatch(1);

	private volatile String lastFailure;

	private volatile Instant failingSince;

	public ReplyBackoff(Duration initial, Duration max, Clock clock) {
		this.initial = initial;
		this.max = max;
		this.clock = clock;
	}

	/** The calling consumer's reply was confirmed: the broker takes what it reports. */
	void succeeded() {
		if (!this.failing.isEmpty()) {
			this.failing.remove(Thread.currentThread());
		}
	}

	/**
	 * The calling consumer's reply was not confirmed; returns after the pause its
	 * consecutive failures call for (returned), or at once when the worker stops.
	 */
	Duration failed(String why) {
		this.lastFailure = why;
		if (this.failing.isEmpty()) {
			this.failingSince = this.clock.instant();
		}
		int failures = this.failing.merge(Thread.currentThread(), 1, Integer::sum);
		Duration pause = pause(failures);
		try {
			// a back-off on a failing broker, not a wait for an outcome
			this.stopped.await(pause.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		return pause;
	}

	/** Ends every pause under way and every later one: the worker is stopping. */
	void stop() {
		this.stopped.countDown();
	}

	/** The pause after the given number of consecutive failures. */
	Duration pause(int failures) {
		Duration pause = this.initial.multipliedBy(1L << Math.min(failures - 1, 20));
		return (pause.compareTo(this.max) > 0) ? this.max : pause;
	}

	@Override
	public Health health() {
		if (this.failing.isEmpty()) {
			return Health.up().build();
		}
		return Health.down()
			.withDetail("failingConsumers", this.failing.size())
			.withDetail("since", String.valueOf(this.failingSince))
			.withDetail("lastFailure", String.valueOf(this.lastFailure))
			.build();
	}

}
