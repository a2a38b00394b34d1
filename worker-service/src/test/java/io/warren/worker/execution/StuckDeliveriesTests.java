package io.warren.worker.execution;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.warren.protocol.StartedNotice;
import org.junit.jupiter.api.Test;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code stuck} health check. */
class StuckDeliveriesTests {

	private final Instant now = Instant.parse("2026-12-01T12:00:00Z");

	private final RunningTasks running = new RunningTasks();

	private final StuckDeliveries check = new StuckDeliveries(this.running, Duration.ofMinutes(30),
			Clock.fixed(this.now, ZoneOffset.UTC));

	@Test
	void upWhileEveryDeliveryIsYoungerThanTheThreshold() {
		this.running.add(started("image.resize", this.now.minus(Duration.ofMinutes(29))));

		assertThat(this.check.health().getStatus()).isEqualTo(Status.UP);
	}

	@Test
	void downWithTheOldestTaskIdsOnceADeliveryRunsLongerThanTheThreshold() {
		StartedNotice oldest = started("pdf.render.a4", this.now.minus(Duration.ofHours(5)));
		StartedNotice old = started("image.resize", this.now.minus(Duration.ofMinutes(31)));
		this.running.add(old);
		this.running.add(started("image.resize", this.now.minusSeconds(5)));
		this.running.add(oldest);

		Health health = this.check.health();

		assertThat(health.getStatus()).isEqualTo(Status.DOWN);
		assertThat(health.getDetails()).containsEntry("stuck", 2).containsEntry("threshold", "PT30M");
		@SuppressWarnings("unchecked")
		List<Map<String, Object>> listed = (List<Map<String, Object>>) health.getDetails().get("oldest");
		assertThat(listed).extracting((entry) -> entry.get("taskId"))
			.containsExactly(oldest.taskId().toString(), old.taskId().toString());
		assertThat(listed.get(0)).containsEntry("type", "pdf.render.a4").containsEntry("runningFor", "PT5H");

		this.running.remove(oldest.deliveryId());
		this.running.remove(old.deliveryId());
		assertThat(this.check.health().getStatus()).isEqualTo(Status.UP);
	}

	private static StartedNotice started(String type, Instant at) {
		return new StartedNotice(UUID.randomUUID(), type, 1, UUID.randomUUID(), "w1", false, at);
	}

}
