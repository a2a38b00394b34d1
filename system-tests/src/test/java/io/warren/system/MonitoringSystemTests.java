package io.warren.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.warren.testsupport.WarrenApi;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The built jars' actuator endpoints, scraped as Prometheus would: every meter the issue
 * names is there, and every Warren series the Grafana dashboard queries exists.
 */
class MonitoringSystemTests {

	static final String DASHBOARD = "docker/grafana/dashboards/warren.json";

	private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

	private static final Pattern SERIES = Pattern.compile("warren_[a-z_]+");

	@Test
	void prometheusEndpointsServeEveryWarrenMeterAndEverySeriesTheDashboardUses() throws IOException {
		try (WarrenCluster cluster = WarrenCluster.onH2()) {
			WarrenApi master = cluster.startMaster("warren.master.monitoring.refresh-interval=500ms");
			ServiceProcess worker = cluster.startWorker("watched");
			WarrenApi workerActuator = new WarrenApi(worker.port());
			String ok = master.accepted("echo", "{\"n\":1}");
			String failed = master.accepted("fail", "{\"message\":\"on purpose\"}");
			await().until(() -> "SUCCEEDED".equals(master.status(ok)) && "FAILED".equals(master.status(failed)));
			// the gauges appear with the first refresh after the tasks were stored
			await().until(() -> master.text("/actuator/prometheus").contains("warren_tasks_by_status{")
					&& master.text("/actuator/prometheus").contains("warren.v1.task.fail\""));

			Set<String> series = new TreeSet<>();
			// counters move just after the commit that makes a status visible
			await().untilAsserted(() -> {
				series.addAll(seriesIn(master.text("/actuator/prometheus")));
				series.addAll(seriesIn(workerActuator.text("/actuator/prometheus")));
				assertThat(series).contains("warren_tasks_submitted_total", "warren_tasks_completed_total",
						"warren_tasks_duplicates_total", "warren_replies_stale_total", "warren_relay_republished_total",
						"warren_tasks_by_status", "warren_tasks_queue_wait_seconds_bucket",
						"warren_tasks_end_to_end_seconds_bucket", "warren_queue_messages", "warren_queue_consumers",
						"warren_worker_execution_seconds_bucket", "warren_worker_in_flight",
						"warren_tasks_retried_total", "warren_tasks_scheduled", "warren_tasks_purged_total");
			});
			assertThat(seriesIn(Files.readString(ROOT.resolve(DASHBOARD)))).as("series the dashboard queries")
				.isSubsetOf(series);
			assertThat(workerActuator.health("readiness", null)).isEqualTo("UP");
			assertThat(workerActuator.health(null, "consumers")).isEqualTo("UP");
			assertThat(workerActuator.get("/actuator/info").body().get("build").get("artifact").asString())
				.isEqualTo("warren-worker-service");
			// the key the cluster was started with opened all of this; without it, only
			// health
			for (WarrenApi anonymous : List.of(master.withKey(null), workerActuator.withKey(null))) {
				assertThat(anonymous.request("GET", "/actuator/prometheus", null).status()).isEqualTo(401);
				assertThat(anonymous.get("/actuator/health").status()).isEqualTo(200);
				assertThat(anonymous.get("/actuator/health").body().has("components")).isFalse();
			}
		}
	}

	private static Set<String> seriesIn(String text) {
		Matcher matcher = SERIES.matcher(text);
		return matcher.results().map((match) -> match.group()).collect(Collectors.toCollection(TreeSet::new));
	}

}
