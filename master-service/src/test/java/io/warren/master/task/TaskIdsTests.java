package io.warren.master.task;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TaskIdsTests {

	@Test
	void idsAreVersion7WithTheTimeInTheFirst48Bits() {
		Instant now = Instant.parse("2026-11-21T10:00:00.123Z");
		UUID id = new TaskIds(Clock.fixed(now, ZoneOffset.UTC)).next();

		assertThat(id.version()).isEqualTo(7);
		assertThat(id.variant()).isEqualTo(2);
		assertThat(id.getMostSignificantBits() >>> 16).isEqualTo(now.toEpochMilli());
	}

	@Test
	void idsFromOneMasterIncreaseEvenWithinOneMillisecond() {
		TaskIds ids = new TaskIds(Clock.fixed(Instant.parse("2026-11-21T10:00:00Z"), ZoneOffset.UTC));
		List<String> made = new ArrayList<>();
		for (int i = 0; i < 10_000; i++) {
			made.add(ids.next().toString());
		}

		assertThat(made).isSorted().doesNotHaveDuplicates();
	}

}
