package io.warren.config;

import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.Environment;

/**
 * Stops a service whose per-type settings name a dotted task type without brackets.
 * {@code warren.worker.types.image.resize.concurrency} would bind as a type called
 * {@code image} and the setting would be ignored without a word; the type must be written
 * {@code warren.worker.types.[image.resize].concurrency}. Environment variables cannot
 * express the brackets, so they are caught here too.
 */
public final class TypeSettingNames {

	private TypeSettingNames() {
	}

	/**
	 * Throws if a property under {@code prefix} (such as {@code warren.worker.types}) has
	 * more than {@code depth} levels after the type (1 for {@code <type>.concurrency}, 2
	 * for {@code <type>.retry.max-attempts}).
	 */
	public static void requireBrackets(Environment environment, String prefix, int depth) {
		ConfigurationPropertyName types = ConfigurationPropertyName.of(prefix);
		List<String> wrong = new ArrayList<>();
		for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
			if (source instanceof IterableConfigurationPropertySource iterable) {
				iterable.stream()
					.filter(types::isAncestorOf)
					.filter((name) -> name.getNumberOfElements() > types.getNumberOfElements() + 1 + depth)
					.map(ConfigurationPropertyName::toString)
					.forEach(wrong::add);
			}
		}
		if (!wrong.isEmpty()) {
			String example = wrong.get(0);
			String[] parts = example.substring(prefix.length() + 1).split("\\.");
			String type = String.join(".", java.util.Arrays.copyOfRange(parts, 0, parts.length - depth));
			String setting = String.join(".", java.util.Arrays.copyOfRange(parts, parts.length - depth, parts.length));
			throw new IllegalStateException("per-type settings " + wrong + " name a task type with a dot; write it in "
					+ "brackets, for example " + prefix + ".[" + type + "]." + setting
					+ " (an environment variable cannot: use SPRING_APPLICATION_JSON, see docs/configuration.md)");
		}
	}

}
