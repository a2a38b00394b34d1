package io.warren.bench;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The harness still works: a tiny run of both measurements against the local broker and
 * the built jars. It checks what the harness counts, never how fast anything is.
 */
class BenchSmokeTests {

	private final Options.Variant variant = new Options.Variant("h2", "quorum");

	private final Options options = new Options(1, 2, 20, 2, 8, 1, List.of(this.variant), false, false, false,
			System.getenv().getOrDefault("WARREN_TEST_RABBITMQ_HOST", "localhost"), 5672,
			"jdbc:postgresql://localhost:5432/test", 1,
			Path.of(System.getProperty("warren.root", "..")).toAbsolutePath().normalize());

	@Test
	void brokerBaselineCountsWhatItsConsumersReceived() throws Exception {
		BrokerBaseline.Result result = BrokerBaseline.measure(this.options, "quorum");

		assertThat(result.messagesPerSecond()).isPositive();
		assertThat(result.roundTripsPerSecond()).isEqualTo(result.messagesPerSecond() / 2);
	}

	@Test
	void warrenRunFindsEveryTaskItSubmittedAndMeasuresEachPacedOne() throws Exception {
		WarrenRun.Result result = WarrenRun.run(this.options, this.variant);

		assertThat(result.fullTasks()).isPositive();
		assertThat(result.lost()).isZero();
		assertThat(result.failedSubmissions()).isZero();
		assertThat(result.rateTasks()).isEqualTo(40);
		assertThat(result.latencyMicros().getTotalCount()).isEqualTo(40);
		assertThat(result.tasksPerSecond()).isPositive();
		assertThat(result.cpuMicrosPerTask()).containsKeys("master", "worker-1");
	}

	@Test
	void preloadedRunStillFindsEveryTaskItSubmitted() throws Exception {
		WarrenRun.Result result = WarrenRun.run(this.options, new Options.Variant("h2", "quorum", 1_000));

		assertThat(result.fullTasks()).isPositive();
		assertThat(result.lost()).isZero();
		assertThat(result.preloaded()).isEqualTo(1_000);
	}

	@Test
	void celeryRunCountsTheResultsItsProducersReceived() throws Exception {
		assumeTrue(CeleryPeer.missing() == null, "Debian's python3-celery is not installed");

		CeleryPeer.Result result = CeleryPeer.measure(this.options);

		assertThat(result.tasks()).isPositive();
		assertThat(result.tasksPerSecond()).isPositive();
		assertThat(result.cpuMicrosPerTask()).containsKeys("worker-1", "worker-2", "producers");
	}

}
