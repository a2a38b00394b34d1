package io.warren.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/configuration.md stays true: every {@code warren.*} property the code binds (from
 * the configuration metadata the build generates) is documented with its default.
 */
class ConfigurationDocsTests {

	private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

	@ParameterizedTest
	@ValueSource(strings = { "common", "master-service", "worker-service" })
	void everyPropertyIsDocumentedWithItsDefault(String module) throws IOException {
		Path metadata = ROOT.resolve(module + "/target/classes/META-INF/spring-configuration-metadata.json");
		JsonNode properties = JsonMapper.builder().build().readTree(metadata.toFile()).get("properties");
		List<String> docs = Files.readAllLines(ROOT.resolve("docs/configuration.md"));

		List<String> problems = new ArrayList<>();
		for (JsonNode property : properties) {
			String name = property.get("name").asString();
			String pattern = property.get("type").asString().startsWith("java.util.Map") ? name + ".<" : name + "`";
			String row = docs.stream().filter((line) -> line.startsWith("| `" + pattern)).findFirst().orElse(null);
			if (row == null) {
				problems.add(name + " is not documented");
				continue;
			}
			JsonNode defaultValue = property.get("defaultValue");
			// a list's default is documented as it is written in a property:
			// comma-separated
			String expected = (defaultValue != null) ? defaultValue.asString() : "";
			if (property.get("type").asString().startsWith("java.util.List") && expected.startsWith("[")
					&& expected.endsWith("]")) {
				expected = expected.substring(1, expected.length() - 1).replace(", ", ",");
			}
			if (!expected.isEmpty() && !row.toLowerCase().contains("`" + expected.toLowerCase() + "`")) {
				problems.add(name + " is documented without its default " + expected);
			}
		}
		assertThat(problems).isEmpty();
	}

}
