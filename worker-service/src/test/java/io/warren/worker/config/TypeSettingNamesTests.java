package io.warren.worker.config;

import io.warren.config.TypeSettingNames;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatNoException;

class TypeSettingNamesTests {

	private static final Map<String, Set<String>> SETTINGS = Map.of("enabled", Set.of(), "concurrency", Set.of(),
			"prefetch", Set.of(), "timeout", Set.of());

	@Test
	void bracketedDottedTypeBindsAndPasses() {
		StandardEnvironment environment = environment(Map.of("warren.worker.types.[image.resize].concurrency", "8",
				"warren.worker.types.echo.prefetch", "2"));

		assertThatNoException()
			.isThrownBy(() -> TypeSettingNames.requireBrackets(environment, "warren.worker.types", SETTINGS));
		WorkerProperties properties = Binder.get(environment).bindOrCreate("warren.worker", WorkerProperties.class);
		assertThat(properties.forType("image.resize").concurrency()).isEqualTo(8);
		assertThat(properties.forType("echo").prefetch()).isEqualTo(2);
	}

	@Test
	void dottedTypeWithoutBracketsStopsTheWorkerWithTheWayToWriteIt() {
		StandardEnvironment environment = environment(Map.of("warren.worker.types.image.resize.concurrency", "8"));

		assertThatIllegalStateException()
			.isThrownBy(() -> TypeSettingNames.requireBrackets(environment, "warren.worker.types", SETTINGS))
			.withMessageContaining("warren.worker.types.[image.resize].concurrency");
	}

	@Test
	void dottedTypeWithASettingOfOneLevelOnTheMasterIsCaughtAsWellAsOneOfTwo() {
		Map<String, Set<String>> master = Map.of("retry", Set.of("max-attempts", "initial-backoff"), "timeout",
				Set.of());
		assertThatIllegalStateException().isThrownBy(() -> TypeSettingNames.requireBrackets(
				environment(Map.of("warren.master.types.image.resize.timeout", "30s")), "warren.master.types", master))
			.withMessageContaining("warren.master.types.[image.resize].timeout");
		assertThatIllegalStateException()
			.isThrownBy(() -> TypeSettingNames.requireBrackets(
					environment(Map.of("warren.master.types.image.resize.retry.max-attempts", "5")),
					"warren.master.types", master))
			.withMessageContaining("warren.master.types.[image.resize].retry.max-attempts");
		// a dotted type whose second word is itself a setting's name
		assertThatIllegalStateException()
			.isThrownBy(() -> TypeSettingNames.requireBrackets(
					environment(Map.of("warren.master.types.image.retry.retry.max-attempts", "5")),
					"warren.master.types", master))
			.withMessageContaining("warren.master.types.[image.retry].retry.max-attempts");
		assertThatIllegalStateException().isThrownBy(() -> TypeSettingNames.requireBrackets(
				environment(Map.of("warren.worker.types.job.timeout.concurrency", "2")), "warren.worker.types",
				SETTINGS))
			.withMessageContaining("warren.worker.types.[job.timeout].concurrency");
		assertThatNoException()
			.isThrownBy(
					() -> TypeSettingNames.requireBrackets(
							environment(Map.of("warren.master.types.[image.resize].timeout", "30s",
									"warren.master.types.echo.retry.max-attempts", "2")),
							"warren.master.types", master));
	}

	@Test
	void environmentVariablesOfUndottedTypesPassWithDashedSubKeys() {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources()
			.addFirst(new SystemEnvironmentPropertySource("systemEnvironment", Map
				.of("WARREN_MASTER_TYPES_ECHO_RETRY_MAX_ATTEMPTS", "5", "WARREN_MASTER_TYPES_ECHO_TIMEOUT", "30s")));

		assertThatNoException().isThrownBy(() -> TypeSettingNames.requireBrackets(environment, "warren.master.types",
				Map.of("retry", Set.of("max-attempts"), "timeout", Set.of())));
	}

	@Test
	void environmentVariableForADottedTypeIsCaughtToo() {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources()
			.addFirst(new SystemEnvironmentPropertySource("systemEnvironment",
					Map.of("WARREN_WORKER_TYPES_IMAGE_RESIZE_CONCURRENCY", "8")));

		assertThatIllegalStateException()
			.isThrownBy(() -> TypeSettingNames.requireBrackets(environment, "warren.worker.types", SETTINGS))
			.withMessageContaining("SPRING_APPLICATION_JSON");
	}

	private static StandardEnvironment environment(Map<String, Object> values) {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources().addFirst(new MapPropertySource("test", values));
		return environment;
	}

}
