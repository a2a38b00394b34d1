package io.warren.worker.execution;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * What a worker does when the broker does not confirm a reply it must not go on without
 * (a started notice, a result, a dead letter): the consumer that sent it pauses before it
 * hands the delivery back, each of its consecutive failures doubling the pause up to a
 * maximum, so that an unroutable reply does not turn into a hot redelivery loop. Each
 * consumer thread keeps its own count, so that many consumers failing at once do not
 * lengthen each other's pauses; a count whose last failure is older than the longest
 * pause starts again. The {@code replies} health check is DOWN from a failure until the
 * next reply this worker gets confirmed. A stop ends every pause at once.
 */
public class ReplyBackoff implements HealthIndicator {

	private final Duration initial;

	private final Duration max;

	private final Clock clock;

	/** Consumer thread to its run of failures. */
	private final Map<Thread, Run> runs = new ConcurrentHashMap<>();

	private final CountDownLatch stopped = new CountDownLatch(1);

	/** When the current failing stretch began; null while replies are confirmed. */
	private volatile Instant failingSince;

	private volatile String lastFailure;

	private final AtomicInteger failuresSince = new AtomicInteger();

	public ReplyBackoff(Duration initial, Duration max, Clock clock) {
		this.initial = initial;
		this.max = max;
		this.clock = clock;
	}

	/**
	 * A reply of the calling consumer was confirmed: the broker takes what it reports.
	 */
	void succeeded() {
		succeeded(Thread.currentThread());
	}

	/** A reply of the given consumer was confirmed. */
	void succeeded(Thread consumer) {
		if (this.failingSince != null) {
			this.failingSince = null;
			this.failuresSince.set(0);
		}
		if (!this.runs.isEmpty()) {
			this.runs.remove(consumer);
		}
	}

	/**
	 * A reply of the calling consumer was not confirmed; returns after the pause its
	 * consecutive failures call for (returned), or at once when the worker stops.
	 */
	Duration failed(String why) {
		Duration pause = recordFailure(Thread.currentThread(), why);
		try {
			// a back-off on a failing broker, not a wait for an outcome
			this.stopped.await(pause.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		return pause;
	}

	/**
	 * A reply of the given consumer was not confirmed; returns the pause its consecutive
	 * failures call for, without waiting it out (the caller hands the delivery back after
	 * it).
	 */
	Duration recordFailure(Thread consumer, String why) {
		Instant now = this.clock.instant();
		this.lastFailure = why;
		if (this.failingSince == null) {
			this.failingSince = now;
		}
		this.failuresSince.incrementAndGet();
		Run run = this.runs.compute(consumer,
				(thread, previous) -> (previous == null || previous.last().plus(this.max).isBefore(now))
						? new Run(1, now) : new Run(previous.failures() + 1, now));
		return pause(run.failures());
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
		Instant since = this.failingSince;
		if (since == null) {
			return Health.up().build();
		}
		return Health.down()
			.withDetail("failures", this.failuresSince.get())
			.withDetail("since", since.toString())
			.withDetail("lastFailure", String.valueOf(this.lastFailure))
			.build();
	}

	private record Run(int failures, Instant last) {
	}

}
