package io.warren.master.dispatch;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import io.warren.master.config.MasterSettings;
import io.warren.master.task.RetryPolicies;
import io.warren.master.task.Task;
import io.warren.master.task.TaskAttempt;
import io.warren.master.task.TaskChange;
import io.warren.master.task.TaskIds;
import io.warren.master.task.TaskStatus;
import io.warren.master.task.TaskStore;
import io.warren.master.task.TaskTransitions;
import io.warren.master.task.TasksChanged;
import io.warren.protocol.StartedNotice;
import io.warren.protocol.WireFormat;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Confirms are recorded after {@code confirm-record-delay}, in one write for all that
 * arrived meanwhile; a task started meanwhile is not written {@code QUEUED}; a stop
 * records at once.
 */
class ConfirmRecorderTests {

	private final DataSource dataSource = new DriverManagerDataSource(
			"jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000", "sa", "");

	private final TaskStore store = new TaskStore(JdbcClient.create(this.dataSource),
			new JdbcTemplate(this.dataSource));

	private final List<TasksChanged> announced = Collections.synchronizedList(new ArrayList<>());

	private final TaskTransitions transitions = new TaskTransitions(this.store, new WireFormat("test"),
			Clock.systemUTC(), (event) -> this.announced.add((TasksChanged) event), MasterSettings.with(),
			new RetryPolicies(MasterSettings.with(), new org.springframework.core.env.StandardEnvironment()));

	private final InFlight inFlight = new InFlight();

	private final TaskIds ids = new TaskIds(Clock.systemUTC());

	private ConfirmRecorder recorder;

	ConfirmRecorderTests() {
		Flyway.configure().dataSource(this.dataSource).locations("classpath:db/migration/h2").load().migrate();
	}

	@AfterEach
	void stop() {
		if (this.recorder != null) {
			this.recorder.stop();
		}
	}

	@Test
	void confirmsArriveTogetherAndAreWrittenOnceTheDelayHasPassed() {
		start("5s");
		List<Task> tasks = List.of(stored("image.resize"), stored("image.resize"), stored("pdf.render.a4"));
		tasks.forEach(this::confirm);

		// well inside the 5 s: nothing written yet, the tasks stay in flight
		assertThat(tasks).allSatisfy((task) -> {
			assertThat(status(task)).isEqualTo(TaskStatus.PENDING);
			assertThat(this.inFlight.contains(attempt(task))).isTrue();
		});
		await().atMost(java.time.Duration.ofSeconds(30))
			.untilAsserted(() -> assertThat(tasks)
				.allSatisfy((task) -> assertThat(status(task)).isEqualTo(TaskStatus.QUEUED)));
		assertThat(tasks).noneSatisfy((task) -> assertThat(this.inFlight.contains(attempt(task))).isTrue());
		assertThat(this.announced).as("one transaction for the three confirms").singleElement();
		assertThat(moves(TaskStatus.QUEUED)).hasSize(3);
	}

	@Test
	void aTaskStartedBeforeItsConfirmIsRecordedIsNeverWrittenQueued() {
		start("30s");
		Task started = stored("image.resize");
		Task waiting = stored("image.resize");
		confirm(started);
		confirm(waiting);
		this.transitions.apply(List.of(new StartedNotice(started.id(), started.type(), 1, UUID.randomUUID(),
				"worker-\u00e9\u4e16-1", false, Instant.now())));

		this.recorder.stop();

		assertThat(status(started)).isEqualTo(TaskStatus.RUNNING);
		assertThat(status(waiting)).as("a stop records what it holds at once").isEqualTo(TaskStatus.QUEUED);
		assertThat(moves(TaskStatus.QUEUED)).extracting(TaskChange::taskId).containsExactly(waiting.id());
		assertThat(moves(TaskStatus.RUNNING)).singleElement()
			.satisfies((change) -> assertThat(change.from()).isEqualTo(TaskStatus.PENDING));
		assertThat(this.inFlight.contains(attempt(started))).isFalse();
		assertThat(this.inFlight.contains(attempt(waiting))).isFalse();
	}

	private void start(String delay) {
		this.recorder = new ConfirmRecorder(this.transitions, this.inFlight,
				MasterSettings.with("relay.confirm-timeout=60s", "relay.confirm-record-delay=" + delay));
		this.recorder.start();
	}

	private Task stored(String type) {
		Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
		Task task = Task.submitted(this.ids.next(), type, 0, "{\"path\":\"a b/\u00e9.png\"}", now);
		this.store.insertAll(List.of(task), now.plusSeconds(10));
		return task;
	}

	private void confirm(Task task) {
		this.inFlight.add(attempt(task));
		this.recorder.confirmed(task);
	}

	private TaskStatus status(Task task) {
		return this.store.find(task.id()).orElseThrow().status();
	}

	private List<TaskChange> moves(TaskStatus to) {
		synchronized (this.announced) {
			return this.announced.stream()
				.flatMap((event) -> event.changes().stream())
				.filter((change) -> change.to() == to)
				.toList();
		}
	}

	private static TaskAttempt attempt(Task task) {
		return new TaskAttempt(task.id(), task.attempt());
	}

}
