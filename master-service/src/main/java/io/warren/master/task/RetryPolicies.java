package io.warren.master.task;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import io.warren.config.TypeSettingNames;
import io.warren.master.config.MasterProperties;
import io.warren.protocol.TaskError;

import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * Decides whether a failed attempt is retried and when: the task's own
 * {@code maxAttempts} over its type's policy ({@code warren.master.types.<type>.retry})
 * over {@code warren.master.retry}.
 */
@Component
public class RetryPolicies {

	private final MasterProperties properties;

	public RetryPolicies(MasterProperties properties, Environment environment) {
		TypeSettingNames.requireBrackets(environment, "warren.master.types", Map.of("retry",
				Set.of("max-attempts", "initial-backoff", "multiplier", "max-backoff", "jitter"), "timeout", Set.of()));
		this.properties = properties;
	}

	/**
	 * When the next attempt of a task whose current attempt failed with {@code error} is
	 * due, or {@code null} if the task ends: the error is not retryable, or the retry
	 * budget is spent.
	 */
	public Instant nextAttemptDue(Task task, TaskError error, Instant now) {
		if (error == null || !error.retryable()) {
			return null;
		}
		MasterProperties.Retry policy = this.properties.retryOf(task.type());
		if (task.attemptsInBudget() >= maxAttempts(task)) {
			return null;
		}
		Duration backoff = policy.backoff(task.attemptsInBudget(), ThreadLocalRandom.current().nextDouble());
		return now.plus(backoff);
	}

	/** The attempts a task may make in one budget. */
	public int maxAttempts(Task task) {
		return (task.maxAttempts() != null) ? task.maxAttempts() : this.properties.retryOf(task.type()).maxAttempts();
	}

}
