package io.warren.system;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import io.warren.testsupport.WarrenApi;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Real processes killed with SIGKILL: nothing that got a 202 is lost. */
class CrashSystemTests {

	@Test
	void everyTaskThatGot202SurvivesSigkillOfTheMasterOnH2AndRunsAfterTheRestart() throws Exception {
		try (WarrenCluster cluster = WarrenCluster.onH2()) {
			WarrenApi api = cluster.startMaster();
			ConcurrentLinkedQueue<String> accepted = new ConcurrentLinkedQueue<>();
			AtomicBoolean stop = new AtomicBoolean();
			// submit as fast as one client can, and kill the master in the middle of it
			CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
				int i = 0;
				while (!stop.get()) {
					try {
						WarrenApi.Answer answer = api.submit("echo", "{\"n\":" + i++ + "}");
						if (answer.status() == 202) {
							accepted.add(answer.body().get("id").asString());
						}
					}
					catch (RuntimeException ex) {
						// the master is gone: this request got no 202
					}
				}
			});
			await().until(() -> accepted.size() >= 300);
			cluster.master().kill();
			stop.set(true);
			load.get();
			assertThat(cluster.h2FileExists()).isTrue();

			WarrenApi restarted = cluster.startMaster();
			List<String> missing = new ArrayList<>();
			for (String id : accepted) {
				if (restarted.task(id) == null) {
					missing.add(id);
				}
			}
			assertThat(missing).as("tasks that got a 202 and are gone after SIGKILL of the master").isEmpty();

			cluster.startWorker("after-crash");
			await().atMost(Duration.ofMinutes(2))
				.until(() -> accepted.stream().allMatch((id) -> "SUCCEEDED".equals(restarted.status(id))));
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
