package io.warren.master.task;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.warren.master.config.MasterProperties;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DataAccessException;
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

	private final TaskStore store;

	private final CallbackUrls callbackUrls;

	TaskSubmission(TaskTypePolicy policy, TaskIds ids, GroupCommit commits, TaskDispatcher dispatcher, WireFormat wire,
			Clock clock, MasterProperties properties, ApplicationEventPublisher events, TaskStore store) {
		this.store = store;
		this.policy = policy;
		this.ids = ids;
		this.commits = commits;
		this.dispatcher = dispatcher;
		this.wire = wire;
		this.clock = clock;
		this.properties = properties;
		this.events = events;
		this.callbackUrls = new CallbackUrls(properties);
	}

	private static final int MAX_KEY_LENGTH = 255;

	/** The most attempts a task may ask for. */
	static final int MAX_ATTEMPTS = 100;

	/** How many times a submission that lost a race for its key looks for the winner. */
	private static final int WINNER_LOOKUPS = 20;

	private static final long WINNER_PAUSE_MS = 50;

	/** Validates, stores and starts publishing a task; returns the stored record. */
	public Task submit(String type, JsonNode payload, Integer priority) {
		return submit(new SubmitTaskRequest(type, payload, priority), "", null).tasks().get(0);
	}

	/**
	 * Validates, stores and starts publishing a task (or schedules it, when it is to run
	 * later), with an {@code Idempotency-Key} (or {@code null}) in a scope (the API key's
	 * name): a key already used in the scope with the same request returns the task it
	 * created, marked as replayed; with another request it is refused.
	 */
	public Submitted submit(SubmitTaskRequest request, String scope, String idempotencyKey) {
		return store(List.of(request), "", scope, idempotencyKey);
	}

	/**
	 * Validates every task first (the first bad one refuses the whole request, named by
	 * its index), then stores them all in one transaction, in order.
	 */
	public List<Task> submitAll(List<SubmitTaskRequest> requests) {
		return submitAll(requests, "", null).tasks();
	}

	/**
	 * As {@link #submitAll(List)}, with an {@code Idempotency-Key} (or {@code null}) in a
	 * scope.
	 */
	public Submitted submitAll(List<SubmitTaskRequest> requests, String scope, String idempotencyKey) {
		if (requests == null || requests.isEmpty()) {
			throw new InvalidTaskException("tasks", "must hold at least one task");
		}
		int most = this.properties.batch().maxTasks();
		if (requests.size() > most) {
			throw new InvalidTaskException("tasks", "holds " + requests.size() + " tasks, at most " + most
					+ " are accepted in one request (warren.master.batch.max-tasks)");
		}
		return store(requests, "tasks[%d].", scope, idempotencyKey);
	}

	/**
	 * What a submission did.
	 *
	 * @param tasks the tasks, in the order submitted
	 * @param replayed whether they were created by an earlier submission with the same
	 * idempotency key (nothing was stored now)
	 */
	public record Submitted(List<Task> tasks, boolean replayed) {
	}

	private Submitted store(List<SubmitTaskRequest> requests, String fieldPrefix, String scope, String idempotencyKey) {
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
		IdempotencyKey key = null;
		if (idempotencyKey != null) {
			requireValid(idempotencyKey);
			String fingerprint = fingerprint(fieldPrefix.isEmpty() ? "task" : "batch", requests, tasks);
			Optional<Submitted> replay = replay(scope, idempotencyKey, fingerprint, now);
			if (replay.isPresent()) {
				return replay.get();
			}
			key = new IdempotencyKey(scope, idempotencyKey, fingerprint, tasks.stream().map(Task::id).toList(), now);
		}
		// the new types of the whole submission against the cap; registered with its rows
		Set<String> newTypes = this.policy.checkAll(tasks.stream().map(Task::type).toList());
		if (this.dispatcher.isBehind()) {
			throw new SubmissionsBusyException("publishing to the broker is behind; retry shortly");
		}
		try {
			this.commits.store(tasks, newTypes, now.plus(this.properties.relay().confirmTimeout()), key);
		}
		catch (DataAccessException ex) {
			if (key == null) {
				throw ex;
			}
			// the same key, recorded meanwhile by a concurrent request or another master:
			// a duplicate key once it committed, or (H2) a concurrent update while it had
			// not yet
			return awaitWinner(scope, idempotencyKey, key.fingerprint(), now).orElseThrow(() -> ex);
		}
		this.policy.remember(newTypes);
		List<TaskChange> changes = new ArrayList<>(tasks.size());
		for (Task task : tasks) {
			log.debug("task {} of type {} stored PENDING", task.id(), task.type());
			changes.add(TaskChange.submitted(task));
		}
		this.events.publishEvent(new TasksChanged(changes, Map.of(), Map.of()));
		for (Task task : tasks) {
			if (task.status() == TaskStatus.PENDING) {
				this.dispatcher.publishSoon(task);
			}
		}
		return new Submitted(tasks, false);
	}

	/**
	 * The submission that holds this key, once it has committed: looked for a few times
	 * over about a second; empty if there is none (the store failed for another reason).
	 */
	private Optional<Submitted> awaitWinner(String scope, String idempotencyKey, String fingerprint, Instant now) {
		for (int i = 0; i < WINNER_LOOKUPS; i++) {
			try {
				Optional<Submitted> winner = replay(scope, idempotencyKey, fingerprint, now);
				if (winner.isPresent()) {
					return winner;
				}
			}
			catch (DataAccessException ex) {
				log.debug("idempotency key {} not readable yet: {}", idempotencyKey, ex.getMessage());
			}
			try {
				Thread.sleep(WINNER_PAUSE_MS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
		}
		return Optional.empty();
	}

	/**
	 * The tasks of the earlier submission with this key, if it is recorded within the
	 * idempotency window; refused if that submission was another request.
	 */
	private Optional<Submitted> replay(String scope, String idempotencyKey, String fingerprint, Instant now) {
		return this.store.findIdempotencyKey(scope, idempotencyKey, now.minus(this.properties.idempotencyWindow()))
			.map((found) -> {
				if (!found.fingerprint().equals(fingerprint)) {
					throw new IdempotencyKeyReusedException("Idempotency-Key " + idempotencyKey
							+ " was already used with another request; use a new key for a new request");
				}
				List<Task> tasks = new ArrayList<>(found.taskIds().size());
				found.taskIds().forEach((id) -> this.store.find(id).ifPresent(tasks::add));
				if (tasks.size() < found.taskIds().size()) {
					throw new IdempotencyKeyReusedException("Idempotency-Key " + idempotencyKey
							+ " created tasks that have since been deleted; use a new key for a new request");
				}
				return new Submitted(tasks, true);
			});
	}

	private static void requireValid(String idempotencyKey) {
		if (idempotencyKey.isEmpty() || idempotencyKey.length() > MAX_KEY_LENGTH
				|| !idempotencyKey.chars().allMatch((c) -> c >= 0x21 && c <= 0x7E)) {
			throw new InvalidTaskException("Idempotency-Key",
					"must be 1 to " + MAX_KEY_LENGTH + " printable ASCII characters without spaces");
		}
	}

	/**
	 * SHA-256 of the request as canonical JSON (object keys sorted, no white space,
	 * priority as applied): the same request written differently has the same
	 * fingerprint.
	 */
	private static String fingerprint(String kind, List<SubmitTaskRequest> requests, List<Task> tasks) {
		StringBuilder canonical = new StringBuilder(kind);
		for (int i = 0; i < tasks.size(); i++) {
			Task task = tasks.get(i);
			SubmitTaskRequest request = requests.get(i);
			canonical.append('\n').append(task.type()).append('\n').append(task.priority()).append('\n');
			canonical(request.payload(), canonical);
			if (request.runAt() != null || request.delay() != null || request.maxAttempts() != null) {
				// as sent: the same request a second later asks for the same delay
				canonical.append('\n').append(request.runAt()).append('\n').append(request.delay()).append('\n');
				canonical.append(request.maxAttempts());
			}
			if (request.timeout() != null || request.callbackUrl() != null) {
				// only when given: fingerprints of requests without them stay as they
				// were
				canonical.append('\n').append(request.timeout()).append('\n').append(request.callbackUrl());
			}
		}
		try {
			return java.util.HexFormat.of()
				.formatHex(java.security.MessageDigest.getInstance("SHA-256")
					.digest(canonical.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
		}
		catch (java.security.NoSuchAlgorithmException ex) {
			throw new IllegalStateException("every Java platform has SHA-256", ex);
		}
	}

	private static void canonical(JsonNode node, StringBuilder out) {
		if (node.isObject()) {
			List<String> names = new ArrayList<>(node.propertyNames());
			java.util.Collections.sort(names);
			out.append('{');
			for (int i = 0; i < names.size(); i++) {
				out.append((i > 0) ? "," : "").append(tools.jackson.databind.node.StringNode.valueOf(names.get(i)));
				out.append(':');
				canonical(node.get(names.get(i)), out);
			}
			out.append('}');
		}
		else if (node.isArray()) {
			out.append('[');
			for (int i = 0; i < node.size(); i++) {
				out.append((i > 0) ? "," : "");
				canonical(node.get(i), out);
			}
			out.append(']');
		}
		else {
			out.append(node);
		}
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
		Integer maxAttempts = request.maxAttempts();
		if (maxAttempts != null && (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS)) {
			throw new InvalidTaskException(prefix + "maxAttempts", "must be an integer from 1 to " + MAX_ATTEMPTS);
		}
		Instant runAt = runAt(request, prefix, now);
		Long timeoutMs = timeout(request, prefix);
		String callbackUrl = this.callbackUrls.check(request.callbackUrl(), prefix + "callbackUrl");
		return Task.submitted(this.ids.next(), request.type(), priority,
				this.wire.json().writeValueAsString(request.payload()), now, runAt, maxAttempts, timeoutMs,
				callbackUrl);
	}

	/**
	 * The task's timeout in milliseconds: its own, else its type's on this master, else
	 * {@code null} (the worker's setting applies).
	 */
	private Long timeout(SubmitTaskRequest request, String prefix) {
		Duration timeout;
		if (request.timeout() == null || request.timeout().isNull()) {
			timeout = this.properties.timeoutOf(request.type());
			return (timeout != null) ? timeout.toMillis() : null;
		}
		timeout = duration(request.timeout(), prefix + "timeout");
		if (timeout.isZero() || timeout.compareTo(this.properties.maxTimeout()) > 0) {
			throw new InvalidTaskException(prefix + "timeout",
					"must be positive and at most " + this.properties.maxTimeout() + " (warren.master.max-timeout)");
		}
		return Math.max(1, timeout.toMillis());
	}

	/**
	 * When the task is to run, from {@code runAt} or {@code delay}; {@code null} for now.
	 */
	private Instant runAt(SubmitTaskRequest request, String prefix, Instant now) {
		if (request.runAt() != null && request.delay() != null && !request.delay().isNull()) {
			throw new InvalidTaskException(prefix + "delay", "cannot be given together with runAt");
		}
		Instant latest = now.plus(this.properties.maxDelay());
		if (request.runAt() != null) {
			Instant runAt = IsoTimes.parse(prefix + "runAt", request.runAt());
			if (runAt == null) {
				throw new InvalidTaskException(prefix + "runAt", "must not be empty");
			}
			runAt = runAt.truncatedTo(ChronoUnit.MICROS);
			if (runAt.isAfter(latest)) {
				throw new InvalidTaskException(prefix + "runAt",
						"is later than " + this.properties.maxDelay() + " from now (warren.master.max-delay)");
			}
			return runAt;
		}
		if (request.delay() == null || request.delay().isNull()) {
			return null;
		}
		Duration delay = duration(request.delay(), prefix + "delay");
		if (delay.compareTo(this.properties.maxDelay()) > 0) {
			throw new InvalidTaskException(prefix + "delay",
					"is longer than " + this.properties.maxDelay() + " (warren.master.max-delay)");
		}
		return now.plus(delay);
	}

	/** A duration given as milliseconds or as an ISO-8601 duration, not negative. */
	private static Duration duration(JsonNode value, String field) {
		Duration parsed = null;
		if (value.isIntegralNumber() && value.canConvertToLong()) {
			parsed = Duration.ofMillis(value.longValue());
		}
		else if (value.isString()) {
			try {
				parsed = Duration.parse(value.stringValue());
			}
			catch (DateTimeParseException ex) {
				// refused below
			}
		}
		if (parsed == null || parsed.isNegative()) {
			throw new InvalidTaskException(field,
					"must be a number of milliseconds or an ISO-8601 duration such as PT30S, not negative");
		}
		return parsed;
	}

}
