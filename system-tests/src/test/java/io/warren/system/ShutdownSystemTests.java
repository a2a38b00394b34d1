package io.warren.system;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import io.warren.testsupport.WarrenApi;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Real processes stopped with SIGTERM: a clean stop loses nothing and leaves nothing
 * RUNNING.
 */
class ShutdownSystemTests {

	/** What the JVM exits with after SIGTERM once its shutdown hooks have run. */
	private static final int SIGTERM_EXIT = 143;

	@Test
	void workerStoppedWithSigtermFinishesItsRunningTasksAndTakesNoMore() {
		try (WarrenCluster cluster = WarrenCluster.onH2()) {
			WarrenApi api = cluster.startMaster();
			ServiceProcess draining = cluster.startWorker("draining", "warren.worker.concurrency=2",
					"warren.worker.drain-timeout=30s");
			List<String> ids = IntStream.range(0, 4).mapToObj((i) -> api.accepted("sleep", "{\"ms\":3000}")).toList();
			await().until(() -> ids.stream().filter((id) -> "RUNNING".equals(api.status(id))).count() == 2);

			draining.stop();

			assertThat(draining.exitCode()).isEqualTo(SIGTERM_EXIT);
			// the results were confirmed before the worker exited; the master applies
			// them
			// from the replies queue
			await().until(() -> ids.stream().filter((id) -> "SUCCEEDED".equals(api.status(id))).count() == 2);
			List<JsonNode> tasks = ids.stream().map(api::task).toList();
			assertThat(tasks).filteredOn((task) -> "SUCCEEDED".equals(task.get("status").asString()))
				.hasSize(2)
				.allSatisfy((task) -> {
					assertThat(task.get("workerId").asString()).isEqualTo("draining");
					assertThat(task.get("deliveries").asInt()).isEqualTo(1);
				});
			assertThat(tasks).filteredOn((task) -> "QUEUED".equals(task.get("status").asString()))
				.as("tasks the stopping worker did not start")
				.hasSize(2);

			cluster.startWorker("next");
			await().until(() -> ids.stream().allMatch((id) -> "SUCCEEDED".equals(api.status(id))));
			assertThat(ids.stream().map(api::task)).allSatisfy((task) -> {
				assertThat(task.get("deliveries").asInt()).isEqualTo(1);
				assertThat(task.get("duplicates").asInt()).isZero();
			});
		}
	}

	@Test
	void taskOutlastingTheDrainTimeIsHandedBackAsQueuedAndRunsOnAnotherWorker() {
		try (WarrenCluster cluster = WarrenCluster.onH2()) {
			WarrenApi api = cluster.startMaster();
			ServiceProcess impatient = cluster.startWorker("impatient", "warren.worker.concurrency=1",
					"warren.worker.drain-timeout=1s");
			String id = api.accepted("sleep", "{\"ms\":6000}");
			await().until(() -> "RUNNING".equals(api.status(id)));

			impatient.stop();

			assertThat(impatient.exitCode()).isEqualTo(SIGTERM_EXIT);
			assertThat(impatient.log()).contains("handing it back");
			await().until(() -> "QUEUED".equals(api.status(id)));
			assertThat(api.task(id).get("workerId").isNull()).isTrue();

			cluster.startWorker("patient");
			await().atMost(Duration.ofMinutes(1)).until(() -> "SUCCEEDED".equals(api.status(id)));
			JsonNode task = api.task(id);
			assertThat(task.get("workerId").asString()).isEqualTo("patient");
			assertThat(task.get("deliveries").asInt()).isEqualTo(2);
			assertThat(task.get("duplicates").asInt()).isEqualTo(1);
		}
	}

	// a minute under load: in scripts/faults.sh, out of ./mvnw -B verify
	@Tag("fault")
	@Test
	void masterStoppedWithSigtermUnderLoadLosesNothingAndRunsNothingTwice() throws Exception {
		try (WarrenCluster cluster = WarrenCluster.onH2()) {
			WarrenApi api = cluster.startMaster();
			cluster.startWorker("steady");
			List<String> accepted;
			try (SubmitLoad load = SubmitLoad.start(api, "echo")) {
				await().until(() -> load.accepted().size() >= 300);
				cluster.master().stop();
				accepted = load.stopAndGet();
			}
			assertThat(cluster.master().exitCode()).isEqualTo(SIGTERM_EXIT);
			assertThat(cluster.master().log()).doesNotContain("stay PENDING").doesNotContain("ERROR");

			WarrenApi restarted = cluster.startMaster();
			await().atMost(Duration.ofMinutes(2))
				.until(() -> accepted.stream().allMatch((id) -> "SUCCEEDED".equals(restarted.status(id))));
			assertThat(accepted.stream().mapToInt((id) -> restarted.task(id).get("duplicates").asInt()).sum())
				.as("duplicate executions after a clean stop")
				.isZero();
		}
	}

}
