package io.warren.worker.execution;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import com.rabbitmq.client.Channel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.warren.protocol.Outcome;
import io.warren.protocol.ProtocolHeaders;
import io.warren.protocol.StartVerdict;
import io.warren.protocol.StartedNotice;
import io.warren.protocol.TaskError;
import io.warren.protocol.TaskMessage;
import io.warren.protocol.TaskResult;
import io.warren.protocol.Topology;
import io.warren.protocol.TopologyProperties;
import io.warren.protocol.WireFormat;
import io.warren.worker.handler.HandlerMethod;
import io.warren.worker.handler.NonRetryableTaskException;
import io.warren.worker.handler.TaskContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.mockito.InOrder;
import tools.jackson.databind.JsonNode;

import org.springframework.amqp.AmqpConnectException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.boot.health.contributor.Status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.willAnswer;
import static org.mockito.BDDMockito.willThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

class TaskListenerTests {

	private final WireFormat wire = new WireFormat("test-master");

	private final ReplyPublisher replies = mock(ReplyPublisher.class);

	private final Channel channel = mock(Channel.class);

	private final Handlers handlers = new Handlers();

	private final RunningTasks running = new RunningTasks();

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	private final ExecutionMetrics metrics = new ExecutionMetrics(this.meters);

	private final ReplyBackoff backoff = new ReplyBackoff(Duration.ofMillis(1), Duration.ofMillis(4),
			Clock.systemUTC());

	private final ResultAcks acks = new ResultAcks(this.backoff, this.metrics, this.replies);

	@BeforeEach
	void resultsAreConfirmed() {
		given(this.replies.result(any())).willReturn(CompletableFuture.completedFuture(null));
	}

	@AfterEach
	void stopAcks() {
		this.acks.stop();
	}

	@Test
	void redeliveryTheMasterSaysNotToRunIsAckedWithoutRunningAndWithoutAResult() throws Exception {
		StartVerdicts verdicts = new StartVerdicts(new Topology(TopologyProperties.withPrefix("t.")), this.wire,
				Duration.ofSeconds(5));
		answerWith(verdicts, false);
		TaskListener listener = listener("echo", verdicts);
		Message message = taskMessage(UUID.randomUUID(), "echo", "1", 9);
		message.getMessageProperties().setRedelivered(true);

		listener.onMessage(message, this.channel);

		verify(this.replies).started(any(), eq(verdicts.queue()));
		verify(this.channel).basicAck(9, false);
		verify(this.replies, never()).result(any());
		assertThat(this.handlers.lastContext).as("the handler did not run").isNull();
		assertThat(this.meters.counter("warren.worker.tasks.skipped", "type", "echo").count()).isEqualTo(1);
	}

	@Test
	void redeliveryRunsWhenTheMasterSaysSoOrDoesNotAnswerInTimeAndAFirstDeliveryNeverAsks() throws Exception {
		StartVerdicts verdicts = new StartVerdicts(new Topology(TopologyProperties.withPrefix("t.")), this.wire,
				Duration.ofMillis(200));
		answerWith(verdicts, true);
		TaskListener listener = listener("echo", verdicts);
		Message first = taskMessage(UUID.randomUUID(), "echo", "1", 10);
		first.getMessageProperties().setRedelivered(true);
		listener.onMessage(first, this.channel);
		verify(this.channel, timeout(5000)).basicAck(10, false);
		assertThat(this.handlers.lastContext.redelivered()).isTrue();

		TaskListener unanswered = listener("echo", new StartVerdicts(new Topology(TopologyProperties.withPrefix("t.")),
				this.wire, Duration.ofMillis(200)));
		Message second = taskMessage(UUID.randomUUID(), "echo", "2", 11);
		second.getMessageProperties().setRedelivered(true);
		unanswered.onMessage(second, this.channel);
		verify(this.channel, timeout(5000)).basicAck(11, false);
		verify(this.replies, times(2)).result(any());

		listener.onMessage(taskMessage(UUID.randomUUID(), "echo", "3", 12), this.channel);
		verify(this.replies).started(any());
		verify(this.channel, timeout(5000)).basicAck(12, false);
	}

	/** The master, answering every notice that asks, through the verdict queue. */
	private void answerWith(StartVerdicts verdicts, boolean run) {
		willAnswer((invocation) -> {
			StartedNotice notice = invocation.getArgument(0);
			verdicts.received(this.wire.verdictMessage(new StartVerdict(notice.taskId(), notice.attempt(),
					notice.deliveryId(), run, run ? null : "the task is finished or waiting")));
			return null;
		}).given(this.replies).started(any(), eq(verdicts.queue()));
	}

	@Test
	void acksOnlyAfterTheStartedNoticeTheHandlerAndTheConfirmedResult() throws Exception {
		TaskListener listener = listener("echo");
		UUID id = UUID.randomUUID();

		listener.onMessage(taskMessage(id, "echo", "{\"a\":1}", 7), this.channel);

		InOrder order = inOrder(this.replies, this.channel);
		ArgumentCaptor<StartedNotice> started = ArgumentCaptor.forClass(StartedNotice.class);
		ArgumentCaptor<TaskResult> result = ArgumentCaptor.forClass(TaskResult.class);
		order.verify(this.replies).started(started.capture());
		order.verify(this.replies).result(result.capture());
		order.verify(this.channel, timeout(5000)).basicAck(7, false);
		assertThat(started.getValue().taskId()).isEqualTo(id);
		assertThat(result.getValue().outcome()).isEqualTo(Outcome.SUCCEEDED);
		assertThat(result.getValue().result().get("a").asInt()).isEqualTo(1);
		assertThat(result.getValue().deliveryId()).isEqualTo(started.getValue().deliveryId());
		assertThat(result.getValue().workerId()).isEqualTo("worker-1");
		assertThat(this.handlers.lastContext.attempt()).isEqualTo(1);
		assertThat(this.handlers.lastContext.deliveryId()).isEqualTo(started.getValue().deliveryId());
		assertThat(this.running.count()).isZero();
	}

	@Test
	void inFlightGaugeCountsTheTaskWhileItsHandlerRuns() throws Exception {
		TaskListener listener = listener("echo");
		this.metrics.watchRunning("echo", this.running);
		double[] whileRunning = new double[1];
		this.handlers.whileRunning = () -> whileRunning[0] = this.meters.get("warren.worker.in-flight")
			.tag("type", "echo")
			.gauge()
			.value();

		listener.onMessage(taskMessage(UUID.randomUUID(), "echo", "1", 10), this.channel);

		assertThat(whileRunning[0]).isEqualTo(1.0);
		assertThat(this.meters.get("warren.worker.in-flight").tag("type", "echo").gauge().value()).isZero();
	}

	@Test
	void handlerThatReturnsAfterItsTaskWasHandedBackReportsNothingAndLeavesTheDeliveryToTheBroker() throws Exception {
		TaskListener listener = listener("echo");
		List<StartedNotice> handedBack = new ArrayList<>();
		this.handlers.whileRunning = () -> handedBack.addAll(this.running.releaseAll());

		listener.onMessage(taskMessage(UUID.randomUUID(), "echo", "1", 8), this.channel);

		assertThat(handedBack).hasSize(1);
		verify(this.replies).started(handedBack.get(0));
		verify(this.replies, never()).result(any());
		verify(this.channel, never()).basicAck(anyLong(), anyBoolean());
		verify(this.channel, never()).basicNack(anyLong(), anyBoolean(), anyBoolean());
		assertThat(this.running.count()).isZero();
	}

	@Test
	void taskIsAckedWhenItsResultIsConfirmedNotBefore() throws Exception {
		TaskListener listener = listener("echo");
		CompletableFuture<Void> confirm = new CompletableFuture<>();
		given(this.replies.result(any())).willReturn(confirm);

		listener.onMessage(taskMessage(UUID.randomUUID(), "echo", "1", 15), this.channel);

		assertThat(this.running.count()).as("the handler is done").isZero();
		assertThat(this.acks.pending()).isEqualTo(1);
		verify(this.channel, never()).basicAck(anyLong(), anyBoolean());
		confirm.complete(null);
		verify(this.channel, timeout(5000)).basicAck(15, false);
		org.awaitility.Awaitility.await().until(() -> this.acks.pending() == 0);
	}

	@Test
	void resultThatTheBrokerDidNotConfirmHandsTheTaskBackAfterThePauseInsteadOfAcking() throws Exception {
		TaskListener listener = listener("echo");
		given(this.replies.result(any()))
			.willReturn(CompletableFuture.failedFuture(new ReplyPublisher.UnconfirmedException("nack", null)));

		UUID id = UUID.randomUUID();
		listener.onMessage(taskMessage(id, "echo", "1", 3), this.channel);

		verify(this.channel, timeout(5000)).basicNack(3, false, true);
		verify(this.channel, never()).basicAck(anyLong(), anyBoolean());
		verify(this.replies).releasedWithoutWaiting(
				argThat((notice) -> notice.taskId().equals(id) && notice.workerId().equals("worker-1")));
		assertThat(this.backoff.health().getStatus()).isEqualTo(Status.DOWN);
		assertThat(this.meters.get("warren.worker.replies.unconfirmed")
			.tags("type", "echo", "kind", "result")
			.counter()
			.count()).isEqualTo(1);
	}

	@Test
	void resultThatCannotBeSentHandsTheTaskBackInsteadOfAcking() throws Exception {
		TaskListener listener = listener("echo");
		willThrow(new AmqpConnectException(new java.net.ConnectException("refused"))).given(this.replies).result(any());

		listener.onMessage(taskMessage(UUID.randomUUID(), "echo", "1", 16), this.channel);

		verify(this.channel).basicNack(16, false, true);
		verify(this.channel, never()).basicAck(anyLong(), anyBoolean());
	}

	@Test
	void deliveryThatWaitedInThePrefetchIsNotStartedOnceTheWorkerIsStopping() throws Exception {
		TaskListener listener = listener("echo");
		assertThat(this.acks.stopping(Duration.ZERO)).isTrue();

		listener.onMessage(taskMessage(UUID.randomUUID(), "echo", "1", 20), this.channel);

		assertThat(this.handlers.lastContext).as("the handler ran").isNull();
		verify(this.replies, never()).started(any());
		// left unacked: the closing channel gives it back to the broker
		verify(this.channel, never()).basicAck(anyLong(), anyBoolean());
		verify(this.channel, never()).basicNack(anyLong(), anyBoolean(), anyBoolean());
	}

	@Test
	void stoppingWaitsForTheResultsUnderWay() throws Exception {
		TaskListener listener = listener("echo");
		CompletableFuture<Void> confirm = new CompletableFuture<>();
		given(this.replies.result(any())).willReturn(confirm);
		listener.onMessage(taskMessage(UUID.randomUUID(), "echo", "1", 18), this.channel);
		CompletableFuture<Boolean> stopping = CompletableFuture
			.supplyAsync(() -> this.acks.stopping(Duration.ofSeconds(5)));
		org.awaitility.Awaitility.await().during(Duration.ofMillis(200)).until(() -> !stopping.isDone());

		confirm.complete(null);

		assertThat(stopping.get(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
		verify(this.channel, timeout(5000)).basicAck(18, false);
	}

	@Test
	void taskRunningWhenTheStopBeganWaitsForItsResultsConfirmOnItsConsumer() throws Exception {
		TaskListener listener = listener("echo");
		CompletableFuture<Void> confirm = new CompletableFuture<>();
		given(this.replies.result(any())).willReturn(confirm);
		this.handlers.whileRunning = () -> this.acks.stopping(Duration.ZERO);

		CompletableFuture<Void> consumer = CompletableFuture.runAsync(() -> onMessage(listener, 19));
		org.awaitility.Awaitility.await().during(Duration.ofMillis(200)).until(() -> !consumer.isDone());
		verify(this.channel, never()).basicAck(anyLong(), anyBoolean());
		confirm.complete(null);

		consumer.get(5, java.util.concurrent.TimeUnit.SECONDS);
		verify(this.channel, timeout(5000)).basicAck(19, false);
	}

	@Test
	void startedNoticeThatTheBrokerDidNotConfirmHandsTheTaskBackWithoutRunningTheHandler() throws Exception {
		TaskListener listener = listener("echo");
		willThrow(new ReplyPublisher.UnconfirmedException("unroutable: NO_ROUTE", null)).given(this.replies)
			.started(any());

		listener.onMessage(taskMessage(UUID.randomUUID(), "echo", "1", 11), this.channel);

		assertThat(this.handlers.lastContext).as("the handler ran").isNull();
		verify(this.replies, never()).result(any());
		verify(this.channel).basicNack(11, false, true);
		// not a worker that died: the master does not count it towards poisoning
		verify(this.replies).releasedWithoutWaiting(any());
		verify(this.channel, never()).basicAck(anyLong(), anyBoolean());
		assertThat(this.running.count()).isZero();
		assertThat(this.meters.get("warren.worker.replies.unconfirmed")
			.tags("type", "echo", "kind", "started")
			.counter()
			.count()).isEqualTo(1);
		assertThat(this.backoff.health().getStatus()).isEqualTo(Status.DOWN);
		assertThat(this.backoff.health().getDetails()).containsEntry("failures", 1);
	}

	@Test
	void repliesHealthTurnsUpAgainWithTheNextConfirmedReply() throws Exception {
		TaskListener listener = listener("echo");
		given(this.replies.result(any()))
			.willReturn(CompletableFuture.failedFuture(new ReplyPublisher.UnconfirmedException("nack", null)));
		listener.onMessage(taskMessage(UUID.randomUUID(), "echo", "1", 12), this.channel);
		org.awaitility.Awaitility.await().until(() -> this.backoff.health().getStatus() == Status.DOWN);
		assertThat(this.meters.get("warren.worker.replies.unconfirmed")
			.tags("type", "echo", "kind", "result")
			.counter()
			.count()).isEqualTo(1);

		given(this.replies.result(any())).willReturn(CompletableFuture.completedFuture(null));
		listener.onMessage(taskMessage(UUID.randomUUID(), "echo", "1", 13), this.channel);

		verify(this.channel, timeout(5000)).basicAck(13, false);
		assertThat(this.backoff.health().getStatus()).isEqualTo(Status.UP);
	}

	@Test
	void taskWhoseResultWasNotConfirmedIsNotCountedAsRunningDuringThePauseAndAStopLeavesItToTheChannel()
			throws Exception {
		ReplyBackoff slow = new ReplyBackoff(Duration.ofMinutes(10), Duration.ofMinutes(10), Clock.systemUTC());
		ResultAcks slowAcks = new ResultAcks(slow, this.metrics);
		TaskListener listener = new TaskListener(echoHandler(), this.wire, this.replies, "worker-1", Clock.systemUTC(),
				this.metrics, this.running, slow, slowAcks);
		given(this.replies.result(any()))
			.willReturn(CompletableFuture.failedFuture(new ReplyPublisher.UnconfirmedException("nack", null)));

		listener.onMessage(taskMessage(UUID.randomUUID(), "echo", "1", 14), this.channel);

		assertThat(this.running.count()).isZero();
		assertThat(this.running.releaseAll()).isEmpty();
		org.awaitility.Awaitility.await().until(() -> slow.health().getStatus() == Status.DOWN);
		// settled: to be handed back after the pause
		org.awaitility.Awaitility.await().until(() -> slowAcks.pending() == 0);
		slowAcks.stop();
		// stopping: the delivery is left to the closing channel, which requeues it
		verify(this.channel, never()).basicNack(anyLong(), anyBoolean(), anyBoolean());
		verify(this.channel, never()).basicAck(anyLong(), anyBoolean());
	}

	@Test
	void oneConsumersFailuresDoNotLengthenAnothersPause() throws Exception {
		ReplyBackoff shared = new ReplyBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), Clock.systemUTC());
		shared.stop();
		Duration fifth = Duration.ZERO;
		for (int i = 0; i < 5; i++) {
			fifth = shared.failed("no route");
		}
		Duration[] others = new Duration[1];
		Thread other = new Thread(() -> others[0] = shared.failed("no route"));
		other.start();
		other.join();

		assertThat(fifth).isEqualTo(Duration.ofSeconds(16));
		assertThat(others[0]).as("another consumer's first pause").isEqualTo(Duration.ofSeconds(1));
		assertThat(shared.health().getDetails()).containsEntry("failures", 6);
		// any confirmed reply shows the broker takes replies again
		shared.succeeded();
		assertThat(shared.health().getStatus()).isEqualTo(Status.UP);
		assertThat(shared.failed("no route")).as("the same consumer starts again").isEqualTo(Duration.ofSeconds(1));
	}

	@Test
	void handlerExceptionBecomesAFailedResultAndTheTaskIsAcked() throws Exception {
		TaskListener listener = listener("fail");

		listener.onMessage(taskMessage(UUID.randomUUID(), "fail", "\"boom\"", 4), this.channel);

		ArgumentCaptor<TaskResult> result = ArgumentCaptor.forClass(TaskResult.class);
		verify(this.replies).result(result.capture());
		verify(this.channel, timeout(5000)).basicAck(4, false);
		assertThat(result.getValue().outcome()).isEqualTo(Outcome.FAILED);
		assertThat(result.getValue().error().code()).isEqualTo(TaskError.HANDLER_ERROR);
		assertThat(result.getValue().error().message()).isEqualTo("boom");
		assertThat(result.getValue().error().retryable()).isFalse();
	}

	@Test
	void payloadThatDoesNotBindFailsAsInvalidPayload() throws Exception {
		TaskListener listener = listener("record");

		listener.onMessage(taskMessage(UUID.randomUUID(), "record", "{\"count\":\"many\"}", 5), this.channel);

		ArgumentCaptor<TaskResult> result = ArgumentCaptor.forClass(TaskResult.class);
		verify(this.replies).result(result.capture());
		assertThat(result.getValue().error().code()).isEqualTo(TaskError.INVALID_PAYLOAD);
		assertThat(result.getValue().error().retryable()).isFalse();
	}

	@Test
	void malformedMessageIsDeadLetteredWithTheReasonThenAcked() throws Exception {
		TaskListener listener = listener("echo");
		MessageProperties properties = new MessageProperties();
		properties.setHeader(ProtocolHeaders.PROTOCOL, 1);
		properties.setDeliveryTag(9);
		Message garbage = new Message("{\"id\":".getBytes(), properties);

		listener.onMessage(garbage, this.channel);

		InOrder order = inOrder(this.replies, this.channel);
		order.verify(this.replies)
			.deadLetter(eq(garbage), eq("echo"), org.mockito.ArgumentMatchers.startsWith("malformed"));
		order.verify(this.channel, timeout(5000)).basicAck(9, false);
		verify(this.replies, never()).started(any());
		verify(this.replies, never()).result(any());
	}

	@Test
	void messageOfAnotherTypeIsMalformed() throws Exception {
		TaskListener listener = listener("echo");

		listener.onMessage(taskMessage(UUID.randomUUID(), "fail", "1", 2), this.channel);

		verify(this.replies).deadLetter(any(), eq("echo"), anyString());
		verify(this.channel, timeout(5000)).basicAck(2, false);
	}

	@Test
	void deadLetterThatWasNotConfirmedHandsTheMessageBack() throws Exception {
		TaskListener listener = listener("echo");
		willThrow(new ReplyPublisher.UnconfirmedException("nack", null)).given(this.replies)
			.deadLetter(any(), anyString(), anyString());
		MessageProperties properties = new MessageProperties();
		properties.setDeliveryTag(6);

		listener.onMessage(new Message("x".getBytes(), properties), this.channel);

		verify(this.channel).basicNack(6, false, true);
		verify(this.channel, never()).basicAck(anyLong(), anyBoolean());
	}

	private void onMessage(TaskListener listener, long tag) {
		try {
			listener.onMessage(taskMessage(UUID.randomUUID(), "echo", "1", tag), this.channel);
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	private HandlerMethod echoHandler() throws NoSuchMethodException {
		return new HandlerMethod("echo", this.handlers,
				Handlers.class.getDeclaredMethod("echo", JsonNode.class, TaskContext.class), this.wire.json());
	}

	private TaskListener listener(String type, StartVerdicts verdicts) throws NoSuchMethodException {
		HandlerMethod handler = new HandlerMethod(type, this.handlers,
				Handlers.class.getDeclaredMethod(type, JsonNode.class, TaskContext.class), this.wire.json());
		return new TaskListener(handler, this.wire, this.replies, "worker-1", Clock.systemUTC(), this.metrics,
				this.running, this.backoff, this.acks, verdicts);
	}

	private TaskListener listener(String type) throws NoSuchMethodException {
		String method = switch (type) {
			case "echo" -> "echo";
			case "fail" -> "fail";
			default -> "record";
		};
		Class<?> parameter = type.equals("record") ? Counted.class : JsonNode.class;
		HandlerMethod handler = new HandlerMethod(type, this.handlers,
				Handlers.class.getDeclaredMethod(method, parameter, TaskContext.class), this.wire.json());
		return new TaskListener(handler, this.wire, this.replies, "worker-1", Clock.systemUTC(), this.metrics,
				this.running, this.backoff, this.acks);
	}

	private Message taskMessage(UUID id, String type, String payload, long tag) throws IOException {
		Message message = this.wire
			.taskMessage(new TaskMessage(id, type, 1, 0, this.wire.json().readTree(payload), Instant.now()));
		message.getMessageProperties().setDeliveryTag(tag);
		return message;
	}

	record Counted(int count) {
	}

	static class Handlers {

		TaskContext lastContext;

		Runnable whileRunning = () -> {
		};

		JsonNode echo(JsonNode payload, TaskContext context) {
			this.lastContext = context;
			this.whileRunning.run();
			return payload;
		}

		JsonNode fail(JsonNode payload, TaskContext context) {
			throw new NonRetryableTaskException(payload.asString());
		}

		Counted record(Counted counted, TaskContext context) {
			return counted;
		}

	}

}
