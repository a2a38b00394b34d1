package io.warren.worker.execution;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.warren.protocol.Outcome;

/**
 * The worker's meters: execution time by type and outcome, tasks in flight, malformed
 * messages.
 */
public class ExecutionMetrics {

	private final MeterRegistry registry;

	public ExecutionMetrics(MeterRegistry registry) {
		this.registry = registry;
	}

	void executed(String type, Outcome outcome, long durationMs) {
		Timer.builder("warren.worker.execution")
			.description("Time handlers ran")
			.tags("type", type, "outcome", outcome.name())
			.publishPercentileHistogram()
			.register(this.registry)
			.record(durationMs, TimeUnit.MILLISECONDS);
	}

	/**
	 * {@code warren.worker.in-flight{type}}: the type's deliveries this worker holds from
	 * their started notice to their ack, read from the running tasks at each scrape.
	 */
	void watchRunning(String type, RunningTasks running) {
		Gauge.builder("warren.worker.in-flight", () -> running.count(type))
			.description("Tasks running on this worker")
			.tag("type", type)
			.register(this.registry);
	}

	/**
	 * {@code warren.worker.replies.unconfirmed{type,kind}}: replies the broker did not
	 * confirm (nacked, returned as unroutable, or no confirm in time); each hands its
	 * task back. Registered at zero per served type.
	 */
	void watchUnconfirmed(String type) {
		for (String kind : new String[] { "started", "result", "dead-letter" }) {
			this.registry.counter("warren.worker.replies.unconfirmed", "type", type, "kind", kind);
		}
	}

	void unconfirmed(String type, String kind) {
		this.registry.counter("warren.worker.replies.unconfirmed", "type", type, "kind", kind).increment();
	}

	void skipped(String type) {
		this.registry.counter("warren.worker.tasks.skipped", "type", type).increment();
	}

	void malformed(String type) {
		this.registry.counter("warren.worker.malformed", "type", type).increment();
	}

}
