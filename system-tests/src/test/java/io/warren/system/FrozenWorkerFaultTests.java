package io.warren.system;

import java.time.Duration;

import io.warren.testsupport.WarrenApi;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static io.warren.system.WorkerRegistrySystemTests.MASTER;
import static io.warren.system.WorkerRegistrySystemTests.WORKER;
import static io.warren.system.WorkerRegistrySystemTests.state;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker frozen with SIGSTOP while it runs a task, its connection left open: the task
 * does not stay {@code RUNNING}. Behind scripts/faults.sh: it waits for the broker to
 * give up on the frozen connection.
 */
@Tag("fault")
class FrozenWorkerFaultTests {

	@Test
	void taskHeldByAFrozenWorkerIsFailedWorkerLostAndRetriedElsewhere() {
		try (WarrenCluster cluster = WarrenCluster.onH2()) {
			WarrenApi api = cluster.startMaster(MASTER);
			// a short AMQP heartbeat (10 s): the broker closes the frozen worker's
			// connection some 20 s after the freeze and gives back the deliveries it
			// holds, the next attempt among them; the master gives up on the attempt
			// first, some 5 s after the freeze
			ServiceProcess frozen = cluster.startWorker("frozen", WORKER[0], WORKER[1],
					"spring.rabbitmq.requested-heartbeat=10s");
			String id = api
				.post("/api/v1/tasks",
						"{\"type\":\"sleep\",\"payload\":{\"ms\":30000},\"timeout\":3000,\"maxAttempts\":2}")
				.body()
				.get("id")
				.asString();
			await().until(() -> "RUNNING".equals(api.status(id)));
			frozen.signal("STOP");
			try {
				await().atMost(Duration.ofSeconds(15)).until(() -> "LOST".equals(state(api, "frozen")));
				// attempt 1 ends WORKER_LOST after its timeout and the grace period
				await().atMost(Duration.ofSeconds(15)).until(() -> api.task(id).get("attempts").asInt() == 2);
				cluster.startWorker("healthy", WORKER);
				// attempt 2 runs on the healthy worker (once the broker took it back from
				// the frozen one, if it went there) and times out in its turn
				await().atMost(Duration.ofSeconds(90)).until(() -> "FAILED".equals(api.status(id)));
				JsonNode task = api.task(id);
				assertThat(task.get("error").get("code").asString()).isEqualTo("TIMED_OUT");
				assertThat(task.get("workerId").asString()).isEqualTo("healthy");
				JsonNode first = task.get("history").get(0);
				assertThat(first.get("error").get("code").asString()).isEqualTo("WORKER_LOST");
				assertThat(first.get("workerId").asString()).isEqualTo("frozen");
			}
			finally {
				frozen.signal("CONT");
			}
		}
	}

}
