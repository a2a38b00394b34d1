package io.warren.master.task;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.warren.master.config.MasterProperties;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;

/**
 * Accepts tasks: checks them, commits their records (together with other requests', see
 * {@link GroupCommit}), then hands them to the dispatcher. The committed {@code PENDING}
 * record is the outbox: if the publish fails or its confirm never comes, the relay
 * publishes it again, so an accepted task is never lost.
 */
@Service
public class TaskSubmission {

	private static final Logger log = LoggerFactory.getLogger(TaskSubmission.class);

	private final TaskTypePolicy policy;

	private final TaskIds ids;

	private final GroupCommit commits;

	private final TaskDispatcher dispatcher;

	private final WireFormat wire;

	private final Clock clock;

	private final MasterProperties properties;

	private final ApplicationEventPublisher events;

	TaskSubmission(TaskTypePolicy policy, TaskIds ids, GroupCommit commits, TaskDispatcher dispatcher, WireFormat wire,
			Clock clock, MasterProperties properties, ApplicationEventPublisher events) {
		this.policy = policy;
		this.ids = ids;
		this.commits = commits;
		this.dispatcher = dispatcher;
		this.wire = wire;
		this.clock = clock;
		this.properties = properties;
		this.events = events;
	}

	/** Validates, stores and starts publishing a task; returns the stored record. */
	public Task submit(String type, JsonNode payload, Integer priority) {
		return store(List.of(new SubmitTaskRequest(type, payload, priority)), "").get(0);
	}

	/**
	 * Validates every task first (the first bad one refuses the whole request, named by
	 * its index), then stores them all in one transaction, in order.
	 */
	public List<Task> submitAll(List<SubmitTaskRequest> requests) {
		if (requests == null || requests.isEmpty()) {
			throw new InvalidTaskException("tasks", "must hold at least one task");
		}
		int most = this.properties.batch().maxTasks();
		if (requests.size() > most) {
			throw new InvalidTaskException("tasks", "holds " + requests.size() + " tasks, at most " + most
					+ " are accepted in one request (warren.master.batch.max-tasks)");
		}
		return store(requests, "tasks[%d].");
	}

	private List<Task> store(List<SubmitTaskRequest> requests, String fieldPrefix) {
		// both stores keep microseconds: the 202 shows what a later GET will show
		Instant now = this.clock.instant().truncatedTo(ChronoUnit.MICROS);
		List<Task> tasks = new ArrayList<>(requests.size());
		for (int i = 0; i < requests.size(); i++) {
			String prefix = fieldPrefix.isEmpty() ? "" : String.format(fieldPrefix, i);
			SubmitTaskRequest request = requests.get(i);
			if (request == null) {
				throw new InvalidTaskException(prefix.isEmpty() ? "body" : prefix.substring(0, prefix.length() - 1),
						"must be a task object");
			}
			tasks.add(validated(request, prefix, now));
		}
		// the new types of the whole submission against the cap; registered with its rows
		Set<String> newTypes = this.policy.checkAll(tasks.stream().map(Task::type).toList());
		if (this.dispatcher.isBehind()) {
			throw new SubmissionsBusyException("publishing to the broker is behind; retry shortly");
		}
		this.commits.store(tasks, newTypes, now.plus(this.properties.relay().confirmTimeout()));
		this.policy.remember(newTypes);
		List<TaskChange> changes = new ArrayList<>(tasks.size());
		for (Task task : tasks) {
			log.debug("task {} of type {} stored PENDING", task.id(), task.type());
			changes.add(TaskChange.submitted(task));
		}
		this.events.publishEvent(new TasksChanged(changes, Map.of(), Map.of()));
		tasks.forEach(this.dispatcher::publishSoon);
		return tasks;
	}

	/**
	 * Where a payload holds a number that parsed as infinite (such as {@code 1e400}), as
	 * a path; {@code null} if nowhere. Stored as it is, it would become the text
	 * {@code "Infinity"}.
	 */
	private static String nonFiniteNumber(JsonNode node, String path) {
		if (node.isFloatingPointNumber()) {
			return Double.isFinite(node.doubleValue()) ? null : path;
		}
		if (node.isObject()) {
			for (var field : node.properties()) {
				String found = nonFiniteNumber(field.getValue(), path + "." + field.getKey());
				if (found != null) {
					return found;
				}
			}
		}
		else if (node.isArray()) {
			for (int i = 0; i < node.size(); i++) {
				String found = nonFiniteNumber(node.get(i), path + "[" + i + "]");
				if (found != null) {
					return found;
				}
			}
		}
		return null;
	}

	private Task validated(SubmitTaskRequest request, String prefix, Instant now) {
		if (request.type() == null) {
			throw new InvalidTaskException(prefix + "type", "is required");
		}
		if (request.payload() == null) {
			throw new InvalidTaskException(prefix + "payload", "is required (send null for a task without input)");
		}
		String unrepresentable = nonFiniteNumber(request.payload(), "$");
		if (unrepresentable != null) {
			throw new InvalidTaskException(prefix + "payload",
					"holds a number too large to represent at " + unrepresentable);
		}
		int priority = (request.priority() != null) ? request.priority() : 0;
		if (priority < 0 || priority > 9) {
			throw new InvalidTaskException(prefix + "priority", "must be between 0 and 9");
		}
		try {
			this.policy.checkAll(List.of(request.type()));
		}
		catch (InvalidTaskException ex) {
			throw new InvalidTaskException(prefix + ex.field(), ex.getMessage().substring(ex.field().length() + 1));
		}
		catch (TaskTypeRefusedException ex) {
			throw new TaskTypeRefusedException(prefix.isEmpty() ? ex.getMessage()
					: prefix.substring(0, prefix.length() - 1) + ": " + ex.getMessage());
		}
		return Task.submitted(this.ids.next(), request.type(), priority,
				this.wire.json().writeValueAsString(request.payload()), now);
	}

}
