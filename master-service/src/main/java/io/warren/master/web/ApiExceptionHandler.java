package io.warren.master.web;

import io.warren.master.task.IdempotencyKeyReusedException;
import io.warren.master.events.StreamsBusyException;
import io.warren.master.task.InvalidTaskException;
import io.warren.master.task.SubmissionsBusyException;
import io.warren.master.task.TaskFinishedException;
import io.warren.master.task.TaskNotFoundException;
import io.warren.master.task.TaskNotRetryableException;
import io.warren.master.task.TaskTypeRefusedException;
import org.apache.tomcat.util.http.InvalidParameterException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.transaction.TransactionException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Every error as RFC 9457 problem details. Bad input gets a 4xx that says what is wrong;
 * nothing here puts a stack trace or a class name in a response.
 */
@RestControllerAdvice
class ApiExceptionHandler extends ResponseEntityExceptionHandler {

	private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

	@ExceptionHandler
	ProblemDetail invalid(InvalidTaskException ex) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
		problem.setTitle("Invalid request");
		problem.setProperty("field", ex.field());
		return problem;
	}

	@ExceptionHandler
	ProblemDetail refused(TaskTypeRefusedException ex) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.UNPROCESSABLE_CONTENT, ex.getMessage());
		problem.setTitle("Task type refused");
		return problem;
	}

	@ExceptionHandler
	ProblemDetail keyReused(IdempotencyKeyReusedException ex) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.UNPROCESSABLE_CONTENT, ex.getMessage());
		problem.setTitle("Idempotency key reused");
		return problem;
	}

	@ExceptionHandler
	ProblemDetail notFound(TaskNotFoundException ex) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, ex.getMessage());
		problem.setTitle("Task not found");
		return problem;
	}

	@ExceptionHandler
	ProblemDetail notRetryable(TaskNotRetryableException ex) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, ex.getMessage());
		problem.setTitle("Task not retryable");
		problem.setProperty("taskStatus", ex.status().name());
		return problem;
	}

	@ExceptionHandler
	ProblemDetail finished(TaskFinishedException ex) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, ex.getMessage());
		problem.setTitle("Task finished");
		problem.setProperty("taskStatus", ex.status().name());
		return problem;
	}

	@ExceptionHandler
	ProblemDetail tooLarge(BodyTooLargeException ex) {
		return BodySizeLimitFilter.tooLarge(ex.limit());
	}

	@ExceptionHandler
	ResponseEntity<ProblemDetail> busy(SubmissionsBusyException ex) {
		return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
			.header(HttpHeaders.RETRY_AFTER, "1")
			.body(busy(ex.getMessage()));
	}

	@ExceptionHandler
	ResponseEntity<ProblemDetail> streamsBusy(StreamsBusyException ex) {
		return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
			.header(HttpHeaders.RETRY_AFTER, "5")
			.contentType(MediaType.APPLICATION_PROBLEM_JSON)
			.body(busy(ex.getMessage()));
	}

	/** The 503 of a master that stored nothing: retrying after a second is safe. */
	private static ProblemDetail busy(String detail) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, detail);
		problem.setTitle("Busy");
		return problem;
	}

	@ExceptionHandler({ DataAccessException.class, TransactionException.class })
	ResponseEntity<ProblemDetail> storeUnavailable(RuntimeException ex) {
		log.warn("task store unavailable: {}", ex.getMessage());
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE,
				"the task store is unavailable; retry later");
		problem.setTitle("Service unavailable");
		return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, "5").body(problem);
	}

	/** Tomcat could not decode a query parameter ({@code limit=%ZZ}). */
	@ExceptionHandler
	ProblemDetail undecodableParameter(InvalidParameterException ex) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
				"a query parameter is not valid percent-encoded UTF-8");
		problem.setTitle("Invalid request");
		return problem;
	}

	@ExceptionHandler
	ProblemDetail unexpected(Exception ex) {
		log.error("unexpected error serving a request", ex);
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR,
				"an unexpected error occurred; the master's log has the details");
		problem.setTitle("Internal error");
		return problem;
	}

	@Override
	protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		BodyTooLargeException tooLarge = cause(ex, BodyTooLargeException.class);
		if (tooLarge != null) {
			return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE)
				.header(HttpHeaders.CONNECTION, "close")
				.body(BodySizeLimitFilter.tooLarge(tooLarge.limit()));
		}
		BodyReadTimeoutException slow = cause(ex, BodyReadTimeoutException.class);
		if (slow != null) {
			ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.REQUEST_TIMEOUT, slow.getMessage());
			problem.setTitle("Request body too slow");
			return ResponseEntity.status(HttpStatus.REQUEST_TIMEOUT)
				.header(HttpHeaders.CONNECTION, "close")
				.body(problem);
		}
		UploadsBusyException noSlot = cause(ex, UploadsBusyException.class);
		if (noSlot != null) {
			return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
				.header(HttpHeaders.RETRY_AFTER, "1")
				.header(HttpHeaders.CONNECTION, "close")
				.body(busy(noSlot.getMessage()));
		}
		BodyNotUtf8Exception notUtf8 = cause(ex, BodyNotUtf8Exception.class);
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
				(notUtf8 != null) ? "the body is not valid UTF-8 (near byte " + notUtf8.offset() + ")" : describe(ex));
		problem.setTitle("Unreadable request body");
		return handleExceptionInternal(ex, problem, headers, HttpStatus.BAD_REQUEST, request);
	}

	private static String describe(HttpMessageNotReadableException ex) {
		UnrecognizedPropertyException unknown = cause(ex, UnrecognizedPropertyException.class);
		if (unknown != null) {
			return "unknown field '" + unknown.getPropertyName() + "'";
		}
		MismatchedInputException mismatch = cause(ex, MismatchedInputException.class);
		if (mismatch != null) {
			String path = path(mismatch);
			return path.isEmpty() ? "the body must be a JSON object" : "field '" + path + "' has the wrong type";
		}
		InputCoercionException outOfRange = cause(ex, InputCoercionException.class);
		if (outOfRange != null) {
			String path = path(outOfRange);
			return path.isEmpty() ? "a number is out of range" : "field '" + path + "' is out of range";
		}
		StreamReadException malformed = cause(ex, StreamReadException.class);
		if (malformed != null) {
			return "malformed JSON at line " + malformed.getLocation().getLineNr() + ", column "
					+ malformed.getLocation().getColumnNr();
		}
		if (cause(ex, JacksonException.class) != null) {
			return "the body is not a valid task request";
		}
		return "a JSON body is required";
	}

	private static String path(JacksonException ex) {
		return ex.getPath()
			.stream()
			.map((reference) -> (reference.getPropertyName() != null) ? reference.getPropertyName()
					: String.valueOf(reference.getIndex()))
			.reduce((a, b) -> a + "." + b)
			.orElse("");
	}

	private static <T extends Throwable> T cause(Throwable ex, Class<T> type) {
		for (Throwable current = ex; current != null; current = current.getCause()) {
			if (type.isInstance(current)) {
				return type.cast(current);
			}
			if (current.getCause() == current) {
				break;
			}
		}
		return null;
	}

}
