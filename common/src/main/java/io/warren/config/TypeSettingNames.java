package io.warren.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName.Form;
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
	 * Throws if a property under {@code prefix} (such as {@code warren.worker.types})
	 * does not name, right after its type, one of {@code settings} (each with its
	 * sub-keys: none for {@code <type>.concurrency}, {@code max-attempts}... for
	 * {@code <type>.retry.max-attempts}): a dotted type without brackets
	 * ({@code image.resize.concurrency}: {@code resize} is no setting) would bind as
	 * another type and be ignored.
	 */
	public static void requireBrackets(Environment environment, String prefix, Map<String, Set<String>> settings) {
		ConfigurationPropertyName types = ConfigurationPropertyName.of(prefix);
		int typeIndex = types.getNumberOfElements();
		List<ConfigurationPropertyName> wrong = new ArrayList<>();
		for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
			if (source instanceof IterableConfigurationPropertySource iterable) {
				iterable.stream()
					.filter(types::isAncestorOf)
					.filter((name) -> name.getNumberOfElements() > typeIndex + 1)
					.filter((name) -> !fits(name, typeIndex + 1, settings))
					.forEach(wrong::add);
			}
		}
		if (!wrong.isEmpty()) {
			ConfigurationPropertyName example = wrong.get(0);
			// the type is what comes before the first place where a setting fits
			int setting = typeIndex + 2;
			while (setting < example.getNumberOfElements() && !fits(example, setting, settings)) {
				setting++;
			}
			if (setting == example.getNumberOfElements()) {
				setting = typeIndex + 1;
			}
			List<String> type = new ArrayList<>();
			List<String> rest = new ArrayList<>();
			for (int i = typeIndex; i < example.getNumberOfElements(); i++) {
				(i < setting ? type : rest).add(example.getElement(i, Form.DASHED));
			}
			throw new IllegalStateException("per-type settings " + wrong.stream().map(Object::toString).toList()
					+ " name a task type with a dot; write it in brackets, for example " + prefix + ".["
					+ String.join(".", type) + "]." + String.join(".", rest)
					+ " (an environment variable cannot: use SPRING_APPLICATION_JSON, see docs/configuration.md)");
		}
	}

	/**
	 * Whether a known setting starts at {@code index}: a setting without sub-keys ends
	 * the name there; one with sub-keys is followed by one of them, in one element or
	 * split at its dashes (as an environment variable maps {@code MAX_ATTEMPTS}).
	 */
	private static boolean fits(ConfigurationPropertyName name, int index, Map<String, Set<String>> settings) {
		Set<String> subKeys = settings.get(name.getElement(index, Form.DASHED));
		if (subKeys == null) {
			return false;
		}
		if (subKeys.isEmpty()) {
			return name.getNumberOfElements() == index + 1;
		}
		List<String> rest = new ArrayList<>();
		for (int i = index + 1; i < name.getNumberOfElements(); i++) {
			rest.add(name.getElement(i, Form.DASHED));
		}
		return subKeys.contains(String.join("-", rest));
	}

}
