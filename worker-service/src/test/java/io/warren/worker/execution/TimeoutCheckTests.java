package io.warren.worker.execution;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.warren.worker.config.WorkerProperties;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class TimeoutCheckTests {

	@Test
	void defaultsPassAndTypesWithoutATimeoutAreListed() {
		WorkerProperties properties = properties(Duration.ofMinutes(10), Duration.ofMinutes(30),
				Map.of("report.monthly", new WorkerProperties.TypeSettings(null, null, null, Duration.ofMinutes(2))));

		assertThat(WorkerContainers.checkTimeouts(properties, List.of("echo", "report.monthly"), (type) -> 2))
			.containsExactly("echo");
	}

	@Test
	void aDeliveryThatCouldOutliveTheBrokersConsumerTimeoutRefusesTheStart() {
		WorkerProperties properties = properties(Duration.ofMinutes(10), Duration.ofMinutes(30), Map.of());

		// prefetch 3 x (10 min + 10 s) is more than 30 min
		assertThatIllegalStateException()
			.isThrownBy(() -> WorkerContainers.checkTimeouts(properties, List.of("image.resize"), (type) -> 3))
			.withMessageContaining("task type image.resize")
			.withMessageContaining("warren.worker.broker-consumer-timeout")
			.withMessageContaining("prefetch 3");
		assertThat(WorkerContainers.checkTimeouts(properties(Duration.ofMinutes(10), Duration.ofHours(1), Map.of()),
				List.of("image.resize"), (type) -> 3))
			.containsExactly("image.resize");
	}

	@Test
	void timeoutOfARunIsTheMessagesElseTheTypesClampedToTheMaximum() {
		WorkerProperties properties = properties(Duration.ofMinutes(10), Duration.ofMinutes(30),
				Map.of("report.monthly", new WorkerProperties.TypeSettings(null, null, null, Duration.ofMinutes(2))));

		assertThat(properties.timeoutOf("report.monthly", null)).isEqualTo(Duration.ofMinutes(2));
		assertThat(properties.timeoutOf("report.monthly", 5_000L)).isEqualTo(Duration.ofSeconds(5));
		assertThat(properties.timeoutOf("report.monthly", 3_600_000L)).isEqualTo(Duration.ofMinutes(10));
		assertThat(properties.timeoutOf("echo", null)).isEqualTo(Duration.ofMinutes(10));
	}

	private static WorkerProperties properties(Duration maxTimeout, Duration consumerTimeout,
			Map<String, WorkerProperties.TypeSettings> types) {
		return new WorkerProperties("", 4, Duration.ofSeconds(30), Duration.ofSeconds(25),
				new WorkerProperties.Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30)), types,
				new WorkerProperties.Builtins(true, ""), Duration.ofHours(1), Duration.ofSeconds(5),
				Duration.ofSeconds(5), maxTimeout, Duration.ofSeconds(10), consumerTimeout);
	}

}
