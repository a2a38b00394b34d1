package io.warren.worker.handler;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.warren.protocol.WireFormat;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

class HandlerRegistryTests {

	private final WireFormat wire = new WireFormat("test");

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withBean(WireFormat.class, () -> this.wire)
		.withBean(HandlerRegistry.class);

	@Test
	void findsHandlerMethodsOnAnyBeanAndBindsRecordPayloads() {
		this.runner.withBean(ImageHandlers.class).run((context) -> {
			HandlerRegistry registry = context.getBean(HandlerRegistry.class);

			assertThat(registry.types()).containsExactly("image.resize", "image.tags");
			JsonNode result = registry.find("image.resize")
				.orElseThrow()
				.invoke(this.wire.json().readTree("{\"width\":40,\"height\":30}"), context(("image.resize")));
			assertThat(result.get("area").asInt()).isEqualTo(1200);
			JsonNode tags = registry.find("image.tags")
				.orElseThrow()
				.invoke(this.wire.json().readTree("[\"a\",\"b\"]"), context("image.tags"));
			assertThat(tags.size()).isEqualTo(2);
		});
	}

	@Test
	void twoHandlersForOneTypeStopTheWorker() {
		this.runner.withBean(ImageHandlers.class).withBean(DuplicateHandler.class).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasMessageContaining("task type 'image.resize' has two handlers");
		});
	}

	@Test
	void invalidTypeNameStopsTheWorker() {
		this.runner.withBean(BadName.class).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasMessageContaining("must match");
		});
	}

	@Test
	void builtInHandlersAreOnByDefaultAndCanBeSwitchedOff() {
		this.runner.withUserConfiguration(BuiltInHandlers.class)
			.run((context) -> assertThat(context.getBean(HandlerRegistry.class).types()).containsExactly("echo", "fail",
					"sleep"));
		this.runner.withUserConfiguration(BuiltInHandlers.class)
			.withPropertyValues("warren.worker.builtins.enabled=false")
			.run((context) -> assertThat(context.getBean(HandlerRegistry.class).types()).isEmpty());
	}

	@Test
	void builtInHandlersTakeTheConfiguredPrefixSoThatTheirTypesCanHaveDots() {
		this.runner.withUserConfiguration(BuiltInHandlers.class)
			.withPropertyValues("warren.worker.builtins.prefix=demo.")
			.run((context) -> assertThat(context.getBean(HandlerRegistry.class).types()).containsExactly("demo.echo",
					"demo.fail", "demo.sleep"));
	}

	@Test
	void placeholderThatResolvesToAnInvalidTypeStopsTheWorker() {
		this.runner.withUserConfiguration(BuiltInHandlers.class)
			.withPropertyValues("warren.worker.builtins.prefix=Demo.")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure())
					.hasMessageMatching("@TaskHandler type 'Demo\\.[a-z]+' must match .*");
			});
	}

	private static TaskContext context(String type) {
		return new TaskContext(UUID.randomUUID(), type, 1, UUID.randomUUID(), false, 0, java.time.Instant.now(), "w");
	}

	record Size(int width, int height) {
	}

	static class ImageHandlers {

		@TaskHandler("image.resize")
		Map<String, Integer> resize(Size size) {
			return Map.of("area", size.width() * size.height());
		}

		@TaskHandler("image.tags")
		List<String> tags(TaskContext context, List<String> tags) {
			return tags;
		}

	}

	static class DuplicateHandler {

		@TaskHandler("image.resize")
		void resize(JsonNode payload) {
		}

	}

	static class BadName {

		@TaskHandler("Image Resize")
		void resize(JsonNode payload) {
		}

	}

}
