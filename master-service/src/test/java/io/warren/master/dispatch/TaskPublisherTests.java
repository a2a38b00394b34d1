package io.warren.master.dispatch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.warren.master.config.MasterProperties;
import io.warren.master.config.MasterSettings;
import io.warren.master.task.Task;
import io.warren.protocol.Topology;
import io.warren.protocol.TopologyProperties;
import io.warren.protocol.WireFormat;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

class TaskPublisherTests {

	private final Instant created = Instant.parse("2026-11-21T10:00:00Z");

	private final RabbitTemplate template = mock(RabbitTemplate.class);

	private final ConfirmRecorder confirms = mock(ConfirmRecorder.class);

	private final InFlight inFlight = new InFlight();

	private final TaskPublisher publisher = new TaskPublisher(this.template, mock(TaskQueues.class),
			new Topology(TopologyProperties.withPrefix("")), new WireFormat("test"), this.confirms,
			new SimpleMeterRegistry(), Clock.fixed(this.created, ZoneOffset.UTC), MasterSettings.with(), this.inFlight);

	private final Task task = Task.submitted(UUID.randomUUID(), "echo", 0, "1", this.created);

	@Test
	void taskFreshFromTheRequestIsPublishedByTheDispatcher() {
		assertThat(this.publisher.leftToRelay(this.task, this.created.plusSeconds(4))).isFalse();
	}

	@Test
	void taskThatWaitedHalfTheConfirmTimeoutIsLeftToTheRelaySoItIsNotPublishedTwice() {
		assertThat(this.publisher.leftToRelay(this.task, this.created.plusMillis(5_001))).isTrue();
	}

	@Test
	void confirmedTaskStaysInFlightUntilTheRecorderHasWrittenIt() {
		ArgumentCaptor<CorrelationData> correlation = ArgumentCaptor.forClass(CorrelationData.class);
		this.publisher.publish(this.task);
		verify(this.template).send(anyString(), anyString(), any(Message.class), correlation.capture());

		correlation.getValue().getFuture().complete(new CorrelationData.Confirm(true, null));

		// the recorder (mocked here) removes it once QUEUED is committed
		assertThat(this.publisher.isInFlight(this.task)).isTrue();
		verify(this.confirms).confirmed(this.task);
	}

	@Test
	void nackedTaskIsNoLongerInFlightSoTheRelayMayPublishItAgain() {
		ArgumentCaptor<CorrelationData> correlation = ArgumentCaptor.forClass(CorrelationData.class);
		this.publisher.publish(this.task);
		verify(this.template).send(anyString(), anyString(), any(Message.class), correlation.capture());

		correlation.getValue().getFuture().complete(new CorrelationData.Confirm(false, "nacked"));

		assertThat(this.publisher.isInFlight(this.task)).isFalse();
	}

	@Test
	void taskThatIsNotPendingIsNeverPublished() {
		Task finished = this.task.finished(io.warren.master.task.TaskStatus.SUCCEEDED, "1", null, "w", this.created,
				this.created);

		assertThat(this.publisher.publish(finished)).isFalse();

		verify(this.template, never()).send(anyString(), anyString(), any(Message.class), any(CorrelationData.class));
	}

	@Test
	void stopWaitsForTheConfirmsStillDueSoThatTheyAreRecorded() {
		ArgumentCaptor<CorrelationData> correlation = ArgumentCaptor.forClass(CorrelationData.class);
		this.publisher.start();
		assertThat(this.publisher.publish(this.task)).isTrue();
		verify(this.template).send(anyString(), anyString(), any(Message.class), correlation.capture());

		CompletableFuture<Void> stopping = CompletableFuture.runAsync(this.publisher::stop);
		await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !stopping.isDone());
		correlation.getValue().getFuture().complete(new CorrelationData.Confirm(true, null));

		await().until(stopping::isDone);
		verify(this.confirms).confirmed(this.task);
	}

}
