package io.warren.master.task;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import io.warren.testsupport.TestPostgres;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/** The task store's SQL on both databases, without the rest of the master. */
class TaskStoreIntegrationTests {

	private static final String SCHEMA = TestPostgres.createSchema();

	@AfterAll
	static void dropSchema() {
		TestPostgres.dropSchema(SCHEMA);
	}

	@Nested
	class OnH2 extends Contract {

		OnH2() {
			super(h2(), "h2", null);
		}

	}

	@Nested
	class OnPostgres extends Contract {

		OnPostgres() {
			super(postgres(), "postgresql", SCHEMA);
		}

	}

	abstract static class Contract {

		private final TaskStore store;

		private final TransactionTemplate transactions;

		private final Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);

		private final TaskIds ids = new TaskIds(java.time.Clock.systemUTC());

		private final boolean locksOnlyReturnedRows;

		private final JdbcTemplate jdbc;

		/** Rows an index that disagrees with its table lists first as overdue PENDING. */
		private final List<Task> staleListing = new ArrayList<>();

		/** Rows an index that disagrees with its table lists first as due. */
		private final List<Task> staleDue = new ArrayList<>();

		private final TaskStore lyingStore;

		Contract(DataSource dataSource, String vendor, String schema) {
			var flyway = Flyway.configure().dataSource(dataSource).locations("classpath:db/migration/" + vendor);
			if (schema != null) {
				flyway.schemas(schema);
			}
			flyway.load().migrate();
			new JdbcTemplate(dataSource).update("DELETE FROM tasks");
			new JdbcTemplate(dataSource).update("DELETE FROM task_types");
			new JdbcTemplate(dataSource).update("DELETE FROM idempotency_keys");
			new JdbcTemplate(dataSource).update("DELETE FROM task_attempts");
			this.store = new TaskStore(JdbcClient.create(dataSource), new JdbcTemplate(dataSource));
			this.transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
			this.locksOnlyReturnedRows = vendor.equals("postgresql");
			this.jdbc = new JdbcTemplate(dataSource);
			this.lyingStore = new TaskStore(JdbcClient.create(dataSource), this.jdbc) {
				@Override
				protected List<Task> listOverduePending(int limit, Instant now) {
					List<Task> listed = new ArrayList<>(Contract.this.staleListing);
					listed.addAll(super.listOverduePending(limit, now));
					return listed.subList(0, Math.min(limit, listed.size()));
				}

				@Override
				protected List<Task> lockDue(int limit, Instant now) {
					List<Task> listed = new ArrayList<>(Contract.this.staleDue);
					listed.addAll(super.lockDue(limit, now));
					return listed.subList(0, Math.min(limit, listed.size()));
				}
			};
		}

		@Test
		void purgeDeletesOnlyFinishedTasksOlderThanTheRetentionWithTheirHistory() {
			Instant old = this.now.minus(java.time.Duration.ofDays(40));
			TaskIds oldIds = new TaskIds(java.time.Clock.fixed(old, java.time.ZoneOffset.UTC));
			List<UUID> oldFinished = new ArrayList<>();
			for (int i = 0; i < 5; i++) {
				Task task = Task.submitted(oldIds.next(), "store-test", 0, "1", old);
				this.store.insertAll(List.of(task), old);
				oldFinished.add(task.id());
			}
			Task oldActive = Task.submitted(oldIds.next(), "store-test", 0, "1", old);
			Task recentFinished = Task.submitted(this.ids.next(), "store-test", 0, "1", this.now);
			this.store.insertAll(List.of(oldActive, recentFinished), old);
			this.jdbc.update("UPDATE tasks SET status = 'SUCCEEDED', updated_at = ? WHERE id IN (?, ?, ?, ?)",
					old.atOffset(java.time.ZoneOffset.UTC), oldFinished.get(0), oldFinished.get(1), oldFinished.get(2),
					oldFinished.get(3));
			this.jdbc.update("UPDATE tasks SET status = 'FAILED', updated_at = ? WHERE id = ?",
					old.atOffset(java.time.ZoneOffset.UTC), oldFinished.get(4));
			this.jdbc.update("UPDATE tasks SET status = 'FAILED' WHERE id = ?", recentFinished.id());
			this.jdbc.update("UPDATE tasks SET status = 'RUNNING', updated_at = ? WHERE id = ?",
					old.atOffset(java.time.ZoneOffset.UTC), oldActive.id());
			this.store.insertAttempts(List.of(new AttemptRecord(oldFinished.get(4), 1, TaskStatus.FAILED, "w", old, old,
					new io.warren.protocol.TaskError("X", "x", true), 1, 0)));
			io.micrometer.core.instrument.simple.SimpleMeterRegistry meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
			TaskPurge purge = new TaskPurge(this.store, this.transactions, java.time.Clock.systemUTC(),
					io.warren.master.config.MasterSettings.with("purge.batch-size=2"), meters);

			assertThat(purge.purgeExpired()).isEqualTo(5);

			assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM tasks WHERE type = 'store-test'", Integer.class))
				.isEqualTo(2);
			assertThat(this.store.find(oldActive.id())).as("an active task is never purged").isPresent();
			assertThat(this.store.find(recentFinished.id())).isPresent();
			assertThat(this.store.attemptsOf(oldFinished.get(4))).isEmpty();
			assertThat(meters.counter("warren.tasks.purged", "reason", "retention").count()).isEqualTo(5);
			assertThat(purge.purgeExpired()).isZero();
			assertThat(new TaskPurge(this.store, this.transactions, java.time.Clock.systemUTC(),
					io.warren.master.config.MasterSettings.with("retention=0"), meters)
				.purgeExpired()).as("retention 0 keeps everything").isZero();
			assertThat(this.store.find(recentFinished.id())).isPresent();
		}

		/**
		 * Started deliveries that never reported poison their task, but a delivery its
		 * worker handed back does not count, also when its release is applied after
		 * another worker's start (two reply consumers) and so moves nothing.
		 */
		@Test
		void lateReleaseKeepsItsDeliveryOutOfThePoisonCount() {
			UUID id = insertOverdue(1).get(0);
			TaskTransitions transitions = new TaskTransitions(this.store, new io.warren.protocol.WireFormat("test"),
					java.time.Clock.systemUTC(), (event) -> {
					}, io.warren.master.config.MasterSettings.with("max-deliveries=2"),
					new RetryPolicies(io.warren.master.config.MasterSettings.with(),
							new org.springframework.core.env.StandardEnvironment()));
			Instant at = Instant.now();
			UUID handedBack = UUID.randomUUID();
			UUID died = UUID.randomUUID();
			java.util.function.Function<UUID, io.warren.protocol.StartedNotice> started = (
					delivery) -> new io.warren.protocol.StartedNotice(id, "store-test", 1, delivery, "w-" + delivery,
							true, at);

			List<Applied> first = this.transactions.execute((s) -> transitions
				.apply(List.of(started.apply(handedBack), started.apply(died), new io.warren.protocol.ReleasedNotice(id,
						"store-test", 1, handedBack, "w-" + handedBack, true, at))));
			List<Applied> third = this.transactions
				.execute((s) -> transitions.apply(List.of(started.apply(UUID.randomUUID()))));
			List<Applied> fourth = this.transactions
				.execute((s) -> transitions.apply(List.of(started.apply(UUID.randomUUID()))));

			assertThat(first).as("the release comes after another worker's start: it moves nothing")
				.containsExactly(Applied.APPLIED, Applied.APPLIED, Applied.REFUSED);
			assertThat(third).as("one death and one hand-back: not poisoned").containsExactly(Applied.APPLIED);
			assertThat(fourth).as("two deaths").containsExactly(Applied.POISONED);
			Task task = this.store.find(id).orElseThrow();
			assertThat(task.status()).isEqualTo(TaskStatus.FAILED);
			assertThat(task.error().code()).isEqualTo(ReplyChecks.POISONED);
			assertThat(task.deliveries()).isEqualTo(3);
		}

		@Test
		void dueTasksAreClaimedOnceAndTheOthersWait() {
			Task due = Task.submitted(this.ids.next(), "store-test", 0, "1", this.now, this.now.plusSeconds(1), null);
			Task later = Task.submitted(this.ids.next(), "store-test", 0, "1", this.now, this.now.plusSeconds(3600), 3);
			this.store.insertAll(List.of(due, later), this.now);
			assertThat(due.status()).isEqualTo(TaskStatus.SCHEDULED);
			TaskTransitions transitions = new TaskTransitions(this.store, new io.warren.protocol.WireFormat("test"),
					java.time.Clock.offset(java.time.Clock.systemUTC(), java.time.Duration.ofSeconds(2)), (event) -> {
					}, io.warren.master.config.MasterSettings.with(),
					new RetryPolicies(io.warren.master.config.MasterSettings.with(),
							new org.springframework.core.env.StandardEnvironment()));

			assertThat(this.store.oldestPending()).as("a task waiting for its time is not late").isEmpty();

			List<Task> claimed = this.transactions.execute((s) -> transitions.due(10, Map.of()).pending());

			assertThat(claimed).extracting(Task::id).containsExactly(due.id());
			assertThat(claimed.get(0).status()).isEqualTo(TaskStatus.PENDING);
			assertThat(this.store.find(due.id()).orElseThrow().status()).isEqualTo(TaskStatus.PENDING);
			Task waiting = this.store.find(later.id()).orElseThrow();
			assertThat(waiting.status()).isEqualTo(TaskStatus.SCHEDULED);
			assertThat(waiting.dueAt()).isEqualTo(later.dueAt());
			assertThat(waiting.maxAttempts()).isEqualTo(3);
			List<Task> again = this.transactions.execute((s) -> transitions.due(10, Map.of()).pending());
			assertThat(again).isEmpty();
			assertThat(this.store.oldestPending()).as("late from when it became due, not from its submission")
				.hasValueSatisfying((since) -> assertThat(since).isAfter(this.now.plusSeconds(1)));

			// an index that lists a finished row as due: never published, reported
			Task finished = Task.submitted(this.ids.next(), "store-test", 0, "1", this.now, this.now.plusSeconds(1),
					null);
			this.store.insertAll(List.of(finished), this.now);
			Task listed = this.store.find(finished.id()).orElseThrow();
			this.jdbc.update("UPDATE tasks SET status = 'SUCCEEDED' WHERE id = ?", finished.id());
			this.staleDue.add(listed);
			TaskTransitions lying = new TaskTransitions(this.lyingStore, new io.warren.protocol.WireFormat("test"),
					java.time.Clock.offset(java.time.Clock.systemUTC(), java.time.Duration.ofSeconds(2)), (event) -> {
					}, io.warren.master.config.MasterSettings.with(),
					new RetryPolicies(io.warren.master.config.MasterSettings.with(),
							new org.springframework.core.env.StandardEnvironment()));
			TaskTransitions.Due withStale = this.transactions.execute((s) -> lying.due(10, Map.of()));
			assertThat(withStale.pending()).isEmpty();
			assertThat(withStale.mismatched()).extracting(Task::id).containsExactly(finished.id());
			assertThat(this.store.find(finished.id()).orElseThrow().status()).isEqualTo(TaskStatus.SUCCEEDED);
			TaskTransitions.Due skipped = this.transactions
				.execute((s) -> lying.due(10, Map.of(finished.id(), finished.attempt())));
			assertThat(skipped.mismatched()).isEmpty();
		}

		@Test
		void rowThatAnIndexListsAsOverduePendingButIsFinishedIsNeverClaimed() {
			List<UUID> made = insertOverdue(3);
			Task snapshot = this.store.find(made.get(0)).orElseThrow();
			finish(made.get(0));
			finish(made.get(1));
			// one stale entry whose row was read before it finished, one read after
			this.staleListing.add(snapshot);
			this.staleListing.add(this.store.find(made.get(1)).orElseThrow());

			TaskStore.Claim claim = this.transactions
				.execute((s) -> this.lyingStore.claimOverduePending(10, Map.of(), this.now, this.now.plusSeconds(60)));

			assertThat(claim.claimed()).extracting(Task::id).containsExactly(made.get(2));
			assertThat(claim.mismatched()).extracting(Task::id).containsExactlyInAnyOrder(made.get(0), made.get(1));
			assertThat(this.jdbc.queryForObject("SELECT SUM(publish_count) FROM tasks WHERE id IN (?, ?)",
					Integer.class, made.get(0), made.get(1)))
				.as("finished rows were not touched")
				.isZero();
			assertThat(this.store.find(made.get(0)).orElseThrow().status()).isEqualTo(TaskStatus.SUCCEEDED);
		}

		@Test
		void knownMismatchesDoNotCrowdOutRealOverdueTasks() {
			List<UUID> finished = insertOverdue(3);
			finished.forEach(this::finish);
			finished.forEach((id) -> this.staleListing.add(this.store.find(id).orElseThrow()));
			List<UUID> overdue = insertOverdue(2);

			Map<UUID, Integer> known = new HashMap<>();
			finished.forEach((id) -> known.put(id, 1));

			TaskStore.Claim claim = this.transactions
				.execute((s) -> this.lyingStore.claimOverduePending(2, known, this.now, this.now.plusSeconds(60)));

			assertThat(claim.claimed()).extracting(Task::id).containsExactlyInAnyOrderElementsOf(overdue);
			assertThat(claim.mismatched()).isEmpty();
		}

		@Test
		void laterAttemptOfATaskOnceListedWronglyIsClaimedAsUsual() {
			UUID id = insertOverdue(1).get(0);
			this.jdbc.update("UPDATE tasks SET attempt = 2 WHERE id = ?", id);

			TaskStore.Claim claim = this.transactions
				.execute((s) -> this.store.claimOverduePending(10, Map.of(id, 1), this.now, this.now.plusSeconds(60)));

			assertThat(claim.claimed()).extracting(Task::id).containsExactly(id);
		}

		private void finish(UUID id) {
			this.transactions.executeWithoutResult((s) -> {
				Task task = this.store.lockAll(List.of(id)).get(id);
				this.store.updateAll(List.of(task.finished(TaskStatus.SUCCEEDED, "1", null, "w", this.now, this.now)),
						this.now);
			});
		}

		@Test
		void twoRelaysClaimDisjointSetsOfOverdueTasks() throws Exception {
			List<UUID> pending = insertOverdue(10);
			CountDownLatch firstClaimed = new CountDownLatch(1);
			CountDownLatch releaseFirst = new CountDownLatch(1);

			CompletableFuture<List<Task>> first = CompletableFuture.supplyAsync(() -> this.transactions.execute((s) -> {
				List<Task> claimed = this.store.claimOverduePending(5, Map.of(), this.now, this.now.plusSeconds(60))
					.claimed();
				firstClaimed.countDown();
				await(releaseFirst);
				return claimed;
			}));
			assertThat(firstClaimed.await(30, TimeUnit.SECONDS)).isTrue();
			List<Task> second = this.transactions.execute(
					(s) -> this.store.claimOverduePending(10, Map.of(), this.now, this.now.plusSeconds(60)).claimed());
			releaseFirst.countDown();

			Set<UUID> firstIds = ids(first.get(30, TimeUnit.SECONDS));
			Set<UUID> secondIds = ids(second);
			// PostgreSQL hands the second relay the other five; H2 locks every row its
			// scan
			// touched, so there the second relay may get none. Neither ever gets a task
			// twice.
			assertThat(firstIds).hasSize(5);
			assertThat(Collections.disjoint(firstIds, secondIds)).as("first and second claims are disjoint").isTrue();
			if (this.locksOnlyReturnedRows) {
				assertThat(secondIds).hasSize(5);
			}
			List<Task> third = this.transactions.execute(
					(s) -> this.store.claimOverduePending(10, Map.of(), this.now, this.now.plusSeconds(60)).claimed());
			Set<UUID> thirdIds = ids(third);
			assertThat(Collections.disjoint(thirdIds, union(firstIds, secondIds))).as("third claim is disjoint")
				.isTrue();
			assertThat(firstIds.size() + secondIds.size() + thirdIds.size()).isEqualTo(10);
			assertThat(union(union(firstIds, secondIds), thirdIds)).containsExactlyInAnyOrderElementsOf(pending);
			List<Task> fourth = this.transactions.execute(
					(s) -> this.store.claimOverduePending(10, Map.of(), this.now, this.now.plusSeconds(60)).claimed());
			assertThat(fourth).as("claimed tasks are not claimed again before their next turn").isEmpty();
		}

		@Test
		void twoConsumersApplyingOverlappingBatchesNeitherDeadlockNorMiscount() throws Exception {
			List<UUID> made = insertOverdue(200);
			List<TasksChanged> announced = java.util.Collections.synchronizedList(new ArrayList<>());
			TaskTransitions transitions = new TaskTransitions(this.store, new io.warren.protocol.WireFormat("test"),
					java.time.Clock.systemUTC(), (event) -> announced.add((TasksChanged) event),
					io.warren.master.config.MasterSettings.with(),
					new RetryPolicies(io.warren.master.config.MasterSettings.with(),
							new org.springframework.core.env.StandardEnvironment()));
			// each consumer reports a started notice and a result of its own delivery for
			// every task, in its own order, in batches of 50
			List<List<io.warren.protocol.Reply>> first = batches(made, "w1", false);
			List<List<io.warren.protocol.Reply>> second = batches(made, "w2", true);

			CompletableFuture<Void> one = CompletableFuture.runAsync(() -> first
				.forEach((batch) -> this.transactions.executeWithoutResult((s) -> transitions.apply(batch))));
			CompletableFuture<Void> two = CompletableFuture.runAsync(() -> second
				.forEach((batch) -> this.transactions.executeWithoutResult((s) -> transitions.apply(batch))));
			CompletableFuture.allOf(one, two).get(2, TimeUnit.MINUTES);

			for (UUID id : made) {
				Task task = this.store.find(id).orElseThrow();
				assertThat(task.status()).isEqualTo(TaskStatus.SUCCEEDED);
				assertThat(task.deliveries()).isEqualTo(2);
				assertThat(task.duplicates()).isEqualTo(1);
			}
			int duplicates = announced.stream()
				.mapToInt((event) -> event.duplicates().getOrDefault("store-test", 0))
				.sum();
			assertThat(duplicates).isEqualTo(200);
			long finished = announced.stream()
				.flatMap((event) -> event.changes().stream())
				.filter((change) -> change.to() == TaskStatus.SUCCEEDED)
				.count();
			assertThat(finished).as("moves to SUCCEEDED announced: once per task").isEqualTo(200);
		}

		@Test
		void startedNoticeAndResultOfOneDeliveryInOneBatchAreOneWriteAndTwoAnnouncedMoves() {
			UUID id = insertOverdue(1).get(0);
			List<TasksChanged> announced = new ArrayList<>();
			TaskTransitions transitions = new TaskTransitions(this.store, new io.warren.protocol.WireFormat("test"),
					java.time.Clock.systemUTC(), (event) -> announced.add((TasksChanged) event),
					io.warren.master.config.MasterSettings.with(),
					new RetryPolicies(io.warren.master.config.MasterSettings.with(),
							new org.springframework.core.env.StandardEnvironment()));
			UUID delivery = UUID.randomUUID();
			Instant at = Instant.now();

			List<Applied> applied = this.transactions.execute((s) -> transitions.apply(List.of(
					new io.warren.protocol.StartedNotice(id, "store-test", 1, delivery, "w1", false, at),
					new io.warren.protocol.TaskResult(id, "store-test", 1, delivery, "w1", false,
							io.warren.protocol.Outcome.SUCCEEDED, null, null, at, at),
					new io.warren.protocol.TaskResult(UUID.randomUUID(), "store-test", 1, delivery, "w1", false,
							io.warren.protocol.Outcome.SUCCEEDED, null, null, at, at),
					new io.warren.protocol.StartedNotice(id, "store-test", 2, UUID.randomUUID(), "w1", false, at))));

			assertThat(applied).containsExactly(Applied.APPLIED, Applied.APPLIED, Applied.UNKNOWN_TASK, Applied.STALE);
			Task task = this.store.find(id).orElseThrow();
			assertThat(task.status()).isEqualTo(TaskStatus.SUCCEEDED);
			assertThat(task.deliveries()).isEqualTo(1);
			assertThat(announced).singleElement().satisfies((event) -> {
				assertThat(event.changes()).extracting(TaskChange::to)
					.containsExactly(TaskStatus.RUNNING, TaskStatus.SUCCEEDED);
				assertThat(event.stale()).containsEntry("started", 1);
			});
		}

		private static List<List<io.warren.protocol.Reply>> batches(List<UUID> ids, String worker, boolean reversed) {
			List<UUID> order = new ArrayList<>(ids);
			if (reversed) {
				Collections.reverse(order);
			}
			List<io.warren.protocol.Reply> replies = new ArrayList<>();
			for (UUID id : order) {
				UUID delivery = UUID.randomUUID();
				Instant at = Instant.now();
				replies.add(new io.warren.protocol.StartedNotice(id, "store-test", 1, delivery, worker, false, at));
				replies.add(new io.warren.protocol.TaskResult(id, "store-test", 1, delivery, worker, false,
						io.warren.protocol.Outcome.SUCCEEDED, null, null, at, at));
			}
			List<List<io.warren.protocol.Reply>> batches = new ArrayList<>();
			for (int from = 0; from < replies.size(); from += 50) {
				batches.add(replies.subList(from, Math.min(replies.size(), from + 50)));
			}
			return batches;
		}

		/**
		 * Values the store cannot hold as sent (PostgreSQL refuses NUL in text, both
		 * stores a worker id longer than its column): the task still ends, with what the
		 * store can hold, in one transaction with the rest of the batch.
		 */
		@Test
		void repliesWithValuesTheStoreCannotHoldAsSentStillFinishTheirTasks() {
			List<UUID> made = insertOverdue(5);
			TaskTransitions transitions = new TaskTransitions(this.store, new io.warren.protocol.WireFormat("test"),
					java.time.Clock.systemUTC(), (event) -> {
					}, io.warren.master.config.MasterSettings.with(),
					new RetryPolicies(io.warren.master.config.MasterSettings.with(),
							new org.springframework.core.env.StandardEnvironment()));
			Instant at = Instant.now();
			io.warren.protocol.TaskError nul = new io.warren.protocol.TaskError("HANDLER_ERROR",
					"bad byte \u0000 in \u00e9\u4e16 " + "z".repeat(12_000), false);

			List<Applied> applied = this.transactions.execute((s) -> transitions.apply(
					List.of(new io.warren.protocol.TaskResult(made.get(0), "store-test", 1, UUID.randomUUID(), "w1",
							false, io.warren.protocol.Outcome.FAILED, null, nul, at, at),
							new io.warren.protocol.StartedNotice(made.get(1), "store-test", 1, UUID.randomUUID(),
									"w".repeat(256), false, at),
							new io.warren.protocol.TaskResult(made.get(2), "store-test", 1, UUID.randomUUID(),
									"w\u0000", false, io.warren.protocol.Outcome.SUCCEEDED, null, null, at, at)),
					List.of(new RefusedResult(made.get(3), 1, "malformed: \u0000 not JSON"),
							new RefusedResult(made.get(4), 2, "of another attempt"))));

			assertThat(applied).containsExactly(Applied.APPLIED, Applied.INVALID, Applied.INVALID);
			Task cleaned = this.store.find(made.get(0)).orElseThrow();
			assertThat(cleaned.status()).isEqualTo(TaskStatus.FAILED);
			assertThat(cleaned.error().message()).startsWith("bad byte \uFFFD in \u00e9\u4e16 zzz").hasSize(10_000);
			assertThat(this.store.find(made.get(1)).orElseThrow().status())
				.as("an invalid started notice changes nothing")
				.isEqualTo(TaskStatus.PENDING);
			Task refused = this.store.find(made.get(2)).orElseThrow();
			assertThat(refused.status()).isEqualTo(TaskStatus.FAILED);
			assertThat(refused.error().code()).isEqualTo("REPLY_REFUSED");
			assertThat(refused.error().message()).contains("workerId contains the control character U+0000");
			Task undecodable = this.store.find(made.get(3)).orElseThrow();
			assertThat(undecodable.status()).isEqualTo(TaskStatus.FAILED);
			assertThat(undecodable.error().message())
				.isEqualTo("the worker's result was refused: malformed: \uFFFD not JSON");
			assertThat(this.store.find(made.get(4)).orElseThrow().status()).as("a refused result of another attempt")
				.isEqualTo(TaskStatus.PENDING);
			Applied deadLetter = this.transactions.execute((s) -> transitions.deadLettered(made.get(1), 1,
					new io.warren.protocol.TaskError("MALFORMED", "nul \u0000", false)));
			assertThat(deadLetter).isEqualTo(Applied.APPLIED);
			assertThat(this.store.find(made.get(1)).orElseThrow().error().message()).isEqualTo("nul \uFFFD");
		}

		@Test
		void idempotencyKeyIsStoredWithItsTasksOnceAndForgottenAfterTheWindow() {
			GroupCommit commits = new GroupCommit(this.store, this.transactions,
					io.warren.master.config.MasterSettings.with());
			Task first = Task.submitted(this.ids.next(), "store-test", 0, "1", this.now);
			Task second = Task.submitted(this.ids.next(), "store-test", 0, "1", this.now);
			IdempotencyKey key = new IdempotencyKey("", "k-\u00e9", "f".repeat(64), List.of(first.id()), this.now);
			GroupCommit.Submission one = new GroupCommit.Submission(List.of(first), Set.of(), this.now, key,
					new CompletableFuture<>());
			// the same key from a concurrent request, in the same group
			GroupCommit.Submission two = new GroupCommit.Submission(List.of(second), Set.of(), this.now,
					new IdempotencyKey("", "k-\u00e9", "f".repeat(64), List.of(second.id()), this.now),
					new CompletableFuture<>());

			commits.commit(List.of(one, two));

			assertThat(one.stored()).isCompleted();
			assertThat(two.stored()).failsWithin(java.time.Duration.ZERO)
				.withThrowableThat()
				.havingCause()
				.isInstanceOf(org.springframework.dao.DuplicateKeyException.class);
			assertThat(this.store.find(second.id())).as("the loser's rows are not stored").isEmpty();
			assertThat(this.store.findIdempotencyKey("", "k-\u00e9", this.now.minusSeconds(60)))
				.hasValueSatisfying((found) -> assertThat(found.taskIds()).containsExactly(first.id()));
			assertThat(this.store.findIdempotencyKey("other-scope", "k-\u00e9", this.now.minusSeconds(60))).isEmpty();
			// past the window: forgotten, and the key may be used again
			assertThat(this.store.findIdempotencyKey("", "k-\u00e9", this.now.plusSeconds(1))).isEmpty();
			this.transactions.executeWithoutResult((s) -> this.store.insertIdempotencyKey(key));
			assertThat(this.store.purgeIdempotencyKeys(this.now.plusSeconds(1))).isEqualTo(1);
		}

		@Test
		void groupThatTheStoreRefusesIsStoredSubmissionBySubmissionAndOnlyTheRefusedOneFails() {
			GroupCommit commits = new GroupCommit(this.store, this.transactions,
					io.warren.master.config.MasterSettings.with());
			Task fine = Task.submitted(this.ids.next(), "store-test", 0, "1", this.now);
			// a type longer than its column: refused by both stores
			Task refused = Task.submitted(this.ids.next(), "t".repeat(65), 0, "2", this.now);
			GroupCommit.Submission one = submission(fine);
			GroupCommit.Submission two = submission(refused);

			commits.commit(List.of(one, two));

			assertThat(one.stored()).isCompleted();
			assertThat(two.stored()).isCompletedExceptionally();
			assertThat(this.store.find(fine.id())).isPresent();
			assertThat(this.store.find(refused.id())).isEmpty();
		}

		@Test
		void submissionFoundStoredAsSubmittedAfterAnUnknownOutcomeCountsAsStoredAndAnotherRowDoesNot() {
			GroupCommit commits = new GroupCommit(this.store, this.transactions,
					io.warren.master.config.MasterSettings.with());
			Task landed = Task.submitted(this.ids.next(), "store-test", 0, "1", this.now);
			Task clash = Task.submitted(this.ids.next(), "store-test", 0, "2", this.now);
			// as if an earlier commit of the group had landed although it reported a
			// failure
			this.store.insertAll(List.of(landed, Task.submitted(clash.id(), "store-test", 0, "other", this.now)),
					this.now);
			GroupCommit.Submission again = submission(landed);
			GroupCommit.Submission other = submission(clash);

			commits.commit(List.of(again, other));

			assertThat(again.stored()).as("the same task, already stored").isCompleted();
			assertThat(other.stored()).as("another row with the same id").isCompletedExceptionally();
		}

		@Test
		void newTypeThatAnotherTransactionRegistersAtTheSameMomentDoesNotFailTheSubmission() throws Exception {
			GroupCommit commits = new GroupCommit(this.store, this.transactions,
					io.warren.master.config.MasterSettings.with());
			Task task = Task.submitted(this.ids.next(), "race.new-type", 0, "1", this.now);
			GroupCommit.Submission submission = new GroupCommit.Submission(List.of(task), Set.of("race.new-type"),
					this.now, new CompletableFuture<>());
			java.util.concurrent.CountDownLatch registered = new java.util.concurrent.CountDownLatch(1);
			java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
			// the other writer (or another master): registers the type, commits later
			CompletableFuture<Void> other = CompletableFuture
				.runAsync(() -> this.transactions.executeWithoutResult((status) -> {
					this.store.registerType("race.new-type");
					registered.countDown();
					try {
						release.await(30, java.util.concurrent.TimeUnit.SECONDS);
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
				}));
			assertThat(registered.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

			CompletableFuture<Void> committing = CompletableFuture.runAsync(() -> commits.commit(List.of(submission)));
			org.awaitility.Awaitility.await()
				.during(java.time.Duration.ofMillis(300))
				.atMost(java.time.Duration.ofSeconds(5))
				.until(() -> !submission.stored().isCompletedExceptionally());
			release.countDown();
			other.get(30, java.util.concurrent.TimeUnit.SECONDS);
			committing.get(30, java.util.concurrent.TimeUnit.SECONDS);

			assertThat(submission.stored()).isCompleted();
			assertThat(submission.stored().isCompletedExceptionally()).isFalse();
			assertThat(this.store.find(task.id())).isPresent();
			assertThat(this.store.types()).contains("race.new-type");
		}

		private GroupCommit.Submission submission(Task task) {
			return new GroupCommit.Submission(List.of(task), Set.of(), this.now, new CompletableFuture<>());
		}

		@Test
		void confirmMovesOnlyPendingTasksOfThatAttempt() {
			UUID pendingId = insertOverdue(1).get(0);
			UUID runningId = insertOverdue(1).get(0);
			this.transactions.executeWithoutResult((s) -> {
				Task running = this.store.lockAll(List.of(runningId)).get(runningId);
				this.store.updateAll(List.of(running.started(TaskStatus.RUNNING, "w", this.now)), this.now);
			});

			Set<TaskAttempt> moved = this.store
				.markConfirmed(List.of(new TaskAttempt(runningId, 1), new TaskAttempt(pendingId, 1)), this.now);
			assertThat(moved).containsExactly(new TaskAttempt(pendingId, 1));
			assertThat(this.store.markConfirmed(List.of(new TaskAttempt(pendingId, 2)), this.now)).isEmpty();

			assertThat(this.store.find(pendingId).orElseThrow().status()).isEqualTo(TaskStatus.QUEUED);
			assertThat(this.store.find(runningId).orElseThrow().status()).isEqualTo(TaskStatus.RUNNING);
		}

		@Test
		void deliveriesAreReadBackPerTaskAndAttempt() {
			UUID id = insertOverdue(1).get(0);
			UUID first = UUID.randomUUID();
			UUID second = UUID.randomUUID();
			this.store.insertDeliveries(
					List.of(new TaskStore.NewDelivery(new TaskStore.TaskDelivery(id, 1, first), "w", false, false),
							new TaskStore.NewDelivery(new TaskStore.TaskDelivery(id, 2, second), "w", true, false)),
					this.now);
			this.store.markReleased(List.of(new TaskStore.TaskDelivery(id, 2, second)));

			assertThat(this.store.deliveriesOf(List.of(id, UUID.randomUUID()))).containsExactlyInAnyOrderEntriesOf(Map
				.of(new TaskStore.TaskDelivery(id, 1, first), false, new TaskStore.TaskDelivery(id, 2, second), true));
		}

		@Test
		void listFiltersByStatusAndTypeNewestFirst() {
			List<UUID> made = insertOverdue(3);
			Task other = Task.submitted(this.ids.next(), "other", 0, "1", this.now);
			this.store.insertAll(List.of(other), this.now);
			this.store.markConfirmed(List.of(new TaskAttempt(made.get(1), 1)), this.now);

			assertThat(this.store.list(new TaskFilter(null, "store-test", null, null), null, 10)).extracting(Task::id)
				.containsExactly(made.get(2), made.get(1), made.get(0));
			assertThat(this.store.list(new TaskFilter(TaskStatus.QUEUED, null, null, null), null, 10))
				.extracting(Task::id)
				.containsExactly(made.get(1));
			assertThat(this.store.list(TaskFilter.ALL, made.get(2), 10)).extracting(Task::id)
				.containsExactly(made.get(1), made.get(0));
			this.store.registerType("store-test");
			this.store.registerType("other");
			this.store.registerType("other");
			assertThat(this.store.types()).containsExactlyInAnyOrder("store-test", "other");
		}

		private List<UUID> insertOverdue(int count) {
			List<UUID> made = new ArrayList<>();
			for (int i = 0; i < count; i++) {
				Task task = Task.submitted(this.ids.next(), "store-test", 0, "{\"i\":" + i + "}", this.now);
				this.store.insertAll(List.of(task), this.now.minusSeconds(1));
				made.add(task.id());
			}
			return made;
		}

		private static Set<UUID> ids(List<Task> tasks) {
			Set<UUID> ids = new HashSet<>();
			tasks.forEach((task) -> ids.add(task.id()));
			return ids;
		}

		private static Set<UUID> union(Set<UUID> a, Set<UUID> b) {
			Set<UUID> all = new HashSet<>(a);
			all.addAll(b);
			return all;
		}

		private static void await(CountDownLatch latch) {
			try {
				latch.await(30, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

	}

	static DataSource h2() {
		return new DriverManagerDataSource("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000",
				"sa", "");
	}

	static DataSource postgres() {
		TestPostgres.Endpoint server = TestPostgres.endpoint();
		return new DriverManagerDataSource(server.url() + "?currentSchema=" + SCHEMA, server.username(),
				server.password());
	}

}
