package io.warren.worker.config;

import java.time.Duration;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of a worker ({@code warren.worker.*}).
 *
 * @param id this worker's id in results and logs; empty means host name and process id
 * @param concurrency handler threads per task type, unless the type says otherwise
 * @param resultConfirmTimeout how long to wait for the broker to confirm a result before
 * handing the task back for redelivery
 * @param drainTimeout on shutdown, how long running tasks may take to finish before they
 * are handed back to the broker for another worker
 * @param replyBackoff the pause before a task whose started notice or result the broker
 * did not confirm is handed back
 * @param types per task type settings, keyed by type; a type with a dot needs brackets
 * ({@code warren.worker.types.[image.resize].concurrency})
 * @param builtins the built-in handlers
 * @param stuckThreshold how long one delivery may run before the {@code stuck} health
 * check reports DOWN with its task id
 * @param verdictTimeout how long a redelivered delivery waits for the master's answer to
 * its started notice (run it, or not: finished, stale, poisoned) before it runs anyway;
 * {@code 0} runs redeliveries without asking
 */
@ConfigurationProperties("warren.worker")
public record WorkerProperties(@DefaultValue("") String id, @DefaultValue("4") int concurrency,
		@DefaultValue("30s") Duration resultConfirmTimeout, @DefaultValue("25s") Duration drainTimeout,
		@DefaultValue Backoff replyBackoff, Map<String, TypeSettings> types, @DefaultValue Builtins builtins,
		@DefaultValue("1h") Duration stuckThreshold, @DefaultValue("5s") Duration verdictTimeout) {

	public WorkerProperties {
		types = (types != null) ? Map.copyOf(types) : Map.of();
		if (concurrency < 1) {
			throw new IllegalArgumentException("warren.worker.concurrency must be 1 or more");
		}
	}

	/**
	 * The settings of one type, defaults filled in but the prefetch's, which depends on
	 * the queue type (null when not set).
	 */
	public TypeSettings forType(String type) {
		TypeSettings settings = this.types.get(type);
		boolean enabled = settings == null || settings.enabled() == null || settings.enabled();
		int threads = (settings != null && settings.concurrency() != null) ? settings.concurrency() : this.concurrency;
		Integer prefetch = (settings != null) ? settings.prefetch() : null;
		return new TypeSettings(enabled, threads, prefetch);
	}

	/**
	 * @param enabled whether this worker serves the type (default true when it has a
	 * handler)
	 * @param concurrency handler threads, each with its own channel and consumer
	 * @param prefetch unacknowledged deliveries per thread; by default 2 on a quorum
	 * queue (one waits while the last result's confirm travels) and 1 on a classic queue
	 * (priorities delivered strictly)
	 */
	public record TypeSettings(Boolean enabled, Integer concurrency, Integer prefetch) {
	}

	/**
	 * @param initial the pause after the first failure; each consecutive failure doubles
	 * it
	 * @param max the longest pause
	 */
	public record Backoff(@DefaultValue("1s") Duration initial, @DefaultValue("30s") Duration max) {
	}

	/**
	 * @param enabled whether the {@code echo}, {@code sleep} and {@code fail} handlers
	 * exist
	 * @param prefix prepended to the built-in handlers' types, so that they cannot clash
	 * with your own ({@code demo.} gives {@code demo.echo}, {@code demo.sleep} and
	 * {@code demo.fail})
	 */
	public record Builtins(@DefaultValue("true") boolean enabled, @DefaultValue("") String prefix) {
	}

}
