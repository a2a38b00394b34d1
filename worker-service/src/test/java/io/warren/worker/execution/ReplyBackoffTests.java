package io.warren.worker.execution;

import java.time.Clock;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReplyBackoffTests {

	@Test
	void pauseDoublesWithEachConsecutiveFailureUpToTheMaximum() {
		ReplyBackoff backoff = new ReplyBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), Clock.systemUTC());

		assertThat(backoff.pause(1)).isEqualTo(Duration.ofSeconds(1));
		assertThat(backoff.pause(2)).isEqualTo(Duration.ofSeconds(2));
		assertThat(backoff.pause(5)).isEqualTo(Duration.ofSeconds(16));
		assertThat(backoff.pause(6)).isEqualTo(Duration.ofSeconds(30));
		assertThat(backoff.pause(1_000)).isEqualTo(Duration.ofSeconds(30));
	}

	@Test
	void stopEndsThePauseAtOnce() {
		ReplyBackoff backoff = new ReplyBackoff(Duration.ofMinutes(10), Duration.ofMinutes(10), Clock.systemUTC());
		backoff.stop();

		backoff.failed("no route");

		assertThat(backoff.health().getDetails()).containsEntry("lastFailure", "no route");
	}

	@Test
	void interruptedPauseReturnsAtOnceAndKeepsTheInterrupt() {
		ReplyBackoff backoff = new ReplyBackoff(Duration.ofMinutes(10), Duration.ofMinutes(10), Clock.systemUTC());
		Thread.currentThread().interrupt();

		backoff.failed("no route");

		assertThat(Thread.interrupted()).isTrue();
	}

}
