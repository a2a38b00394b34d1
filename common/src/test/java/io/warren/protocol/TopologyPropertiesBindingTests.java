package io.warren.protocol;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Per-type topology settings of task types whose names contain dots, written the ways an
 * operator would write them.
 */
class TopologyPropertiesBindingTests {

	@Test
	void dottedTypeKeysBindWithAndWithoutBrackets() {
		TopologyProperties properties = bind(Map.of("warren.topology.queue-types.[pdf.render]", "classic",
				"warren.topology.queue-types.image.resize", "classic"));

		assertThat(properties.queueTypeOf("pdf.render")).isEqualTo(QueueType.CLASSIC);
		assertThat(properties.queueTypeOf("image.resize")).isEqualTo(QueueType.CLASSIC);
		assertThat(properties.queueTypeOf("image")).isEqualTo(QueueType.QUORUM);
	}

	@Test
	void environmentVariableNamesADottedTypeForAQueueTypeSetting() {
		SystemEnvironmentPropertySource environment = new SystemEnvironmentPropertySource("systemEnvironment",
				Map.of("WARREN_TOPOLOGY_QUEUETYPES_IMAGE_RESIZE", "classic"));
		TopologyProperties properties = new Binder(ConfigurationPropertySources.from(environment))
			.bindOrCreate("warren.topology", TopologyProperties.class);

		assertThat(properties.queueTypes()).containsOnlyKeys("image.resize");
	}

	private static TopologyProperties bind(Map<String, String> values) {
		return new Binder(new MapConfigurationPropertySource(values)).bindOrCreate("warren.topology",
				TopologyProperties.class);
	}

}
