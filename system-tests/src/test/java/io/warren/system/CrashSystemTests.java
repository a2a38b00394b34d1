package io.warren.system;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import io.warren.testsupport.WarrenApi;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Real processes killed with SIGKILL: nothing that got a 202 is lost. */
class CrashSystemTests {

	@ParameterizedTest(name = "on {0}")
	@ValueSource(strings = { "h2", "postgresql" })
	void everyTaskThatGot202SurvivesSigkillOfTheMasterAndResultsSentWhileItWasDownAreRecorded(String store)
			throws Exception {
		try (WarrenCluster cluster = store.equals("h2") ? WarrenCluster.onH2() : WarrenCluster.onPostgres()) {
			WarrenApi api = cluster.startMaster();
			cluster.startWorker("steady");
			List<String> accepted = new ArrayList<>();
			// submit as fast as one client can, and kill the master in the middle of it,
			// while two slow tasks run: their results come while the master is down
			try (SubmitLoad load = SubmitLoad.start(api, "echo")) {
				await().until(() -> load.accepted().size() >= 300);
				List<String> slow = List.of(api.accepted("sleep", "{\"ms\":3000}"),
						api.accepted("sleep", "{\"ms\":3000}"));
				await().until(() -> slow.stream().allMatch((id) -> "RUNNING".equals(api.status(id))));
				cluster.master().kill();
				accepted.addAll(slow);
				accepted.addAll(load.stopAndGet());
			}
			if (store.equals("h2")) {
				assertThat(cluster.h2FileExists()).isTrue();
			}
			// the worker goes on with what was queued; its results wait for the master
			String replies = cluster.topology.replyQueue();
			await().until(
					() -> cluster.messagesIn(replies) > 0 && cluster.messagesIn(cluster.topology.taskQueue("echo")) == 0
							&& cluster.messagesIn(cluster.topology.taskQueue("sleep")) == 0);
			long waitingResults = cluster.messagesIn(replies);

			WarrenApi restarted = cluster.startMaster();
			List<String> missing = new ArrayList<>();
			for (String id : accepted) {
				if (restarted.task(id) == null) {
					missing.add(id);
				}
			}
			assertThat(missing).as("tasks that got a 202 and are gone after SIGKILL of the master").isEmpty();
			assertThat(waitingResults).as("replies produced while the master was down").isPositive();
			await().atMost(Duration.ofMinutes(2))
				.until(() -> accepted.stream().allMatch((id) -> "SUCCEEDED".equals(restarted.status(id))));
			await().until(() -> cluster.messagesIn(replies) == 0);
			// reply batches and group commits were in flight at the kill: a reply applied
			// again after the restart counts nothing twice
			assertThat(accepted.stream().map(restarted::task)).allSatisfy((task) -> {
				assertThat(task.get("deliveries").asInt()).isPositive();
				assertThat(task.get("duplicates").asInt()).isEqualTo(task.get("deliveries").asInt() - 1);
			});
		}
	}

	/**
	 * A client that retries every submission with the same {@code Idempotency-Key} until
	 * it gets an answer, while the master is SIGKILLed three times: requests stored but
	 * never answered are sent again, and each key still makes exactly one task.
	 */
	// minutes of kills: in scripts/faults.sh, out of ./mvnw -B verify
	@Tag("fault")
	@ParameterizedTest(name = "on {0}")
	@ValueSource(strings = { "h2", "postgresql" })
	void retryingClientWithIdempotencyKeysCreatesEachTaskOnceAcrossMasterSigkills(String store) throws Exception {
		int keys = 150;
		try (WarrenCluster cluster = store.equals("h2") ? WarrenCluster.onH2() : WarrenCluster.onPostgres()) {
			AtomicReference<WarrenApi> master = new AtomicReference<>(cluster.startMaster());
			cluster.startWorker("steady");
			Map<Integer, String> created = new ConcurrentHashMap<>();
			AtomicInteger retries = new AtomicInteger();
			CompletableFuture<Void> client = CompletableFuture.runAsync(() -> {
				long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
				for (int k = 0; k < keys && System.nanoTime() < deadline; k++) {
					while (!created.containsKey(k) && System.nanoTime() < deadline) {
						try {
							WarrenApi.Answer answer = master.get()
								.post("/api/v1/tasks", "{\"type\":\"echo\",\"payload\":{\"order\":" + k + "}}",
										"Idempotency-Key", "order-" + k);
							if (answer.status() == 202 || answer.status() == 200) {
								created.put(k, answer.body().get("id").asString());
								continue;
							}
						}
						catch (RuntimeException ex) {
							// no answer: the master is gone or going
						}
						retries.incrementAndGet();
						// a client's pause before it sends the same request again
						LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
					}
				}
			});
			for (int kill = 1; kill <= 3; kill++) {
				int before = kill * 30;
				await().atMost(Duration.ofMinutes(1)).until(() -> created.size() >= before);
				cluster.master().kill();
				master.set(cluster.startMaster());
			}
			client.get(5, TimeUnit.MINUTES);
			assertThat(created).hasSize(keys);
			assertThat(retries.get()).as("requests sent again after a kill").isPositive();

			WarrenApi api = master.get();
			JsonNode listed = api.get("/api/v1/tasks?type=echo&limit=500").body().get("items");
			assertThat(listed).as("one task per key, however often it was sent").hasSize(keys);
			assertThat(new HashSet<>(created.values())).hasSize(keys);
			await().atMost(Duration.ofMinutes(2))
				.until(() -> created.values().stream().allMatch((id) -> "SUCCEEDED".equals(api.status(id))));
		}
	}

	/**
	 * Delayed and retrying tasks wait in the store, not in the master's memory or in the
	 * broker: after a SIGKILL of the master, those due while it was down run as soon as
	 * it is back, and those due later run at their time. On the embedded store, the one
	 * whose crash durability is Warren's own concern; PostgreSQL is killed under due
	 * tasks in {@link #twoMastersOnPostgresPublishEachDueTaskOnceWhenOneIsKilled}.
	 */
	// minutes of kills: in scripts/faults.sh, out of ./mvnw -B verify
	@Tag("fault")
	@Test
	void delayedAndRetryingTasksSurviveASigkillOfTheMasterAndRunOnTime() {
		// a fixed backoff long enough for the kill to find the retries waiting
		String[] retry = { "warren.master.retry.initial-backoff=6s", "warren.master.retry.max-backoff=6s",
				"warren.master.retry.jitter=0" };
		try (WarrenCluster cluster = WarrenCluster.onH2()) {
			WarrenApi api = cluster.startMaster(retry);
			cluster.startWorker("steady");
			List<String> soon = new ArrayList<>();
			List<String> later = new ArrayList<>();
			List<String> retrying = new ArrayList<>();
			for (int i = 0; i < 5; i++) {
				soon.add(delayed(api, 6_000, i));
				later.add(delayed(api, 25_000, i));
				retrying.add(api.accepted("fail", "{\"succeedOnAttempt\":2}"));
			}
			await().until(() -> retrying.stream().allMatch((id) -> "RETRYING".equals(api.status(id))));
			assertThat(soon).allMatch((id) -> "SCHEDULED".equals(api.status(id)));

			cluster.master().kill();
			WarrenApi restarted = cluster.startMaster(retry);

			await().atMost(Duration.ofSeconds(30))
				.until(() -> soon.stream().allMatch((id) -> "SUCCEEDED".equals(restarted.status(id)))
						&& retrying.stream().allMatch((id) -> "SUCCEEDED".equals(restarted.status(id))));
			retrying.forEach((id) -> assertThat(restarted.task(id).get("attempts").asInt()).isEqualTo(2));
			assertThat(later).allMatch((id) -> "SCHEDULED".equals(restarted.status(id)));
			await().atMost(Duration.ofMinutes(1))
				.until(() -> later.stream().allMatch((id) -> "SUCCEEDED".equals(restarted.status(id))));
			for (String id : later) {
				JsonNode task = restarted.task(id);
				Instant runAt = Instant.parse(task.get("payload").get("runAt").asString());
				Instant started = Instant.parse(task.get("startedAt").asString());
				assertThat(started).as("not before its time").isAfterOrEqualTo(runAt);
				assertThat(started).as("on time (relay interval 1 s)").isBefore(runAt.plusSeconds(5));
				assertThat(task.get("deliveries").asInt()).isEqualTo(1);
			}
		}
	}

	/** Submits an echo task to run in {@code delayMs}, its due time in its payload. */
	private static String delayed(WarrenApi api, long delayMs, int i) {
		String runAt = Instant.now().plusMillis(delayMs).truncatedTo(ChronoUnit.MILLIS).toString();
		WarrenApi.Answer answer = api.post("/api/v1/tasks", "{\"type\":\"echo\",\"payload\":{\"runAt\":\"" + runAt
				+ "\",\"i\":" + i + "},\"runAt\":\"" + runAt + "\"}");
		assertThat(answer.status()).isEqualTo(202);
		return answer.body().get("id").asString();
	}

	/**
	 * Two masters on one PostgreSQL schema both run the scheduler: each due task is
	 * claimed by one of them and published once, also when one of them is SIGKILLed
	 * before the tasks are due and started again while they are published.
	 */
	// minutes of kills: in scripts/faults.sh, out of ./mvnw -B verify
	@Tag("fault")
	@Test
	void twoMastersOnPostgresPublishEachDueTaskOnceWhenOneIsKilled() {
		try (WarrenCluster cluster = WarrenCluster.onPostgres()) {
			WarrenApi first = cluster.startMaster();
			WarrenApi second = cluster.startSecondMaster();
			cluster.startWorker("steady");
			List<String> ids = new ArrayList<>();
			String runAt = Instant.now().plusSeconds(8).toString();
			for (int batch = 0; batch < 4; batch++) {
				StringBuilder tasks = new StringBuilder();
				for (int i = 0; i < 50; i++) {
					tasks.append((i > 0) ? "," : "")
						.append("{\"type\":\"echo\",\"payload\":" + i + ",\"runAt\":\"" + runAt + "\"}");
				}
				WarrenApi api = (batch % 2 == 0) ? first : second;
				api.post("/api/v1/tasks/batch", "{\"tasks\":[" + tasks + "]}")
					.body()
					.get("ids")
					.forEach((id) -> ids.add(id.asString()));
			}
			assertThat(ids).hasSize(200);
			cluster.master().kill();
			WarrenApi restarted = cluster.startMaster();

			await().atMost(Duration.ofMinutes(1))
				.until(() -> restarted.get("/api/v1/tasks?status=SUCCEEDED&type=echo&limit=500")
					.body()
					.get("items")
					.size() == 200);
			JsonNode items = second.get("/api/v1/tasks?type=echo&limit=500").body().get("items");
			assertThat(items).hasSize(200);
			assertThat(items).allSatisfy((task) -> {
				assertThat(task.get("status").asString()).isEqualTo("SUCCEEDED");
				assertThat(task.get("deliveries").asInt()).as("published and run once").isEqualTo(1);
				assertThat(task.get("duplicates").asInt()).isZero();
			});
		}
	}

	/**
	 * A task whose worker dies each time it runs it (here: SIGKILLed by the test while it
	 * runs) ends {@code FAILED}/{@code POISONED} after
	 * {@code warren.master.max-deliveries} started deliveries, counted by the master; its
	 * next delivery is acked without running, also on a classic queue, which has no
	 * delivery limit on RabbitMQ 3.10. Other tasks run meanwhile.
	 */
	// minutes of kills: in scripts/faults.sh, out of ./mvnw -B verify
	@Tag("fault")
	@ParameterizedTest(name = "on a {0} queue")
	@ValueSource(strings = { "quorum", "classic" })
	void taskWhoseWorkerDiesOnEveryDeliveryEndsPoisonedWhileOtherTasksRun(String queueType) {
		String queue = "warren.topology.queue-types.sleep=" + queueType;
		try (WarrenCluster cluster = WarrenCluster.onH2()) {
			WarrenApi api = cluster.startMaster(queue, "warren.master.max-deliveries=2");
			ServiceProcess worker = cluster.startWorker("victim-0", queue);
			String poison = api.accepted("sleep", "{\"ms\":120000}");
			for (int kill = 1; kill <= 2; kill++) {
				String holder = "victim-" + (kill - 1);
				await().atMost(Duration.ofMinutes(1)).until(() -> {
					JsonNode task = api.task(poison);
					return "RUNNING".equals(task.get("status").asString())
							&& holder.equals(task.get("workerId").asString());
				});
				worker.kill();
				String other = api.accepted("echo", "{\"kill\":" + kill + "}");
				worker = cluster.startWorker("victim-" + kill, queue);
				await().atMost(Duration.ofMinutes(1)).until(() -> "SUCCEEDED".equals(api.status(other)));
			}

			await().atMost(Duration.ofMinutes(1)).until(() -> "FAILED".equals(api.status(poison)));
			JsonNode task = api.task(poison);
			assertThat(task.get("error").get("code").asString()).isEqualTo("POISONED");
			assertThat(task.get("deliveries").asInt()).isEqualTo(2);
			assertThat(task.get("attempts").asInt()).isEqualTo(1);
			await().until(() -> cluster.messagesIn(cluster.topology.taskQueue("sleep")) == 0);
			String after = api.accepted("sleep", "{\"ms\":10}");
			await().until(() -> "SUCCEEDED".equals(api.status(after)));
			assertThat(api.task(poison).get("status").asString()).as("the poisoned task never ran again")
				.isEqualTo("FAILED");
		}
	}

	@Test
	void taskRunningOnAWorkerThatIsSigkilledCompletesOnAnotherAndTheDuplicateIsCounted() {
		try (WarrenCluster cluster = WarrenCluster.onH2()) {
			WarrenApi api = cluster.startMaster();
			ServiceProcess doomed = cluster.startWorker("doomed", "warren.worker.concurrency=1");
			String id = api.accepted("sleep", "{\"ms\":8000}");
			await().until(() -> {
				JsonNode task = api.task(id);
				return "RUNNING".equals(task.get("status").asString())
						&& "doomed".equals(task.get("workerId").asString());
			});

			doomed.kill();
			// the survivor's sleep is long too; what matters is that it gets the task
			// again
			cluster.startWorker("survivor", "warren.worker.concurrency=1");

			await().atMost(Duration.ofMinutes(2)).until(() -> "SUCCEEDED".equals(api.status(id)));
			JsonNode task = api.task(id);
			assertThat(task.get("workerId").asString()).isEqualTo("survivor");
			assertThat(task.get("deliveries").asInt()).isEqualTo(2);
			assertThat(task.get("duplicates").asInt()).isEqualTo(1);
			assertThat(task.get("result").get("sleptMs").asLong()).isEqualTo(8000);
		}
	}

}
