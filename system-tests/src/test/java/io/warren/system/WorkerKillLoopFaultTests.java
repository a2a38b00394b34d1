package io.warren.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.warren.testsupport.WarrenApi;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Workers SIGKILLed in a loop under load, and every execution the handlers logged
 * compared with what the records count. A worker logs a delivery's start right after its
 * started notice is confirmed and right before the handler runs, so for every task
 * {@code deliveries} must be at least the executions logged, and the excess is bounded by
 * the deliveries that a kill caught between a confirmed notice and that log line (at most
 * the killed worker's threads per kill). A fault run: {@code scripts/faults.sh}.
 */
@Tag("fault")
class WorkerKillLoopFaultTests {

	private static final int KILLS = 12;

	private static final int TASKS_PER_ROUND = 150;

	/**
	 * Handler threads per worker (the default): the most deliveries one kill can catch.
	 */
	private static final int CONCURRENCY = 4;

	private static final Pattern STARTED = Pattern
		.compile("task ([0-9a-f-]{36}) attempt (\\d+) delivery ([0-9a-f-]{36}) started");

	@ParameterizedTest(name = "on {0}")
	@ValueSource(strings = { "h2", "postgresql" })
	void everyExecutionIsCountedInTheRecordWhileWorkersAreKilledInALoop(String store) throws Exception {
		Random random = new Random();
		try (WarrenCluster cluster = store.equals("h2") ? WarrenCluster.onH2() : WarrenCluster.onPostgres()) {
			WarrenApi api = cluster.startMaster();
			List<ServiceProcess> workers = new ArrayList<>();
			int started = 0;
			for (; started < 3; started++) {
				workers.add(startWorker(cluster, started));
			}
			List<String> ids = new ArrayList<>();
			for (int kill = 0; kill < KILLS; kill++) {
				for (int i = 0; i < TASKS_PER_ROUND; i++) {
					ids.add(api.accepted("sleep", "{\"ms\":" + (200 + random.nextInt(400)) + "}"));
				}
				// pacing the faults, not waiting for an outcome
				Thread.sleep(300 + random.nextInt(900));
				workers.remove(random.nextInt(workers.size())).kill();
				workers.add(startWorker(cluster, started++));
			}

			await().atMost(Duration.ofMinutes(5))
				.until(() -> ids.stream().allMatch((id) -> "SUCCEEDED".equals(api.status(id))));

			Map<String, Set<String>> executions = executionsLogged(cluster.workDir);
			int excess = 0;
			int duplicates = 0;
			for (String id : ids) {
				JsonNode task = api.task(id);
				int deliveries = task.get("deliveries").asInt();
				int executed = executions.getOrDefault(id, Set.of()).size();
				assertThat(deliveries).as("deliveries of task %s against its %d logged executions", id, executed)
					.isGreaterThanOrEqualTo(executed);
				assertThat(task.get("duplicates").asInt()).isEqualTo(deliveries - 1);
				excess += deliveries - executed;
				duplicates += deliveries - 1;
			}
			System.out.printf("kill loop on %s: %d tasks, %d kills, %d duplicate executions counted, %d deliveries "
					+ "counted without a logged execution%n", store, ids.size(), KILLS, duplicates, excess);
			// each kill can catch each of the killed worker's threads between a confirmed
			// notice and its handler's start
			assertThat(excess).as("deliveries counted without a logged execution")
				.isLessThanOrEqualTo(KILLS * CONCURRENCY);
			assertThat(duplicates).as("duplicate executions: the kills landed on running tasks").isPositive();
		}
	}

	private static ServiceProcess startWorker(WarrenCluster cluster, int n) {
		return cluster.startWorker("worker-" + n, "logging.level.io.warren.worker.execution.TaskListener=DEBUG");
	}

	/** Task id to the delivery ids whose handler start a worker logged. */
	private static Map<String, Set<String>> executionsLogged(Path workDir) throws IOException {
		Map<String, Set<String>> executions = new HashMap<>();
		try (Stream<Path> logs = Files.list(workDir)) {
			for (Path log : logs.filter((path) -> path.getFileName().toString().startsWith("worker-")).toList()) {
				Matcher line = STARTED.matcher(Files.readString(log));
				while (line.find()) {
					executions.computeIfAbsent(line.group(1), (id) -> new HashSet<>()).add(line.group(3));
				}
			}
		}
		return executions;
	}

}
