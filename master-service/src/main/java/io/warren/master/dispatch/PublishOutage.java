package io.warren.master.dispatch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the log readable while the broker is unreachable or refuses tasks: one warning
 * when publishing starts to fail, one line with the count when a publish is confirmed
 * again, instead of a warning per task (every task accepted meanwhile fails to publish,
 * and stays {@code PENDING} for the relay).
 */
class PublishOutage {

	private static final Logger log = LoggerFactory.getLogger(PublishOutage.class);

	private final Clock clock;

	private final AtomicLong failures = new AtomicLong();

	private volatile Instant since;

	PublishOutage(Clock clock) {
		this.clock = clock;
	}

	/** A task could not be handed to the broker. */
	void failed(Object taskId, String reason) {
		if (this.failures.getAndIncrement() == 0) {
			this.since = this.clock.instant();
			log.warn("publishing tasks fails, they stay PENDING and the relay publishes them again "
					+ "(first: task {}): {}", taskId, reason);
		}
		else {
			log.debug("task {} not published, the relay will retry: {}", taskId, reason);
		}
	}

	/** The broker confirmed a task: ends an outage, if one was under way. */
	void succeeded() {
		if (this.failures.get() == 0) {
			return;
		}
		long failed = this.failures.getAndSet(0);
		if (failed > 0) {
			Instant started = this.since;
			Duration lasted = (started != null) ? Duration.between(started, this.clock.instant()) : Duration.ZERO;
			log.info("publishing works again after {} s; {} publish(es) failed meanwhile and are left to the relay",
					lasted.toSeconds(), failed);
		}
	}

	/** Publishes failed since the last success. */
	long failuresSinceLastSuccess() {
		return this.failures.get();
	}

}
