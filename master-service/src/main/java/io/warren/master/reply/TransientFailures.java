package io.warren.master.reply;

import java.time.Duration;

import org.springframework.stereotype.Component;

/**
 * Slows the reply consumers down while the database fails, so that a requeued reply is
 * not redelivered in a tight loop: each consecutive failure doubles the pause, up to 5 s.
 */
@Component
class TransientFailures {

	private static final Duration FIRST = Duration.ofMillis(100);

	private static final Duration MOST = Duration.ofSeconds(5);

	private volatile int consecutive;

	void succeeded() {
		this.consecutive = 0;
	}

	void failed() {
		int failures = ++this.consecutive;
		long pause = Math.min(MOST.toMillis(), FIRST.toMillis() << Math.min(failures - 1, 10));
		try {
			// a back-off on a failing dependency, not a wait for an outcome
			Thread.sleep(pause);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
