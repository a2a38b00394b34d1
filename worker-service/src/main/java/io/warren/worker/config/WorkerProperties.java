package io.warren.worker.config;

import java.time.Duration;
import java.util.Map;

import io.warren.protocol.Heartbeat;

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
 * @param heartbeatInterval how often the worker tells the masters it is alive; it is
 * marked lost after three intervals without a heartbeat
 * @param maxTimeout the longest one run may take, whatever the task message or the type's
 * setting says
 * @param timeoutGrace how long a handler interrupted at its deadline (or by a cancel) may
 * take to stop before the worker reports the task, and stops taking its type
 * @param brokerConsumerTimeout the broker's {@code consumer_timeout} (rabbitmq.conf),
 * after which it closes the channel of a delivery not acked: the worker refuses to start
 * if a delivery could wait that long in its prefetch and run
 */
@ConfigurationProperties("warren.worker")
public record WorkerProperties(@DefaultValue("") String id, @DefaultValue("4") int concurrency,
		@DefaultValue("30s") Duration resultConfirmTimeout, @DefaultValue("25s") Duration drainTimeout,
		@DefaultValue Backoff replyBackoff, Map<String, TypeSettings> types, @DefaultValue Builtins builtins,
		@DefaultValue("1h") Duration stuckThreshold, @DefaultValue("5s") Duration verdictTimeout,
		@DefaultValue("5s") Duration heartbeatInterval, @DefaultValue("10m") Duration maxTimeout,
		@DefaultValue("10s") Duration timeoutGrace, @DefaultValue("30m") Duration brokerConsumerTimeout) {

	public WorkerProperties {
		types = (types != null) ? Map.copyOf(types) : Map.of();
		if (concurrency < 1) {
			throw new IllegalArgumentException("warren.worker.concurrency must be 1 or more");
		}
		if (heartbeatInterval.compareTo(Duration.ofMillis(100)) < 0
				|| heartbeatInterval.toMillis() > Heartbeat.MAX_INTERVAL_MS || maxTimeout.isZero()
				|| maxTimeout.isNegative() || timeoutGrace.isNegative() || brokerConsumerTimeout.isZero()
				|| brokerConsumerTimeout.isNegative()) {
			throw new IllegalArgumentException("warren.worker.heartbeat-interval must be 100ms to 1h, "
					+ "max-timeout and broker-consumer-timeout positive, timeout-grace 0 or more");
		}
		for (Map.Entry<String, TypeSettings> type : types.entrySet()) {
			Duration timeout = type.getValue().timeout();
			if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
				throw new IllegalArgumentException(
						"warren.worker.types." + type.getKey() + ".timeout must be positive");
			}
		}
	}

	/**
	 * How long one run of a task may take: the message's timeout, else the type's, else
	 * the maximum; never more than the maximum.
	 */
	public Duration timeoutOf(String type, Long messageTimeoutMs) {
		Duration wanted = (messageTimeoutMs != null) ? Duration.ofMillis(messageTimeoutMs) : forType(type).timeout();
		return (wanted == null || wanted.compareTo(this.maxTimeout) > 0) ? this.maxTimeout : wanted;
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
		Duration timeout = (settings != null) ? settings.timeout() : null;
		return new TypeSettings(enabled, threads, prefetch, timeout);
	}

	/**
	 * @param enabled whether this worker serves the type (default true when it has a
	 * handler)
	 * @param concurrency handler threads, each with its own channel and consumer
	 * @param prefetch unacknowledged deliveries per thread; by default 2 on a quorum
	 * queue (one waits while the last result's confirm travels) and 1 on a classic queue
	 * (priorities delivered strictly)
	 * @param timeout how long one run of the type may take when its task message does not
	 * say (at most {@code max-timeout})
	 */
	public record TypeSettings(Boolean enabled, Integer concurrency, Integer prefetch, Duration timeout) {
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
