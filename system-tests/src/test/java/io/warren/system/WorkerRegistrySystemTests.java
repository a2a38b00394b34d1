package io.warren.system;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.warren.testsupport.WarrenApi;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The control channel and the worker registry with the real jars: workers listed with
 * what they run, a paused type waiting on every worker, a SIGTERMed worker saying
 * goodbye, a SIGKILLed one marked lost, and a task held by a frozen (SIGSTOPped) worker
 * that does not stay {@code RUNNING}.
 */
class WorkerRegistrySystemTests {

	static final String[] MASTER = { "warren.master.workers.check-interval=500ms",
			"warren.master.workers.lost-task-grace=2s", "warren.master.relay.interval=200ms",
			"warren.master.retry.initial-backoff=200ms" };

	static final String[] WORKER = { "warren.worker.heartbeat-interval=500ms",
			"warren.worker.types.sleep.concurrency=1" };

	@Test
	void workersAreListedWithWhatTheyRunAPausedTypeWaitsEverywhereAndStoppedOrKilledWorkersAreMarked() {
		try (WarrenCluster cluster = WarrenCluster.onH2()) {
			WarrenApi api = cluster.startMaster(MASTER);
			ServiceProcess first = cluster.startWorker("first", WORKER);
			ServiceProcess second = cluster.startWorker("second", WORKER);
			// one sleep at a time on each worker: one runs on each
			List<String> slow = List.of(api.accepted("sleep", "{\"ms\":4000}"), api.accepted("sleep", "{\"ms\":4000}"));
			await().until(() -> slow.stream().allMatch((id) -> "RUNNING".equals(api.status(id))));

			await().until(() -> runningOn(api).containsAll(slow));
			JsonNode listed = api.get("/api/v1/workers").body().get("items");
			assertThat(listed.findValuesAsString("id")).contains("first", "second");
			assertThat(state(api, "first")).isEqualTo("RUNNING");
			assertThat(api.get("/api/v1/workers/first").body().get("types").findValuesAsString("type")).contains("echo",
					"sleep", "fail");

			assertThat(api.post("/api/v1/types/sleep/pause", "").status()).isEqualTo(200);
			await().until(() -> paused(api, "first", "sleep") && paused(api, "second", "sleep"));
			String waiting = api.accepted("sleep", "{\"ms\":100}");
			await().during(Duration.ofSeconds(2))
				.atMost(Duration.ofSeconds(10))
				.until(() -> "QUEUED".equals(api.status(waiting)));
			// the running ones finished all the same, and other types run
			await().until(() -> slow.stream().allMatch((id) -> "SUCCEEDED".equals(api.status(id))));
			String echo = api.accepted("echo", "{}");
			await().until(() -> "SUCCEEDED".equals(api.status(echo)));
			assertThat(api.status(waiting)).isEqualTo("QUEUED");
			assertThat(api.post("/api/v1/types/sleep/resume", "").status()).isEqualTo(200);
			await().until(() -> "SUCCEEDED".equals(api.status(waiting)));

			// a running sleep is cancelled within 2 s
			String cancelled = api.accepted("sleep", "{\"ms\":30000}");
			await().until(() -> "RUNNING".equals(api.status(cancelled)));
			assertThat(api.post("/api/v1/tasks/" + cancelled + "/cancel", "").status()).isEqualTo(202);
			await().atMost(Duration.ofSeconds(2)).until(() -> "CANCELLED".equals(api.status(cancelled)));
			// a sleep longer than its timeout fails TIMED_OUT after the attempts its
			// policy
			// allows
			String timed = api
				.post("/api/v1/tasks",
						"{\"type\":\"sleep\",\"payload\":{\"ms\":30000},\"timeout\":500,\"maxAttempts\":2}")
				.body()
				.get("id")
				.asString();
			await().atMost(Duration.ofSeconds(30)).until(() -> "FAILED".equals(api.status(timed)));
			JsonNode timedOut = api.task(timed);
			assertThat(timedOut.get("error").get("code").asString()).isEqualTo("TIMED_OUT");
			assertThat(timedOut.get("history")).hasSize(2);
			assertThat(timedOut.get("history").get(0).get("error").get("code").asString()).isEqualTo("TIMED_OUT");

			second.stop();
			await().until(() -> "STOPPED".equals(state(api, "second")));
			first.kill();
			// three missed beats of 500 ms, then the next check
			await().atMost(Duration.ofSeconds(15)).until(() -> "LOST".equals(state(api, "first")));
		}
	}

	static String state(WarrenApi api, String worker) {
		WarrenApi.Answer answer = api.get("/api/v1/workers/" + worker);
		return (answer.status() == 200) ? answer.body().get("state").asString() : null;
	}

	private static boolean paused(WarrenApi api, String worker, String type) {
		WarrenApi.Answer answer = api.get("/api/v1/workers/" + worker);
		if (answer.status() != 200) {
			return false;
		}
		for (JsonNode served : answer.body().get("types")) {
			if (served.get("type").asString().equals(type)) {
				return served.get("paused").asBoolean();
			}
		}
		return false;
	}

	private static List<String> runningOn(WarrenApi api) {
		List<String> running = new ArrayList<>();
		for (JsonNode worker : api.get("/api/v1/workers").body().get("items")) {
			running.addAll(worker.get("running").findValuesAsString("taskId"));
		}
		return running;
	}

}
