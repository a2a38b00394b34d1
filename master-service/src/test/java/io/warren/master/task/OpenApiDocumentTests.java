package io.warren.master.task;

import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/** The OpenAPI document the master serves describes exactly the operations it has. */
@Import(WebSliceConfiguration.class)
@TaskOperationMocks
@WebMvcTest(properties = "warren.security.enabled=false")
class OpenApiDocumentTests {

	@Autowired
	private MockMvc mvc;

	@Autowired
	private RequestMappingHandlerMapping mappings;

	@MockitoBean
	private TaskSubmission submission;

	@MockitoBean
	private TaskStore store;

	@Test
	void servedDocumentListsEveryApiOperationAndNoOther() throws Exception {
		String document = this.mvc.perform(get("/api/v1/openapi.yaml"))
			.andExpect(status().isOk())
			.andReturn()
			.getResponse()
			.getContentAsString();
		Map<String, Map<String, Object>> paths = new Yaml()
			.<Map<String, Map<String, Map<String, Object>>>>load(document)
			.get("paths");

		Set<String> documented = new HashSet<>();
		paths.forEach((path, operations) -> operations.keySet()
			.forEach((method) -> documented.add(method.toUpperCase(Locale.ROOT) + " " + path)));
		Set<String> served = new HashSet<>();
		this.mappings.getHandlerMethods()
			.keySet()
			.forEach((info) -> info.getPatternValues()
				.stream()
				.filter((pattern) -> pattern.startsWith("/api/"))
				.forEach((pattern) -> info.getMethodsCondition()
					.getMethods()
					.forEach((method) -> served.add(method.name() + " " + pattern))));

		assertThat(documented).containsExactlyInAnyOrderElementsOf(served);
	}

}
