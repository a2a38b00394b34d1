package io.warren.worker.execution;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.warren.protocol.ReleasedNotice;
import io.warren.protocol.StartedNotice;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.BDDMockito.willAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

class DrainTests {

	private final RunningTasks running = new RunningTasks();

	private final ReplyPublisher replies = mock(ReplyPublisher.class);

	private final ResultAcks acks = new ResultAcks(
			new ReplyBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1), Clock.systemUTC()),
			new ExecutionMetrics(new SimpleMeterRegistry()));

	private final Drain drain = new Drain(Duration.ofMillis(200), this.running, this.replies, this.acks,
			Clock.systemUTC());

	private final StartedNotice task = new StartedNotice(UUID.randomUUID(), "sleep", 1, UUID.randomUUID(), "worker-1",
			false, Instant.now());

	@Test
	void taskStillRunningAfterTheDrainTimeIsReleasedBeforeItsContainerCloses() throws Exception {
		this.running.add(this.task);
		CountDownLatch released = new CountDownLatch(1);
		willAnswer((invocation) -> {
			released.countDown();
			return null;
		}).given(this.replies).released(any());
		SimpleMessageListenerContainer container = mock(SimpleMessageListenerContainer.class);
		// like a container whose handler outlasts the drain: it closes only afterwards
		willAnswer((invocation) -> released.await(10, TimeUnit.SECONDS)).given(container).stop();

		this.drain.stop(List.of(container));

		ArgumentCaptor<ReleasedNotice> notice = ArgumentCaptor.forClass(ReleasedNotice.class);
		verify(this.replies).released(notice.capture());
		assertThat(notice.getValue().taskId()).isEqualTo(this.task.taskId());
		assertThat(notice.getValue().deliveryId()).isEqualTo(this.task.deliveryId());
		assertThat(notice.getValue().workerId()).isEqualTo("worker-1");
		assertThat(this.running.isReleased(this.task.deliveryId())).isTrue();
	}

	@Test
	void containersThatStopWithinTheDrainTimeReleaseNothing() {
		this.running.add(this.task);
		SimpleMessageListenerContainer container = mock(SimpleMessageListenerContainer.class);
		willAnswer((invocation) -> {
			this.running.remove(this.task.deliveryId());
			return null;
		}).given(container).stop();

		this.drain.stop(List.of(container, mock(SimpleMessageListenerContainer.class)));

		verify(this.replies, never()).released(any());
		assertThat(this.running.count()).isZero();
	}

	@Test
	void containersWaitForTheDrainTimeAndTheHandBack() {
		assertThat(this.drain.containerShutdownTimeout()).isEqualTo(Duration.ofMillis(200).plus(Drain.RELEASE_TIME));
	}

}
