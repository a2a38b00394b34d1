package io.warren.master.task;

import java.net.URI;
import java.security.Principal;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

import io.warren.master.config.MasterProperties;
import io.warren.protocol.TaskTypes;
import io.warren.protocol.WireFormat;
import io.warren.security.ApiKeyAuthentication;
import tools.jackson.databind.JsonNode;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Submit, inspect and list tasks. */
@RestController
@RequestMapping(path = "/api/v1/tasks", produces = MediaType.APPLICATION_JSON_VALUE)
class TaskController {

	/** The request header that makes a submission safe to retry. */
	static final String IDEMPOTENCY_KEY = "Idempotency-Key";

	private final TaskSubmission submission;

	private final TaskStore store;

	private final WireFormat wire;

	private final MasterProperties.Paging paging;

	TaskController(TaskSubmission submission, TaskStore store, WireFormat wire, MasterProperties properties) {
		this.submission = submission;
		this.store = store;
		this.wire = wire;
		this.paging = properties.list();
	}

	@PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<TaskView> submit(@RequestBody SubmitTaskRequest request,
			@RequestHeader(name = IDEMPOTENCY_KEY, required = false) String idempotencyKey, Principal caller) {
		TaskSubmission.Submitted submitted = this.submission.submit(request.type(), request.payload(),
				request.priority(), scope(caller), idempotencyKey);
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

	@GetMapping
	TaskPage list(@RequestParam(required = false) String status, @RequestParam(required = false) String type,
			@RequestParam(required = false) Integer limit, @RequestParam(required = false) String after) {
		int pageSize = (limit != null) ? limit : this.paging.defaultLimit();
		if (pageSize < 1 || pageSize > this.paging.maxLimit()) {
			throw new InvalidTaskException("limit", "must be between 1 and " + this.paging.maxLimit());
		}
		String typeFilter = (type != null && !type.isEmpty()) ? type : null;
		if (typeFilter != null && !TaskTypes.isValid(typeFilter)) {
			throw new InvalidTaskException("type", "is not a valid task type name");
		}
		List<Task> tasks = this.store.list(parseStatus(status), typeFilter, parseCursor(after), pageSize + 1);
		boolean more = tasks.size() > pageSize;
		List<TaskSummary> items = tasks.stream().limit(pageSize).map(TaskSummary::of).toList();
		String next = more ? items.get(items.size() - 1).id().toString() : null;
		return new TaskPage(items, next);
	}

	private TaskView view(Task task) {
		return view(task, json(task.payload()));
	}

	private TaskView view(Task task, JsonNode payload) {
		TaskView.ErrorView error = (task.error() != null)
				? new TaskView.ErrorView(task.error().code(), task.error().message()) : null;
		return new TaskView(task.id(), task.type(), task.status(), task.priority(), payload, json(task.result()), error,
				task.attempt(), task.deliveries(), task.duplicates(), task.workerId(), task.createdAt(),
				task.startedAt(), task.finishedAt(), task.updatedAt());
	}

	private JsonNode json(String text) {
		return (text != null) ? this.wire.json().readTree(text) : null;
	}

	private static TaskStatus parseStatus(String status) {
		if (status == null || status.isEmpty()) {
			return null;
		}
		try {
			return TaskStatus.valueOf(status.toUpperCase(Locale.ROOT));
		}
		catch (IllegalArgumentException ex) {
			throw new InvalidTaskException("status", "must be one of " + List.of(TaskStatus.values()));
		}
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
