package io.warren.worker.config;

import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.Environment;

/**
 * Stops a worker whose per-type settings name a dotted task type without brackets.
 * {@code warren.worker.types.image.resize.concurrency} would bind as a type called
 * {@code image} and the setting would be ignored without a word; the type must be written
 * {@code warren.worker.types.[image.resize].concurrency}. Environment variables cannot
 * express the brackets, so they are caught here too.
 */
final class TypeSettingNames {

	private static final ConfigurationPropertyName TYPES = ConfigurationPropertyName.of("warren.worker.types");

	private TypeSettingNames() {
	}

	static void requireBrackets(Environment environment) {
		List<String> wrong = new ArrayList<>();
		for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
			if (source instanceof IterableConfigurationPropertySource iterable) {
				iterable.stream()
					.filter(TYPES::isAncestorOf)
					.filter((name) -> name.getNumberOfElements() > TYPES.getNumberOfElements() + 2)
					.map(ConfigurationPropertyName::toString)
					.forEach(wrong::add);
			}
		}
		if (!wrong.isEmpty()) {
			String example = wrong.get(0);
			String setting = example.substring(example.lastIndexOf('.') + 1);
			String type = example.substring(TYPES.toString().length() + 1, example.lastIndexOf('.'));
			throw new IllegalStateException("per-type settings " + wrong + " name a task type with a dot; write it in "
					+ "brackets, for example warren.worker.types.[" + type + "]." + setting
					+ " (an environment variable cannot: use SPRING_APPLICATION_JSON, see docs/configuration.md)");
		}
	}

}
