package io.warren.system;

import java.time.Duration;
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
