package io.warren.protocol;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.Binding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class TopologyTests {

	@Test
	void namesCarryThePrefixAndTheTopologyVersion() {
		Topology topology = new Topology(TopologyProperties.withPrefix("staging."));

		assertThat(topology.tasksExchange()).isEqualTo("staging.warren.v1.tasks");
		assertThat(topology.resultsExchange()).isEqualTo("staging.warren.v1.results");
		assertThat(topology.replyQueue()).isEqualTo("staging.warren.v1.replies");
		assertThat(topology.deadLetterExchange()).isEqualTo("staging.warren.v1.dead-letter");
		assertThat(topology.deadLetterQueue()).isEqualTo("staging.warren.v1.dead-letters");
		assertThat(topology.parkedQueue()).isEqualTo("staging.warren.v1.parked");
		assertThat(topology.taskQueue("image.resize")).isEqualTo("staging.warren.v1.task.image.resize");
	}

	@Test
	void quorumQueuesGetADeliveryLimitAndAtLeastOnceDeadLettering() {
		Topology topology = new Topology(TopologyProperties.withPrefix(""));

		assertThat(topology.taskQueueArguments("echo")).containsEntry("x-queue-type", "quorum")
			.containsEntry("x-delivery-limit", 20)
			.containsEntry("x-dead-letter-exchange", "warren.v1.dead-letter")
			.containsEntry("x-dead-letter-strategy", "at-least-once")
			.containsEntry("x-overflow", "reject-publish")
			.doesNotContainKey("x-max-priority");
	}

	@Test
	void classicQueuesGetPrioritiesAndDeadLettering() {
		Topology topology = new Topology(
				new TopologyProperties("", QueueType.QUORUM, Map.of("report", QueueType.CLASSIC), 20, 9));

		assertThat(topology.taskQueueArguments("report")).containsEntry("x-queue-type", "classic")
			.containsEntry("x-max-priority", 9)
			.containsEntry("x-dead-letter-exchange", "warren.v1.dead-letter")
			.doesNotContainKeys("x-delivery-limit", "x-dead-letter-strategy");
		assertThat(topology.taskQueueArguments("other")).containsEntry("x-queue-type", "quorum");
	}

	@Test
	void repliesQueueIsBoundWithKeysThatMatchDottedTypes() {
		Topology topology = new Topology(TopologyProperties.withPrefix(""));

		assertThat(topology.shared()
			.getDeclarablesByType(Binding.class)
			.stream()
			.filter((binding) -> binding.getDestination().equals(topology.replyQueue()))
			.map(Binding::getRoutingKey)).containsExactlyInAnyOrderElementsOf(Topology.REPLY_BINDING_KEYS);
		assertThat(Topology.REPLY_BINDING_KEYS).containsExactly("started.#", "result.#", "released.#");
	}

	@Test
	void protocolDocumentListsTheBindingKeysTheCodeDeclares() throws IOException {
		String protocol = Files.readString(Path.of("..", "docs", "protocol.md"));
		Matcher row = Pattern.compile("(?m)^\\| Bindings \\| replies queue ← results exchange, keys (.*?) \\|")
			.matcher(protocol);

		assertThat(row.find()).as("the replies bindings row of docs/protocol.md §2").isTrue();
		List<String> documented = new ArrayList<>();
		Matcher key = Pattern.compile("`([^`]+)`").matcher(row.group(1));
		while (key.find()) {
			documented.add(key.group(1));
		}
		assertThat(documented).containsExactlyElementsOf(Topology.REPLY_BINDING_KEYS);
	}

	@Test
	void invalidTaskTypesHaveNoQueue() {
		Topology topology = new Topology(TopologyProperties.withPrefix(""));

		assertThatIllegalArgumentException().isThrownBy(() -> topology.taskQueue("Upper"));
		assertThatIllegalArgumentException().isThrownBy(() -> topology.taskQueue("a/b"));
		assertThatIllegalArgumentException().isThrownBy(() -> topology.taskQueue("x".repeat(65)));
		assertThat(TaskTypes.isValid("x".repeat(64))).isTrue();
	}

}
