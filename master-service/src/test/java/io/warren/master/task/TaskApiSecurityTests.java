package io.warren.master.task;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.warren.master.web.ApiSecurity;
import io.warren.security.ApiKeyProperties;
import io.warren.security.ApiKeys;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.BDDMockito.given;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * The task API behind API keys: the challenge and problem of a 401, the problem of a 403,
 * and the key's name as the scope of its idempotency keys. (Every endpoint against every
 * kind of key, over real HTTP: MasterIntegrationTests.)
 */
@Import(WebSliceConfiguration.class)
@TaskOperationMocks
@WebMvcTest(
		properties = "warren.security.api-keys=reader:read:reader-secret-1234,submitter:submit:submitter-secret-1234")
class TaskApiSecurityTests {

	private static final UUID ID = UUID.fromString("01a1fde9-da0a-7353-b273-4ef08103cba5");

	private static final String TASK = "{\"type\":\"echo\",\"payload\":{}}";

	@Autowired
	private MockMvc mvc;

	@MockitoBean
	private TaskSubmission submission;

	@MockitoBean
	private TaskStore store;

	@Test
	void requestWithoutAKeyIsChallengedWithAProblem() throws Exception {
		this.mvc.perform(post("/api/v1/tasks").contentType(MediaType.APPLICATION_JSON).content(TASK))
			.andExpect(status().isUnauthorized())
			.andExpect(header().string("WWW-Authenticate", "Bearer realm=\"warren\""))
			.andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.status").value(401))
			.andExpect(jsonPath("$.detail").value("this needs an API key: send the header Authorization: Bearer <key>"))
			.andExpect(jsonPath("$.instance").value("/api/v1/tasks"));
		// another scheme is no key
		this.mvc.perform(get("/api/v1/tasks").header("Authorization", "Basic cmVhZGVyOnNlY3JldA=="))
			.andExpect(status().isUnauthorized())
			.andExpect(header().string("WWW-Authenticate", "Bearer realm=\"warren\""));
	}

	@Test
	void unknownKeyIsAnInvalidToken() throws Exception {
		this.mvc.perform(get("/api/v1/tasks").header("Authorization", "Bearer reader-secret-12345"))
			.andExpect(status().isUnauthorized())
			.andExpect(header().string("WWW-Authenticate", "Bearer realm=\"warren\", error=\"invalid_token\""))
			.andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.detail").value("the API key is not one of this service's keys"));
	}

	@Test
	void keyWithoutTheRoleIsForbiddenWithAProblemNamingTheKey() throws Exception {
		this.mvc
			.perform(post("/api/v1/tasks").header("Authorization", "bearer reader-secret-1234")
				.contentType(MediaType.APPLICATION_JSON)
				.content(TASK))
			.andExpect(status().isForbidden())
			.andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.detail").value("the API key reader may not do this: its roles are read"));
	}

	@Test
	void idempotencyKeysAreScopedByTheKeysName() throws Exception {
		given(this.submission.submit(argThat((request) -> request != null && "echo".equals(request.type())),
				eq("submitter"), eq("k-1")))
			.willReturn(new TaskSubmission.Submitted(
					List.of(Task.submitted(ID, "echo", 0, "{}", Instant.parse("2026-12-02T10:00:00Z"))), false));

		this.mvc
			.perform(post("/api/v1/tasks").header("Authorization", "Bearer submitter-secret-1234")
				.header("Idempotency-Key", "k-1")
				.contentType(MediaType.APPLICATION_JSON)
				.content(TASK))
			.andExpect(status().isAccepted())
			.andExpect(jsonPath("$.id").value(ID.toString()));
	}

	@Test
	void masterWithoutKeysRefusesToStartUnlessSecurityIsOff() {
		assertThatIllegalStateException()
			.isThrownBy(() -> new ApiSecurity(new ApiKeyProperties(true, List.of()), ApiKeys.parse(List.of())))
			.withMessageContaining("WARREN_SECURITY_API_KEYS")
			.withMessageContaining("warren.security.enabled=false");
		assertThatNoException()
			.isThrownBy(() -> new ApiSecurity(new ApiKeyProperties(false, List.of()), ApiKeys.parse(List.of())));
	}

}
