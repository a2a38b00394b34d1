package io.warren.worker.handler;

import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import tools.jackson.databind.JsonNode;

import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.stereotype.Component;

/**
 * Handlers every worker has unless {@code warren.worker.builtins.enabled=false}: for
 * trying Warren out, for tests and for benchmarks. Their types are {@code echo},
 * {@code sleep} and {@code fail} after {@code warren.worker.builtins.prefix} (empty by
 * default; {@code demo.} gives {@code demo.echo}...).
 */
@Component
@ConditionalOnBooleanProperty(name = "warren.worker.builtins.enabled", matchIfMissing = true)
class BuiltInHandlers {

	/** The most a {@code sleep} task may ask for: an hour. */
	static final long MAX_SLEEP_MS = 3_600_000;

	@TaskHandler("${warren.worker.builtins.prefix:}echo")
	JsonNode echo(JsonNode payload) {
		return payload;
	}

	@TaskHandler("${warren.worker.builtins.prefix:}sleep")
	Map<String, Long> sleep(SleepRequest request) throws InterruptedException {
		if (request.ms() < 0 || request.ms() > MAX_SLEEP_MS) {
			throw new NonRetryableTaskException("ms must be between 0 and " + MAX_SLEEP_MS);
		}
		if (Boolean.TRUE.equals(request.uninterruptible())) {
			// a handler that ignores its interruption, as a stuck driver call would: for
			// trying out the timeout backstop
			long until = System.nanoTime() + request.ms() * 1_000_000;
			while (System.nanoTime() < until) {
				LockSupport.parkNanos(Math.min(until - System.nanoTime(), 50_000_000));
			}
			return Map.of("sleptMs", request.ms());
		}
		// the point of this handler is to take time, as a slow real task would
		Thread.sleep(request.ms());
		return Map.of("sleptMs", request.ms());
	}

	/**
	 * Fails, retryably unless the payload says {@code "retryable": false}; with
	 * {@code "succeedOnAttempt": n} it succeeds from attempt n on (a handler that fails
	 * twice then succeeds: {@code 3}).
	 */
	@TaskHandler("${warren.worker.builtins.prefix:}fail")
	Object fail(FailRequest request, TaskContext context) {
		FailRequest asked = (request != null) ? request : new FailRequest(null, null, null);
		if (asked.succeedOnAttempt() != null && context.attempt() >= asked.succeedOnAttempt()) {
			return Map.of("attempt", context.attempt());
		}
		String message = (asked.message() != null) ? asked.message() : "failed on purpose";
		if (Boolean.FALSE.equals(asked.retryable())) {
			throw new NonRetryableTaskException(message);
		}
		throw new IllegalStateException(message);
	}

	/**
	 * {@code {"ms": 250}}; {@code "uninterruptible": true} ignores interruption (a
	 * timeout or cancel) until the time is up
	 */
	record SleepRequest(long ms, Boolean uninterruptible) {
	}

	/**
	 * {@code {"message": "...", "retryable": false, "succeedOnAttempt": 3}}, all optional
	 */
	record FailRequest(String message, Boolean retryable, Integer succeedOnAttempt) {
	}

}
