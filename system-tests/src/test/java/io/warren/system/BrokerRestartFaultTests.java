package io.warren.system;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import io.warren.testsupport.WarrenApi;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The broker itself restarted under a running system (a private node, so the shared
 * broker of the other tests is not touched). A fault run: {@code scripts/faults.sh}.
 */
@Tag("fault")
class BrokerRestartFaultTests {

	@Test
	void tasksSurviveABrokerRestartAndHealthFollowsTheBrokerDownAndUp() {
		assumeTrue(PrivateBroker.available(), "no local RabbitMQ installation to start a private node from");
		try (PrivateBroker broker = PrivateBroker.started(); WarrenCluster cluster = WarrenCluster.onH2(broker)) {
			WarrenApi master = cluster.startMaster("warren.master.monitoring.relay-max-lag=5s");
			// this worker runs sleep tasks only: echo tasks wait in their durable queue
			ServiceProcess sleeper = cluster.startWorker("sleeper", "warren.worker.types.echo.enabled=false");
			WarrenApi sleeperActuator = new WarrenApi(sleeper.port());
			List<String> running = List.of(master.accepted("sleep", "{\"ms\":4000}"),
					master.accepted("sleep", "{\"ms\":4000}"));
			List<String> queued = IntStream.range(0, 20)
				.mapToObj((i) -> master.accepted("echo", "{\"n\":" + i + "}"))
				.toList();
			await().until(() -> running.stream().allMatch((id) -> "RUNNING".equals(master.status(id)))
					&& queued.stream().allMatch((id) -> "QUEUED".equals(master.status(id))));

			broker.stop();

			await().until(() -> "DOWN".equals(master.health(null, "rabbit"))
					&& "DOWN".equals(master.health(null, "consumers")));
			await().until(() -> "DOWN".equals(sleeperActuator.health("readiness", null)));
			// accepted meanwhile: stored PENDING, published once the broker is back
			List<String> duringOutage = List.of(master.accepted("echo", "{\"during\":1}"),
					master.accepted("echo", "{\"during\":2}"));
			await().until(() -> "DOWN".equals(master.health(null, "relay")));
			assertThat(master.health("readiness", null)).isEqualTo("UP");

			broker.start();

			await().atMost(Duration.ofMinutes(2)).until(() -> "UP".equals(master.health(null, null)));
			await().until(() -> "UP".equals(sleeperActuator.health(null, null)));
			cluster.startWorker("echoer");
			List<String> all = new ArrayList<>(running);
			all.addAll(queued);
			all.addAll(duringOutage);
			await().atMost(Duration.ofMinutes(2))
				.until(() -> all.stream().allMatch((id) -> "SUCCEEDED".equals(master.status(id))));
			// the queued tasks were in the queue across the restart: none needed the
			// relay
			assertThat(queued.stream().map(master::task))
				.allSatisfy((task) -> assertThat(task.get("deliveries").asInt()).isEqualTo(1));
		}
	}

}
