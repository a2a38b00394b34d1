package io.warren.master.control;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import io.warren.master.task.InvalidTaskException;
import io.warren.master.task.TaskStore;
import io.warren.master.workers.WorkerRegistry;
import io.warren.protocol.ControlMessage;
import io.warren.protocol.TaskTypes;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Pause and resume task types on every worker, and list the types with their state.
 */
@RestController
@RequestMapping(path = "/api/v1/types", produces = MediaType.APPLICATION_JSON_VALUE)
class TypeController {

	private final PausedTypes paused;

	private final ControlChannel control;

	private final TaskStore store;

	private final WorkerRegistry workers;

	TypeController(PausedTypes paused, ControlChannel control, TaskStore store, WorkerRegistry workers) {
		this.paused = paused;
		this.control = control;
		this.store = store;
		this.workers = workers;
	}

	/**
	 * Every worker stops taking tasks of the type (running ones finish); stored, so that
	 * a worker that starts later learns it. Pausing a paused type changes nothing.
	 */
	@PostMapping("/{type}/pause")
	TypeView pause(@PathVariable String type) {
		requireValid(type);
		// as the store keeps it
		Instant since = this.paused.pause(type, Instant.now().truncatedTo(ChronoUnit.MICROS));
		this.control.broadcast(ControlMessage.pause(type));
		return new TypeView(type, true, since, this.workers.liveWorkersByType().getOrDefault(type, 0));
	}

	/** Every worker that serves the type takes its tasks again. */
	@PostMapping("/{type}/resume")
	TypeView resume(@PathVariable String type) {
		requireValid(type);
		this.paused.resume(type);
		this.control.broadcast(ControlMessage.resume(type));
		return new TypeView(type, false, null, this.workers.liveWorkersByType().getOrDefault(type, 0));
	}

	/**
	 * The types ever submitted, served by a live worker or paused, each with whether it
	 * is paused and how many live workers serve it.
	 */
	@GetMapping
	Map<String, List<TypeView>> list() {
		Map<String, Instant> pausedTypes = this.paused.all();
		Map<String, Integer> served = this.workers.liveWorkersByType();
		TreeSet<String> names = new TreeSet<>(this.store.types());
		names.addAll(pausedTypes.keySet());
		names.addAll(served.keySet());
		List<TypeView> items = names.stream()
			.map((name) -> new TypeView(name, pausedTypes.containsKey(name), pausedTypes.get(name),
					served.getOrDefault(name, 0)))
			.toList();
		return Map.of("items", items);
	}

	private static void requireValid(String type) {
		if (!TaskTypes.isValid(type)) {
			throw new InvalidTaskException("type", "is not a valid task type name");
		}
	}

	/**
	 * A task type.
	 *
	 * @param type its name
	 * @param paused whether workers take no new task of it
	 * @param pausedAt since when, if paused
	 * @param workers how many live workers serve it
	 */
	record TypeView(String type, boolean paused, Instant pausedAt, int workers) {
	}

}
