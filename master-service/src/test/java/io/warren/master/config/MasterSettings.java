package io.warren.master.config;

import java.util.HashMap;
import java.util.Map;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** {@link MasterProperties} as Spring binds them, for tests that build parts by hand. */
public final class MasterSettings {

	private MasterSettings() {
	}

	/**
	 * The defaults, with {@code name=value} overrides relative to {@code warren.master}.
	 */
	public static MasterProperties with(String... overrides) {
		Map<String, String> values = new HashMap<>();
		for (String override : overrides) {
			String[] pair = override.split("=", 2);
			values.put("warren.master." + pair[0], pair[1]);
		}
		return new Binder(new MapConfigurationPropertySource(values)).bindOrCreate("warren.master",
				MasterProperties.class);
	}

}
