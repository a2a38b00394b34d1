package io.warren.master.dispatch;

import java.time.Clock;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(OutputCaptureExtension.class)
class PublishOutageTests {

	private final PublishOutage outage = new PublishOutage(Clock.systemUTC());

	@Test
	void anOutageIsOneWarningAndOneLineWithTheCountNotALinePerTask(CapturedOutput output) {
		for (int i = 0; i < 1_551; i++) {
			this.outage.failed(UUID.randomUUID(), "Connection refused");
		}
		assertThat(this.outage.failuresSinceLastSuccess()).isEqualTo(1_551);

		this.outage.succeeded();
		this.outage.succeeded();

		assertThat(output.getOut().lines().filter((line) -> line.contains("WARN"))).hasSize(1);
		assertThat(output.getOut()).containsOnlyOnce("publishing tasks fails")
			.containsOnlyOnce("1551 publish(es) failed meanwhile");
		assertThat(this.outage.failuresSinceLastSuccess()).isZero();
	}

}
