package io.warren.master.task;

import java.net.URI;
import java.security.Principal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import io.warren.master.config.MasterProperties;
import io.warren.protocol.TaskTypes;
import io.warren.protocol.WireFormat;
import io.warren.security.ApiKeyAuthentication;
import tools.jackson.databind.JsonNode;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;

/** Submit, inspect, list, retry, cancel and delete tasks. */
@RestController
@RequestMapping(path = "/api/v1/tasks", produces = MediaType.APPLICATION_JSON_VALUE)
class TaskController {

	/** The parameters of a bulk retry or delete. */
	private static final Set<String> BULK_PARAMETERS = Set.of("status", "type", "errorCode", "since", "until");

	/** The request header that makes a submission safe to retry. */
	static final String IDEMPOTENCY_KEY = "Idempotency-Key";

	private final TaskSubmission submission;

	private final TaskStore store;

	private final WireFormat wire;

	private final MasterProperties.Paging paging;

	private final TaskTransitions transitions;

	private final TaskDispatcher dispatcher;

	private final RetryPolicies retries;

	private final TaskPurge purge;

	private final TaskCancels control;

	private final int bulkLimit;

	private final TaskWaits waits;

	private final TaskViews views;

	TaskController(TaskSubmission submission, TaskStore store, WireFormat wire, MasterProperties properties,
			TaskTransitions transitions, TaskDispatcher dispatcher, RetryPolicies retries, TaskPurge purge,
			TaskCancels control, TaskWaits waits, TaskViews views) {
		this.views = views;
		this.control = control;
		this.waits = waits;
		this.submission = submission;
		this.store = store;
		this.wire = wire;
		this.paging = properties.list();
		this.transitions = transitions;
		this.dispatcher = dispatcher;
		this.retries = retries;
		this.purge = purge;
		this.bulkLimit = properties.bulkLimit();
	}

	@PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<TaskView> submit(@RequestBody SubmitTaskRequest request,
			@RequestHeader(name = IDEMPOTENCY_KEY, required = false) String idempotencyKey, Principal caller) {
		if (request == null) {
			throw new InvalidTaskException("body", "must be a task object");
		}
		TaskSubmission.Submitted submitted = this.submission.submit(request, scope(caller), idempotencyKey);
		Task task = submitted.tasks().get(0);
		if (submitted.replayed()) {
			// created by the first request with this key: as it is now
			return ResponseEntity.ok().location(URI.create("/api/v1/tasks/" + task.id())).body(view(task));
		}
		// the payload as received: no need to parse the stored text again
		return ResponseEntity.accepted()
			.location(URI.create("/api/v1/tasks/" + task.id()))
			.body(view(task, request.payload()));
	}

	/**
	 * Submits and waits for the task to finish, up to {@code wait}: 200 with the finished
	 * task, or 202 with the task as it is when the wait ends first (a replayed submission
	 * waits too).
	 */
	@PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE, params = "wait")
	DeferredResult<ResponseEntity<TaskView>> submitAndWait(@RequestBody SubmitTaskRequest request,
			@RequestParam String wait, @RequestHeader(name = IDEMPOTENCY_KEY, required = false) String idempotencyKey,
			Principal caller) {
		Duration duration = this.waits.parse(wait);
		if (request == null) {
			throw new InvalidTaskException("body", "must be a task object");
		}
		TaskSubmission.Submitted submitted = this.submission.submit(request, scope(caller), idempotencyKey);
		Task task = submitted.tasks().get(0);
		URI location = URI.create("/api/v1/tasks/" + task.id());
		return this.waits.await(task, duration,
				(current) -> (current.status().isTerminal() ? ResponseEntity.ok() : ResponseEntity.accepted())
					.location(location)
					.body(view(current)));
	}

	/**
	 * Several tasks in one request, stored in one transaction: all of them or, if one is
	 * invalid, none (the problem names its index and field).
	 */
	@PostMapping(path = "/batch", consumes = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<BatchAccepted> submitBatch(@RequestBody SubmitBatchRequest request,
			@RequestHeader(name = IDEMPOTENCY_KEY, required = false) String idempotencyKey, Principal caller) {
		TaskSubmission.Submitted submitted = this.submission.submitAll(request.tasks(), scope(caller), idempotencyKey);
		BatchAccepted accepted = new BatchAccepted(submitted.tasks().stream().map(Task::id).toList());
		return submitted.replayed() ? ResponseEntity.ok(accepted) : ResponseEntity.accepted().body(accepted);
	}

	/**
	 * The scope of the caller's idempotency keys: the name of its API key (one anonymous
	 * scope when security is off).
	 */
	private static String scope(Principal caller) {
		return (caller != null) ? caller.getName() : ApiKeyAuthentication.ANONYMOUS_SCOPE;
	}

	@GetMapping("/{id}")
	TaskView get(@PathVariable UUID id) {
		return view(this.store.find(id).orElseThrow(() -> new TaskNotFoundException(id)));
	}

	/**
	 * The task once it is finished, or as it is when {@code wait} ends; 200 either way
	 * (its {@code status} tells which).
	 */
	@GetMapping(path = "/{id}", params = "wait")
	DeferredResult<TaskView> getWhenFinished(@PathVariable UUID id, @RequestParam String wait) {
		Duration duration = this.waits.parse(wait);
		Task task = this.store.find(id).orElseThrow(() -> new TaskNotFoundException(id));
		return this.waits.await(task, duration, this::view);
	}

	/**
	 * Starts a new attempt of a {@code FAILED} task at once, with a fresh retry budget;
	 * 409 for a task in any other status.
	 */
	@PostMapping("/{id}/retry")
	TaskView retry(@PathVariable UUID id) {
		List<Task> retried = this.transitions.retry(List.of(id));
		if (retried.isEmpty()) {
			Task task = this.store.find(id).orElseThrow(() -> new TaskNotFoundException(id));
			throw new TaskNotRetryableException(id, task.status());
		}
		this.dispatcher.publishSoon(retried.get(0));
		return view(retried.get(0));
	}

	/**
	 * Retries the {@code FAILED} tasks the filter selects that were last changed before
	 * {@code until} (the time of the request when not given, so that tasks retried now
	 * and failed again are not taken again by the next request of the same loop), at most
	 * {@code warren.master.bulk-limit} per request; answers how many, and the
	 * {@code until} to send with the next request.
	 */
	@PostMapping("/retry")
	BulkAnswer retrySelected(@RequestParam Map<String, String> parameters) {
		TaskFilter filter = filter(parameters, BULK_PARAMETERS);
		if (filter.status() != null && filter.status() != TaskStatus.FAILED) {
			throw new InvalidTaskException("status", "must be FAILED (or left out) to retry tasks");
		}
		Instant until = (filter.until() != null) ? filter.until() : Instant.now();
		List<Task> retried = this.transitions.retrySelected(
				new TaskFilter(TaskStatus.FAILED, filter.type(), filter.errorCode(), filter.since(), until),
				this.bulkLimit);
		retried.forEach(this.dispatcher::publishSoon);
		return new BulkAnswer(retried.size(), retried.size() == this.bulkLimit, until);
	}

	/**
	 * Cancels a task: one not yet running is {@code CANCELLED} at once (200); a running
	 * one is interrupted by its worker and ends {@code CANCELLED} when the worker
	 * confirms (202, with {@code cancelRequestedAt}); a finished one is a 409.
	 */
	@PostMapping("/{id}/cancel")
	ResponseEntity<TaskView> cancel(@PathVariable UUID id) {
		Task task = this.transitions.cancel(List.of(id)).get(id);
		if (task == null) {
			Task finished = this.store.find(id).orElseThrow(() -> new TaskNotFoundException(id));
			throw new TaskFinishedException(id, finished.status());
		}
		this.control.cancel(task);
		return (task.status() == TaskStatus.CANCELLED) ? ResponseEntity.ok(view(task))
				: ResponseEntity.accepted().body(view(task));
	}

	/**
	 * Cancels the unfinished tasks the filter selects (a {@code status} or a {@code type}
	 * is required) that were last changed before {@code until}, at most
	 * {@code warren.master.bulk-limit} per request, as {@link #cancel}; answers how many
	 * were cancelled or are being cancelled.
	 */
	@PostMapping("/cancel")
	BulkAnswer cancelSelected(@RequestParam Map<String, String> parameters) {
		TaskFilter filter = filter(parameters, BULK_PARAMETERS);
		if (filter.status() == null && filter.type() == null) {
			throw new InvalidTaskException("type", "or status is required to cancel tasks by filter");
		}
		if (filter.status() != null && filter.status().isTerminal()) {
			throw new InvalidTaskException("status", "must be a status of unfinished tasks: " + TaskStatus.active());
		}
		Instant until = (filter.until() != null) ? filter.until() : Instant.now();
		List<Task> cancelled = this.transitions.cancelSelected(
				new TaskFilter(filter.status(), filter.type(), filter.errorCode(), filter.since(), until),
				this.bulkLimit);
		cancelled.forEach(this.control::cancel);
		return new BulkAnswer(cancelled.size(), cancelled.size() == this.bulkLimit, until);
	}

	/**
	 * Deletes the finished tasks the filter selects (a terminal {@code status} is
	 * required), at most {@code warren.master.bulk-limit} per request; answers how many.
	 */
	@DeleteMapping
	BulkAnswer delete(@RequestParam Map<String, String> parameters) {
		TaskFilter filter = filter(parameters, BULK_PARAMETERS);
		Instant until = (filter.until() != null) ? filter.until() : Instant.now();
		int deleted = this.purge.deleteSelected(
				new TaskFilter(filter.status(), filter.type(), filter.errorCode(), filter.since(), until),
				this.bulkLimit);
		return new BulkAnswer(deleted, deleted == this.bulkLimit, until);
	}

	/**
	 * What a bulk request did.
	 *
	 * @param count how many tasks it retried, cancelled or deleted
	 * @param more whether it stopped at {@code warren.master.bulk-limit}: send it again,
	 * with this {@code until}, for the rest
	 * @param until the tasks it selected were last changed before this time
	 */
	record BulkAnswer(int count, boolean more, Instant until) {
	}

	@GetMapping
	TaskPage list(@RequestParam(required = false) String status, @RequestParam(required = false) String type,
			@RequestParam(required = false) String errorCode, @RequestParam(required = false) String since,
			@RequestParam(required = false) String until, @RequestParam(required = false) Integer limit,
			@RequestParam(required = false) String after) {
		int pageSize = (limit != null) ? limit : this.paging.defaultLimit();
		if (pageSize < 1 || pageSize > this.paging.maxLimit()) {
			throw new InvalidTaskException("limit", "must be between 1 and " + this.paging.maxLimit());
		}
		List<Task> tasks = this.store.list(filter(status, type, errorCode, since, until), parseCursor(after),
				pageSize + 1);
		boolean more = tasks.size() > pageSize;
		List<TaskSummary> items = tasks.stream().limit(pageSize).map(TaskSummary::of).toList();
		String next = more ? items.get(items.size() - 1).id().toString() : null;
		return new TaskPage(items, next);
	}

	private TaskView view(Task task) {
		return this.views.of(task);
	}

	private TaskView view(Task task, JsonNode payload) {
		return this.views.of(task, payload);
	}

	/**
	 * The filter of a bulk request, whose parameters must all be known: a misspelt one
	 * would otherwise widen what is retried or deleted.
	 */
	private static TaskFilter filter(Map<String, String> parameters, Set<String> known) {
		for (String name : parameters.keySet()) {
			if (!known.contains(name)) {
				throw new InvalidTaskException(name, "is not a parameter of this request; known: " + known);
			}
		}
		return filter(parameters.get("status"), parameters.get("type"), parameters.get("errorCode"),
				parameters.get("since"), parameters.get("until"));
	}

	private static TaskFilter filter(String status, String type, String errorCode, String since, String until) {
		String typeFilter = (type != null && !type.isEmpty()) ? type : null;
		if (typeFilter != null && !TaskTypes.isValid(typeFilter)) {
			throw new InvalidTaskException("type", "is not a valid task type name");
		}
		String code = (errorCode != null && !errorCode.isEmpty()) ? errorCode : null;
		if (code != null && (code.length() > ReplyChecks.MAX_ERROR_CODE
				|| code.chars().anyMatch((c) -> Character.isISOControl(c)))) {
			throw new InvalidTaskException("errorCode",
					"must be at most " + ReplyChecks.MAX_ERROR_CODE + " characters without control characters");
		}
		return new TaskFilter(parseStatus(status), typeFilter, code, IsoTimes.parse("since", since),
				IsoTimes.parse("until", until));
	}

	private static TaskStatus parseStatus(String status) {
		if (status == null || status.isEmpty()) {
			return null;
		}
		return TaskStatus.parse(status);
	}

	private static UUID parseCursor(String after) {
		if (after == null || after.isEmpty()) {
			return null;
		}
		try {
			return UUID.fromString(after);
		}
		catch (IllegalArgumentException ex) {
			throw new InvalidTaskException("after", "is not a cursor returned by this API");
		}
	}

}
