package io.warren.master.workers;

import java.util.List;
import java.util.Map;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The worker registry: every worker heard from, live, lost or stopped. */
@RestController
@RequestMapping(path = "/api/v1/workers", produces = MediaType.APPLICATION_JSON_VALUE)
class WorkerController {

	private final WorkerRegistry registry;

	WorkerController(WorkerRegistry registry) {
		this.registry = registry;
	}

	@GetMapping
	Map<String, List<WorkerRecord>> list() {
		return Map.of("items", this.registry.list());
	}

	@GetMapping("/{id}")
	WorkerRecord get(@PathVariable String id) {
		return this.registry.find(id).orElseThrow(() -> new WorkerNotFoundException(id));
	}

	@ExceptionHandler
	ProblemDetail notFound(WorkerNotFoundException ex) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, ex.getMessage());
		problem.setTitle("Worker not found");
		return problem;
	}

	static class WorkerNotFoundException extends RuntimeException {

		WorkerNotFoundException(String id) {
			super("no worker with id " + ((id.length() > 80) ? id.substring(0, 80) + "..." : id));
		}

	}

}
