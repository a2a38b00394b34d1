package io.warren.master.task;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import io.warren.master.config.MasterProperties;
import io.warren.master.config.MasterSettings;
import io.warren.protocol.TaskError;
import org.junit.jupiter.api.Test;

import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetryPoliciesTests {

	private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");

	private static final TaskError RETRYABLE = new TaskError(TaskError.HANDLER_ERROR, "down", true);

	@Test
	void defaultPolicyIsThreeAttemptsWithFullJitterBackoffFromOneSecondDoublingUpToTenSeconds() {
		MasterProperties.Retry retry = MasterSettings.with().retry();

		assertThat(retry.maxAttempts()).isEqualTo(3);
		assertThat(retry.backoff(1, 0)).isEqualTo(Duration.ofSeconds(1));
		assertThat(retry.backoff(2, 0)).isEqualTo(Duration.ofSeconds(2));
		assertThat(retry.backoff(5, 0)).as("at most max-backoff").isEqualTo(Duration.ofSeconds(10));
		assertThat(retry.backoff(2, 0.5)).as("full jitter takes off a random part").isEqualTo(Duration.ofSeconds(1));
		assertThat(retry.backoff(2, 0.999)).isLessThan(Duration.ofMillis(10));
	}

	@Test
	void taskOwnLimitWinsOverItsTypesWhichWinsOverTheDefault() {
		RetryPolicies policies = policies("types.[image.resize].retry.max-attempts=5",
				"types.[image.resize].retry.jitter=0");
		Task typed = task("image.resize", null, 1);
		Task own = task("image.resize", 2, 2);

		assertThat(policies.maxAttempts(typed)).isEqualTo(5);
		assertThat(policies.maxAttempts(task("echo", null, 1))).isEqualTo(3);
		assertThat(policies.nextAttemptDue(typed, RETRYABLE, NOW)).as("jitter 0, initial-backoff from the default")
			.isEqualTo(NOW.plusSeconds(1));
		assertThat(policies.nextAttemptDue(own, RETRYABLE, NOW)).as("2 of its own 2 attempts made").isNull();
		assertThat(policies.nextAttemptDue(typed, new TaskError(TaskError.INVALID_PAYLOAD, "bad", false), NOW))
			.as("not retryable")
			.isNull();
	}

	@Test
	void retryByHandStartsAFreshBudget() {
		RetryPolicies policies = policies();
		Task spent = task("echo", null, 3);
		Task retried = spent.nextAttempt(TaskStatus.PENDING, NOW, true, NOW);

		assertThat(policies.nextAttemptDue(spent, RETRYABLE, NOW)).isNull();
		assertThat(retried.attempt()).isEqualTo(4);
		assertThat(retried.attemptsInBudget()).isEqualTo(1);
		assertThat(policies.nextAttemptDue(retried, RETRYABLE, NOW)).isNotNull();
	}

	@Test
	void dottedTypeWithoutBracketsStopsTheMasterWithTheWayToWriteIt() {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources()
			.addFirst(
					new MapPropertySource("test", Map.of("warren.master.types.image.resize.retry.max-attempts", "5")));

		assertThatIllegalStateException().isThrownBy(() -> new RetryPolicies(MasterSettings.with(), environment))
			.withMessageContaining("warren.master.types.[image.resize].retry.max-attempts");
	}

	@Test
	void policyOutOfBoundsIsRefusedAtStartUp() {
		assertThatThrownBy(() -> MasterSettings.with("retry.max-attempts=101"))
			.hasRootCauseInstanceOf(IllegalArgumentException.class);
		assertThatThrownBy(() -> MasterSettings.with("types.echo.retry.jitter=2"))
			.hasRootCauseInstanceOf(IllegalArgumentException.class);
	}

	private static RetryPolicies policies(String... settings) {
		return new RetryPolicies(MasterSettings.with(settings), new StandardEnvironment());
	}

	private static Task task(String type, Integer maxAttempts, int attempt) {
		Task task = Task.submitted(UUID.randomUUID(), type, 0, "1", NOW, null, maxAttempts);
		while (task.attempt() < attempt) {
			task = task.nextAttempt(TaskStatus.PENDING, NOW, false, NOW);
		}
		return task;
	}

}
