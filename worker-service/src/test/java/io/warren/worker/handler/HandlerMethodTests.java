package io.warren.worker.handler;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.warren.protocol.WireFormat;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A payload that does not fit its handler is described in JSON's words: where and what
 * was expected, never a class of the worker (the reason reaches API clients).
 */
class HandlerMethodTests {

	private final JsonMapper json = new WireFormat("test").json();

	@Test
	void payloadThatDoesNotFitNamesThePlaceAndTheExpectedKindButNoClass() throws Exception {
		HandlerMethod handler = new HandlerMethod("image.resize", new Handlers(),
				Handlers.class.getDeclaredMethod("resize", Resize.class), this.json);

		assertThatExceptionOfType(InvalidPayloadException.class).isThrownBy(() -> invoke(handler, "\"abc\""))
			.withMessage("payload does not fit the handler of image.resize: "
					+ "expected an object with the handler's fields at $")
			.satisfies((ex) -> assertNoClassName(ex.getMessage()));
		assertThatExceptionOfType(InvalidPayloadException.class)
			.isThrownBy(() -> invoke(handler, "{\"width\":\"wide\",\"sizes\":[1]}"))
			.withMessage("payload does not fit the handler of image.resize: expected a number at $.width");
		assertThatExceptionOfType(InvalidPayloadException.class)
			.isThrownBy(() -> invoke(handler, "{\"width\":1,\"sizes\":[1,{}]}"))
			.withMessage("payload does not fit the handler of image.resize: expected a number at $.sizes[1]");
		assertThatExceptionOfType(InvalidPayloadException.class)
			.isThrownBy(() -> invoke(handler, "{\"width\":1,\"sizes\":7,\"x\":1}"))
			.satisfies((ex) -> assertNoClassName(ex.getMessage()));
	}

	@Test
	void valuesJsonSendsAsTextAreExpectedAsStringsAndAConstructorsOwnRefusalIsKept() throws Exception {
		HandlerMethod handler = new HandlerMethod("report.build", new Handlers(),
				Handlers.class.getDeclaredMethod("report", Report.class), this.json);

		assertThatExceptionOfType(InvalidPayloadException.class)
			.isThrownBy(() -> invoke(handler, "{\"id\":7,\"format\":\"PDF\",\"pages\":1}"))
			.withMessage("payload does not fit the handler of report.build: expected a string at $.id");
		assertThatExceptionOfType(InvalidPayloadException.class)
			.isThrownBy(() -> invoke(handler, "{\"id\":\"" + UUID.randomUUID() + "\",\"format\":\"DOC\",\"pages\":1}"))
			.withMessage("payload does not fit the handler of report.build: expected one of [PDF, CSV] at $.format");
		assertThatExceptionOfType(InvalidPayloadException.class)
			.isThrownBy(() -> invoke(handler, "{\"id\":\"" + UUID.randomUUID() + "\",\"format\":\"CSV\",\"pages\":0}"))
			.withMessage("payload does not fit the handler of report.build: pages must be 1 or more at $");
	}

	private JsonNode invoke(HandlerMethod handler, String payload) throws Exception {
		return handler.invoke(this.json.readTree(payload), new TaskContext(UUID.randomUUID(), "image.resize", 1,
				UUID.randomUUID(), false, 0, Instant.now(), "w1"));
	}

	private static void assertNoClassName(String message) {
		org.assertj.core.api.Assertions.assertThat(message)
			.doesNotContain("io.warren")
			.doesNotContain("HandlerMethodTests")
			.doesNotContain("java.")
			.doesNotContain("Resize");
	}

	record Resize(int width, List<Integer> sizes) {
	}

	enum Format {

		PDF, CSV

	}

	record Report(UUID id, Format format, int pages) {

		Report {
			if (pages < 1) {
				throw new IllegalArgumentException("pages must be 1 or more");
			}
		}

	}

	static class Handlers {

		JsonNode resize(Resize request) {
			return null;
		}

		JsonNode report(Report request) {
			return null;
		}

	}

}
