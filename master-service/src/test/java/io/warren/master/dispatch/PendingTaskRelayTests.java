package io.warren.master.dispatch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import javax.sql.DataSource;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.warren.master.config.MasterProperties;
import io.warren.master.config.MasterSettings;
import io.warren.master.task.RetryPolicies;
import io.warren.master.task.Task;
import io.warren.master.task.TaskStatus;
import io.warren.master.task.TaskStore;
import io.warren.master.task.TaskTransitions;
import io.warren.protocol.Topology;
import io.warren.protocol.TopologyProperties;
import io.warren.protocol.WireFormat;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

/**
 * The relay on an embedded database whose status index lists finished tasks as overdue
 * {@code PENDING} (as H2's did after a crash); the broker side is a mocked template, the
 * publisher's confirms are not the point here.
 */
class PendingTaskRelayTests {

	private final Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);

	private final DataSource dataSource = new DriverManagerDataSource(
			"jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "");

	private final List<Task> staleListing = new ArrayList<>();

	private final TaskStore store = new TaskStore(JdbcClient.create(this.dataSource),
			new JdbcTemplate(this.dataSource)) {
		@Override
		protected List<Task> listOverduePending(int limit, Instant at) {
			List<Task> listed = new ArrayList<>(PendingTaskRelayTests.this.staleListing);
			listed.addAll(super.listOverduePending(limit, at));
			return listed.subList(0, Math.min(limit, listed.size()));
		}
	};

	private final TransactionTemplate transactions = new TransactionTemplate(
			new DataSourceTransactionManager(this.dataSource));

	private final RabbitTemplate template = mock(RabbitTemplate.class);

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	private final StoreMismatches mismatches = new StoreMismatches(this.meters);

	private final PendingTaskRelay relay;

	PendingTaskRelayTests() {
		Flyway.configure().dataSource(this.dataSource).locations("classpath:db/migration/h2").load().migrate();
		Clock clock = Clock.fixed(this.now, ZoneOffset.UTC);
		MasterProperties properties = MasterSettings.with("relay.batch-size=2");
		TaskPublisher publisher = new TaskPublisher(this.template, mock(TaskQueues.class),
				new Topology(TopologyProperties.withPrefix("")), new WireFormat("test"), mock(ConfirmRecorder.class),
				this.meters, clock, properties, new InFlight());
		this.relay = new PendingTaskRelay(this.store, publisher, this.transactions, new ThreadPoolTaskScheduler(),
				clock, properties, this.meters, this.mismatches,
				new TaskTransitions(this.store, new WireFormat("test"), clock, (event) -> {
				}, properties, new RetryPolicies(properties, new org.springframework.core.env.StandardEnvironment())));
	}

	@Test
	void finishedTaskThatTheIndexListsAsPendingIsNotPublishedIsCountedOnceAndCrowdsOutNothing() {
		List<Task> finished = List.of(insertOverdue("finished-1"), insertOverdue("finished-2"));
		finished.forEach((task) -> {
			finish(task);
			this.staleListing.add(task);
		});
		Task overdue = insertOverdue("overdue");

		// a batch of 2: both places go to the stale rows, found out and skipped; the pass
		// goes on (2), then claims the real one (1), then finds nothing to do (0)
		assertThat(this.relay.relayOnce()).isEqualTo(2);
		assertThat(this.relay.relayOnce()).isEqualTo(1);
		assertThat(this.relay.relayOnce()).isZero();

		verify(this.template, times(1)).send(anyString(), eq("overdue"), any(Message.class),
				any(CorrelationData.class));
		verify(this.template, never()).send(anyString(), eq("finished-1"), any(Message.class),
				any(CorrelationData.class));
		assertThat(this.mismatches.count()).isEqualTo(2);
		assertThat(this.meters.get("warren.store.mismatches").counter().count()).isEqualTo(2);
		assertThat(this.store.find(overdue.id()).orElseThrow().status()).isEqualTo(TaskStatus.PENDING);
		for (Task task : finished) {
			assertThat(this.store.find(task.id()).orElseThrow().status()).isEqualTo(TaskStatus.SUCCEEDED);
		}
	}

	@Test
	void waitingTaskIsPublishedWhenDueOnceAndIsNotCountedAsRepublished() {
		Task due = Task.submitted(UUID.randomUUID(), "due", 0, "1", this.now.minusSeconds(10), this.now.minusSeconds(1),
				null);
		Task later = Task.submitted(UUID.randomUUID(), "later", 0, "1", this.now.minusSeconds(10),
				this.now.plusSeconds(60), null);
		this.store.insertAll(List.of(due, later), this.now);

		assertThat(this.relay.relayOnce()).isEqualTo(1);
		assertThat(this.relay.relayOnce()).isZero();

		verify(this.template, times(1)).send(anyString(), eq("due"), any(Message.class), any(CorrelationData.class));
		verify(this.template, never()).send(anyString(), eq("later"), any(Message.class), any(CorrelationData.class));
		assertThat(this.store.find(due.id()).orElseThrow().status()).isEqualTo(TaskStatus.PENDING);
		assertThat(this.store.find(later.id()).orElseThrow().status()).isEqualTo(TaskStatus.SCHEDULED);
		assertThat(this.meters.get("warren.relay.republished").counter().count()).isZero();
	}

	private Task insertOverdue(String type) {
		Task task = Task.submitted(UUID.randomUUID(), type, 0, "1", this.now.minusSeconds(30));
		this.store.insertAll(List.of(task), this.now.minusSeconds(20));
		return task;
	}

	private void finish(Task task) {
		this.transactions.executeWithoutResult((status) -> {
			Task locked = this.store.lockAll(List.of(task.id())).get(task.id());
			this.store.updateAll(List.of(locked.finished(TaskStatus.SUCCEEDED, "1", null, "w", this.now, this.now)),
					this.now);
		});
	}

}
