package io.warren.master.monitoring;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import javax.sql.DataSource;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.warren.master.config.MasterProperties;
import io.warren.master.config.MasterSettings;
import io.warren.master.dispatch.StoreMismatches;
import io.warren.master.task.Task;
import io.warren.master.task.TaskStatus;
import io.warren.master.task.TaskStore;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import static org.assertj.core.api.Assertions.assertThat;

class RelayHealthIndicatorTests {

	private final DataSource dataSource = new DriverManagerDataSource(
			"jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "");

	private final StoreMismatches mismatches = new StoreMismatches(new SimpleMeterRegistry());

	private final RelayHealthIndicator health;

	RelayHealthIndicatorTests() {
		Flyway.configure().dataSource(this.dataSource).locations("classpath:db/migration/h2").load().migrate();
		TaskStore store = new TaskStore(JdbcClient.create(this.dataSource), new JdbcTemplate(this.dataSource));
		MasterProperties properties = MasterSettings.with();
		this.health = new RelayHealthIndicator(store, Clock.systemUTC(), properties, this.mismatches);
	}

	@Test
	void upWithNothingPendingAndDownOnceTheStoreListedARowWrongly() {
		assertThat(this.health.health().getStatus()).isEqualTo(Status.UP);

		Task finished = Task.submitted(UUID.randomUUID(), "echo", 0, "1", Instant.now())
			.finished(TaskStatus.SUCCEEDED, "1", null, "w", Instant.now(), Instant.now());
		this.mismatches.report(List.of(finished), "overdue PENDING");

		Health health = this.health.health();
		assertThat(health.getStatus()).isEqualTo(Status.DOWN);
		assertThat(health.getDetails()).containsEntry("storeMismatches", 1);
	}

}
