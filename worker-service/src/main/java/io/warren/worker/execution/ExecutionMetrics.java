package io.warren.worker.execution;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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

	private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

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

	void inFlight(String type, int delta) {
		this.inFlight.computeIfAbsent(type, (key) -> {
			AtomicInteger gauge = new AtomicInteger();
			Gauge.builder("warren.worker.in-flight", gauge, AtomicInteger::get)
				.description("Tasks running on this worker")
				.tag("type", key)
				.register(this.registry);
			return gauge;
		}).addAndGet(delta);
	}

	void malformed(String type) {
		this.registry.counter("warren.worker.malformed", "type", type).increment();
	}

}
