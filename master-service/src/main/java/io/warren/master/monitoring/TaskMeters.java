package io.warren.master.monitoring;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.warren.master.task.TaskChange;
import io.warren.master.task.TaskStatus;
import io.warren.master.task.TasksChanged;

import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The task meters, moved by what the store committed ({@link TasksChanged}): submitted,
 * completed, retried (automatically or by hand), cancelled, timed out, duplicates, stale
 * replies, queue wait and end-to-end time. Meters are looked up once per type and kept,
 * not per task.
 */
@Component
class TaskMeters {

	private static final String[] STALE_KINDS = { "started", "result", "released", "dead-letter" };

	private final MeterRegistry registry;

	private final Map<String, TypeMeters> types = new ConcurrentHashMap<>();

	private final Map<String, Counter> stale = new ConcurrentHashMap<>();

	TaskMeters(MeterRegistry registry) {
		this.registry = registry;
		for (String kind : STALE_KINDS) {
			this.stale.put(kind, registry.counter("warren.replies.stale", "kind", kind));
		}
	}

	@EventListener
	void changed(TasksChanged event) {
		for (TaskChange change : event.changes()) {
			TypeMeters meters = of(change.type());
			if (change.isSubmission()) {
				meters.submitted.increment();
				continue;
			}
			if (change.to() == TaskStatus.RETRYING
					|| (change.from() == TaskStatus.FAILED && change.to() == TaskStatus.PENDING)) {
				meters.retried.increment();
			}
			if (change.firstStart()) {
				meters.queueWait.record(positive(Duration.between(change.createdAt(), change.startedAt())));
			}
			if (change.to() == TaskStatus.CANCELLED) {
				meters.cancelled.increment();
			}
			else if (change.to().isTerminal()) {
				(change.to() == TaskStatus.SUCCEEDED ? meters.succeeded : meters.failed).increment();
				meters.endToEnd.record(positive(Duration.between(change.createdAt(), change.at())));
			}
		}
		event.duplicates().forEach((type, count) -> of(type).duplicates.increment(count));
		event.timedOut().forEach((type, count) -> of(type).timedOut.increment(count));
		event.stale()
			.forEach((kind, count) -> this.stale
				.computeIfAbsent(kind, (name) -> this.registry.counter("warren.replies.stale", "kind", name))
				.increment(count));
	}

	private TypeMeters of(String type) {
		return this.types.computeIfAbsent(type, (name) -> new TypeMeters(this.registry, name));
	}

	/** A worker's clock may run behind the master's. */
	private static Duration positive(Duration duration) {
		return duration.isNegative() ? Duration.ZERO : duration;
	}

	/** One type's meters, registered (at zero) the first time the type is seen. */
	private static final class TypeMeters {

		private final Counter submitted;

		private final Counter succeeded;

		private final Counter failed;

		private final Counter duplicates;

		private final Counter retried;

		private final Counter cancelled;

		private final Counter timedOut;

		private final Timer queueWait;

		private final Timer endToEnd;

		TypeMeters(MeterRegistry registry, String type) {
			this.submitted = registry.counter("warren.tasks.submitted", "type", type);
			this.succeeded = registry.counter("warren.tasks.completed", "type", type, "outcome",
					TaskStatus.SUCCEEDED.name());
			this.failed = registry.counter("warren.tasks.completed", "type", type, "outcome", TaskStatus.FAILED.name());
			this.duplicates = registry.counter("warren.tasks.duplicates", "type", type);
			this.retried = registry.counter("warren.tasks.retried", "type", type);
			this.cancelled = registry.counter("warren.tasks.cancelled", "type", type);
			this.timedOut = registry.counter("warren.tasks.timed-out", "type", type);
			this.queueWait = Timer.builder("warren.tasks.queue-wait")
				.description("Time from submission until a worker started the task")
				.tag("type", type)
				.publishPercentileHistogram()
				.register(registry);
			this.endToEnd = Timer.builder("warren.tasks.end-to-end")
				.description("Time from submission until the result was recorded")
				.tag("type", type)
				.publishPercentileHistogram()
				.register(registry);
		}

	}

}
