package io.warren.master.events;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import io.warren.master.task.InvalidTaskException;
import io.warren.master.task.TaskStatus;
import io.warren.protocol.TaskTypes;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.MediaType;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** {@code GET /api/v1/events}: every master's status events as Server-Sent Events. */
@RestController
class EventController {

	private static final Set<String> PARAMETERS = Set.of("type", "status", "taskId", "lastEventId");

	private final EventStreams streams;

	EventController(EventStreams streams) {
		this.streams = streams;
	}

	/**
	 * Events of the given types, statuses and tasks (each parameter may be repeated or
	 * hold a comma-separated list; none takes all), resumed after {@code Last-Event-ID}
	 * (or the {@code lastEventId} parameter) while this master still keeps the events
	 * after it.
	 */
	@GetMapping(path = "/api/v1/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
	SseEmitter stream(@RequestParam MultiValueMap<String, String> parameters,
			@RequestHeader(name = "Last-Event-ID", required = false) String lastEventId, HttpServletResponse response) {
		for (String name : parameters.keySet()) {
			if (!PARAMETERS.contains(name)) {
				throw new InvalidTaskException(name,
						"is not a parameter of this request (type, status, taskId, " + "lastEventId)");
			}
		}
		Set<String> types = new HashSet<>();
		for (String type : values(parameters, "type")) {
			if (!TaskTypes.isValid(type)) {
				throw new InvalidTaskException("type", "must match " + TaskTypes.NAME.pattern());
			}
			types.add(type);
		}
		Set<String> statuses = new HashSet<>();
		for (String status : values(parameters, "status")) {
			statuses.add(TaskStatus.parse(status).name());
		}
		Set<UUID> taskIds = new HashSet<>();
		for (String id : values(parameters, "taskId")) {
			try {
				taskIds.add(UUID.fromString(id));
			}
			catch (IllegalArgumentException ex) {
				throw new InvalidTaskException("taskId", "is not a task id (a UUID)");
			}
		}
		String resumeAfter = (lastEventId != null) ? lastEventId : parameters.getFirst("lastEventId");
		// no caching or buffering on the way (nginx buffers responses unless told)
		response.setHeader("Cache-Control", "no-cache");
		response.setHeader("X-Accel-Buffering", "no");
		return this.streams.open(new EventFilter(types, statuses, taskIds), resumeAfter);
	}

	private static List<String> values(MultiValueMap<String, String> parameters, String name) {
		List<String> given = parameters.getOrDefault(name, List.of());
		return given.stream().flatMap((value) -> List.of(value.split(",", -1)).stream()).map(String::trim).toList();
	}

}
