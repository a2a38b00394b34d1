package io.warren.master.task;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.warren.protocol.TaskError;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.BDDMockito.given;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

@Import(WebSliceConfiguration.class)
@TaskOperationMocks
@WebMvcTest(properties = { "warren.master.max-body-size=1KB", "warren.security.enabled=false" })
class TaskControllerTests {

	private static final UUID ID = UUID.fromString("01a1fde9-da0a-7353-b273-4ef08103cba5");

	@Autowired
	private MockMvc mvc;

	@MockitoBean
	private TaskSubmission submission;

	@MockitoBean
	private TaskStore store;

	@Test
	void submittedTaskGets202WithItsLocationAndView() throws Exception {
		given(this.submission.submit(argThat((request) -> request != null && "echo".equals(request.type())), eq(""),
				isNull()))
			.willReturn(new TaskSubmission.Submitted(List.of(pending("{\"a\":1}")), false));

		this.mvc
			.perform(post("/api/v1/tasks").contentType(MediaType.APPLICATION_JSON)
				.content("{\"type\":\"echo\",\"payload\":{\"a\":1}}"))
			.andExpect(status().isAccepted())
			.andExpect(header().string("Location", "/api/v1/tasks/" + ID))
			.andExpect(jsonPath("$.id").value(ID.toString()))
			.andExpect(jsonPath("$.status").value("PENDING"))
			.andExpect(jsonPath("$.payload.a").value(1))
			.andExpect(jsonPath("$.attempts").value(1))
			.andExpect(jsonPath("$.createdAt").value("2026-11-21T10:00:00Z"));
	}

	@Test
	void retryWithTheSameIdempotencyKeyGets200AndTheFirstTask() throws Exception {
		given(this.submission.submit(argThat((request) -> request != null && "echo".equals(request.type())), eq(""),
				eq("order-4711")))
			.willReturn(new TaskSubmission.Submitted(List.of(pending("{\"a\":1}")), true));

		this.mvc
			.perform(post("/api/v1/tasks").contentType(MediaType.APPLICATION_JSON)
				.header("Idempotency-Key", "order-4711")
				.content("{\"type\":\"echo\",\"payload\":{\"a\":1}}"))
			.andExpect(status().isOk())
			.andExpect(header().string("Location", "/api/v1/tasks/" + ID))
			.andExpect(jsonPath("$.id").value(ID.toString()))
			.andExpect(jsonPath("$.payload.a").value(1));
	}

	@Test
	void idempotencyKeyUsedWithAnotherRequestIsA422Problem() throws Exception {
		given(this.submission.submit(argThat((request) -> request != null && "echo".equals(request.type())), eq(""),
				eq("order-4711")))
			.willThrow(new IdempotencyKeyReusedException("Idempotency-Key order-4711 was already used"));

		this.mvc
			.perform(post("/api/v1/tasks").contentType(MediaType.APPLICATION_JSON)
				.header("Idempotency-Key", "order-4711")
				.content("{\"type\":\"echo\",\"payload\":{\"a\":2}}"))
			.andExpect(status().isUnprocessableContent())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.title").value("Idempotency key reused"));
	}

	@Test
	void busyMasterAnswers503WithRetryAfterAndStoresNothing() throws Exception {
		given(this.submission.submit(argThat((request) -> request != null && "echo".equals(request.type())), eq(""),
				isNull()))
			.willThrow(new SubmissionsBusyException("publishing to the broker is behind; retry shortly"));

		this.mvc
			.perform(post("/api/v1/tasks").contentType(MediaType.APPLICATION_JSON)
				.content("{\"type\":\"echo\",\"payload\":1}"))
			.andExpect(status().isServiceUnavailable())
			.andExpect(header().string("Retry-After", "1"))
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.detail").value("publishing to the broker is behind; retry shortly"));
	}

	@Test
	void storeThatCannotOpenATransactionIsA503NotA500() throws Exception {
		given(this.submission.submit(argThat((request) -> request != null && "echo".equals(request.type())), eq(""),
				isNull()))
			.willThrow(new org.springframework.transaction.CannotCreateTransactionException("connection refused"));

		this.mvc
			.perform(post("/api/v1/tasks").contentType(MediaType.APPLICATION_JSON)
				.content("{\"type\":\"echo\",\"payload\":1}"))
			.andExpect(status().isServiceUnavailable())
			.andExpect(header().string("Retry-After", "5"))
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
	}

	@Test
	void batchGets202WithTheIdsInOrder() throws Exception {
		Task second = Task.submitted(UUID.fromString("01a1fde9-da0a-7353-b273-4ef08103cba6"), "echo", 0, "2",
				Instant.parse("2026-11-21T10:00:00Z"));
		given(this.submission.submitAll(any(), eq(""), isNull()))
			.willReturn(new TaskSubmission.Submitted(List.of(pending("1"), second), false));

		this.mvc
			.perform(post("/api/v1/tasks/batch").contentType(MediaType.APPLICATION_JSON)
				.content("{\"tasks\":[{\"type\":\"echo\",\"payload\":1},{\"type\":\"echo\",\"payload\":2}]}"))
			.andExpect(status().isAccepted())
			.andExpect(jsonPath("$.ids[0]").value(ID.toString()))
			.andExpect(jsonPath("$.ids[1]").value(second.id().toString()));
	}

	@Test
	void unknownTaskIsA404Problem() throws Exception {
		given(this.store.find(ID)).willReturn(Optional.empty());

		this.mvc.perform(get("/api/v1/tasks/" + ID))
			.andExpect(status().isNotFound())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.detail").value("no task with id " + ID));
	}

	@Test
	void failedTaskShowsItsError() throws Exception {
		Task failed = pending("null").finished(TaskStatus.FAILED, null,
				new TaskError(TaskError.HANDLER_ERROR, "boom", false), "w1", null,
				Instant.parse("2026-11-21T10:00:01Z"));
		given(this.store.find(ID)).willReturn(Optional.of(failed));

		this.mvc.perform(get("/api/v1/tasks/" + ID))
			.andExpect(status().isOk())
			.andExpect(jsonPath("$.status").value("FAILED"))
			.andExpect(jsonPath("$.error.code").value("HANDLER_ERROR"))
			.andExpect(jsonPath("$.error.message").value("boom"))
			.andExpect(jsonPath("$.workerId").value("w1"));
	}

	@Test
	void idThatIsNotAUuidIsA400Problem() throws Exception {
		this.mvc.perform(get("/api/v1/tasks/not-an-id"))
			.andExpect(status().isBadRequest())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
	}

	@Test
	void malformedJsonIsA400ProblemWithoutParserInternals() throws Exception {
		this.mvc.perform(post("/api/v1/tasks").contentType(MediaType.APPLICATION_JSON).content("{\"type\":\"echo\""))
			.andExpect(status().isBadRequest())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.detail").value("malformed JSON at line 1, column 15"));
	}

	@Test
	void unknownFieldIsA400Problem() throws Exception {
		this.mvc
			.perform(post("/api/v1/tasks").contentType(MediaType.APPLICATION_JSON)
				.content("{\"type\":\"echo\",\"payload\":1,\"priorty\":3}"))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.detail").value("unknown field 'priorty'"));
	}

	@Test
	void wrongFieldTypeIsA400Problem() throws Exception {
		this.mvc
			.perform(post("/api/v1/tasks").contentType(MediaType.APPLICATION_JSON)
				.content("{\"type\":\"echo\",\"payload\":1,\"priority\":\"high\"}"))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.detail").value("field 'priority' has the wrong type"));
	}

	@Test
	void bodyThatIsNotAnObjectIsA400Problem() throws Exception {
		this.mvc.perform(post("/api/v1/tasks").contentType(MediaType.APPLICATION_JSON).content("[1,2]"))
			.andExpect(status().isBadRequest())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
	}

	@Test
	void invalidFieldIsA400ProblemNamingTheField() throws Exception {
		given(this.submission.submit(argThat((request) -> request != null && "Bad Type".equals(request.type())), eq(""),
				any()))
			.willThrow(new InvalidTaskException("type", "must match [a-z0-9][a-z0-9._-]{0,63}"));

		this.mvc
			.perform(post("/api/v1/tasks").contentType(MediaType.APPLICATION_JSON)
				.content("{\"type\":\"Bad Type\",\"payload\":1}"))
			.andExpect(status().isBadRequest())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.field").value("type"));
	}

	@Test
	void refusedTypeIsA422Problem() throws Exception {
		given(this.submission.submit(argThat((request) -> request != null && "junk".equals(request.type())), eq(""),
				any()))
			.willThrow(new TaskTypeRefusedException("task type 'junk' is not allowed"));

		this.mvc
			.perform(post("/api/v1/tasks").contentType(MediaType.APPLICATION_JSON)
				.content("{\"type\":\"junk\",\"payload\":1}"))
			.andExpect(status().isUnprocessableContent())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
	}

	@Test
	void wrongContentTypeIsA415Problem() throws Exception {
		this.mvc.perform(post("/api/v1/tasks").contentType(MediaType.TEXT_PLAIN).content("echo"))
			.andExpect(status().isUnsupportedMediaType())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
	}

	@Test
	void bodyOverTheCapIsA413Problem() throws Exception {
		String big = "{\"type\":\"echo\",\"payload\":\"" + "x".repeat(2048) + "\"}";

		this.mvc.perform(post("/api/v1/tasks").contentType(MediaType.APPLICATION_JSON).content(big))
			.andExpect(status().isContentTooLarge())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
	}

	@Test
	void bodyOverTheCapWithoutALengthIsA413Problem() throws Exception {
		String big = "{\"type\":\"echo\",\"payload\":\"" + "x".repeat(2048) + "\"}";

		this.mvc.perform(post("/api/v1/tasks").contentType(MediaType.APPLICATION_JSON).content(big).with((request) -> {
			request.removeHeader("Content-Length");
			return request;
		}))
			.andExpect(status().isContentTooLarge())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
	}

	@Test
	void storeOutageIsA503ProblemWithoutDetails() throws Exception {
		given(this.submission.submit(any(), eq(""), any()))
			.willThrow(new DataAccessResourceFailureException("Connection refused to db-host:5432"));

		this.mvc
			.perform(post("/api/v1/tasks").contentType(MediaType.APPLICATION_JSON)
				.content("{\"type\":\"echo\",\"payload\":1}"))
			.andExpect(status().isServiceUnavailable())
			.andExpect(header().exists("Retry-After"))
			.andExpect(jsonPath("$.detail").value("the task store is unavailable; retry later"));
	}

	@Test
	void listReturnsSummariesAndACursorWhenThereIsMore() throws Exception {
		Task newer = pending("1");
		Task older = new Task(UUID.fromString("01a1fde9-da0a-7353-b273-000000000000"), "echo", TaskStatus.QUEUED, 0,
				null, null, null, 1, 0, 0, null, Instant.parse("2026-11-21T09:00:00Z"), null, null, null,
				Instant.parse("2026-11-21T09:00:00Z"), null, null, 1, null, null, 3, null);
		given(this.store.list(eq(new TaskFilter(TaskStatus.QUEUED, "echo", null, null)), isNull(), anyInt()))
			.willReturn(List.of(newer, older));

		this.mvc.perform(get("/api/v1/tasks?status=queued&type=echo&limit=1"))
			.andExpect(status().isOk())
			.andExpect(jsonPath("$.items.length()").value(1))
			.andExpect(jsonPath("$.items[0].id").value(ID.toString()))
			.andExpect(jsonPath("$.items[0].payload").doesNotExist())
			.andExpect(jsonPath("$.next").value(ID.toString()));
	}

	@Test
	void listRefusesAnUnknownStatusAndAnOutOfRangeLimit() throws Exception {
		this.mvc.perform(get("/api/v1/tasks?status=DONE"))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.field").value("status"));
		this.mvc.perform(get("/api/v1/tasks?limit=0")).andExpect(status().isBadRequest());
		this.mvc.perform(get("/api/v1/tasks?limit=501")).andExpect(status().isBadRequest());
		this.mvc.perform(get("/api/v1/tasks?after=zzz"))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.field").value("after"));
	}

	@Test
	void unknownPathAndMethodAreProblems() throws Exception {
		this.mvc.perform(get("/api/v1/nothing-here"))
			.andExpect(status().isNotFound())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
		this.mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put("/api/v1/tasks"))
			.andExpect(status().isMethodNotAllowed())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
	}

	private static Task pending(String payload) {
		return Task.submitted(ID, "echo", 0, payload, Instant.parse("2026-11-21T10:00:00Z"));
	}

}
