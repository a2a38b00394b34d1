package io.warren.master.task;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.warren.master.config.MasterProperties;
import io.warren.master.dispatch.TaskPublisher;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

import org.springframework.stereotype.Service;

/**
 * Accepts a task: checks it, commits its record, then hands it to the publisher. The
 * committed {@code PENDING} record is the outbox: if the publish fails or its confirm
 * never comes, the relay publishes it again, so an accepted task is never lost.
 */
@Service
public class TaskSubmission {

	private static final Logger log = LoggerFactory.getLogger(TaskSubmission.class);

	private final TaskTypePolicy policy;

	private final TaskIds ids;

	private final TaskStore store;

	private final TaskPublisher publisher;

	private final WireFormat wire;

	private final Clock clock;

	private final MasterProperties properties;

	private final MeterRegistry meters;

	public TaskSubmission(TaskTypePolicy policy, TaskIds ids, TaskStore store, TaskPublisher publisher, WireFormat wire,
			Clock clock, MasterProperties properties, MeterRegistry meters) {
		this.policy = policy;
		this.ids = ids;
		this.store = store;
		this.publisher = publisher;
		this.wire = wire;
		this.clock = clock;
		this.properties = properties;
		this.meters = meters;
	}

	/** Validates, stores and starts publishing a task; returns the stored record. */
	public Task submit(String type, JsonNode payload, Integer priority) {
		if (type == null) {
			throw new InvalidTaskException("type", "is required");
		}
		if (payload == null) {
			throw new InvalidTaskException("payload", "is required (send null for a task without input)");
		}
		int effectivePriority = (priority != null) ? priority : 0;
		if (effectivePriority < 0 || effectivePriority > 9) {
			throw new InvalidTaskException("priority", "must be between 0 and 9");
		}
		this.policy.check(type);
		// both stores keep microseconds: the 202 shows what a later GET will show
		Instant now = this.clock.instant().truncatedTo(ChronoUnit.MICROS);
		Task task = Task.submitted(this.ids.next(), type, effectivePriority,
				this.wire.json().writeValueAsString(payload), now);
		this.store.insert(task, now.plus(this.properties.relay().confirmTimeout()));
		log.debug("task {} of type {} stored PENDING", task.id(), type);
		this.meters.counter("warren.tasks.submitted", "type", type).increment();
		this.publisher.publishSoon(task);
		return task;
	}

}
