package io.warren.protocol;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class WireFormatTests {

	private final WireFormat wire = new WireFormat("warren-test");

	@Test
	void taskMessageCarriesTheProtocolProperties() {
		UUID id = UUID.randomUUID();
		TaskMessage task = new TaskMessage(id, "image.resize", 3, 7, json("{\"w\":10}"),
				Instant.parse("2026-11-21T10:00:00Z"));

		Message message = this.wire.taskMessage(task);

		MessageProperties properties = message.getMessageProperties();
		assertThat(properties.getDeliveryMode()).isEqualTo(MessageDeliveryMode.PERSISTENT);
		assertThat(properties.getMessageId()).isEqualTo(id.toString());
		assertThat(properties.getCorrelationId()).isEqualTo(id.toString());
		assertThat(properties.getType()).isEqualTo("image.resize");
		assertThat(properties.getContentType()).isEqualTo("application/json");
		assertThat(properties.getPriority()).isEqualTo(7);
		assertThat(properties.getTimestamp()).isNotNull();
		assertThat(properties.<Integer>getHeader(ProtocolHeaders.PROTOCOL)).isEqualTo(1);
		assertThat(properties.<Integer>getHeader(ProtocolHeaders.ATTEMPT)).isEqualTo(3);
		assertThat(new String(message.getBody(), StandardCharsets.UTF_8))
			.contains("\"createdAt\":\"2026-11-21T10:00:00Z\"")
			.contains("\"payload\":{\"w\":10}");
		assertThat(this.wire.readTask(message)).isEqualTo(task);
	}

	@Test
	void taskMessageFromStoredJsonTextIsTheSameMessageWithoutParsingThePayload() {
		TaskMessage task = new TaskMessage(UUID.randomUUID(), "image.resize", 3, 7,
				json("{\"url\":\"https://example.com/a b.png\",\"w\":[1,2.5,null],\"t\":\"\\u00e9\\n\"}"),
				Instant.parse("2026-11-21T10:00:00.123456Z"));
		String stored = this.wire.json().writeValueAsString(task.payload());

		Message fromText = this.wire.taskMessage(task.id(), task.type(), task.attempt(), task.priority(), stored,
				task.createdAt(), null);

		assertThat(this.wire.readTask(fromText)).isEqualTo(task);
		assertThat(this.wire.json().readTree(fromText.getBody()))
			.isEqualTo(this.wire.json().readTree(this.wire.taskMessage(task).getBody()));
		assertThat(fromText.getMessageProperties().getPriority()).isEqualTo(7);
		assertThat(fromText.getMessageProperties().<Integer>getHeader(ProtocolHeaders.ATTEMPT)).isEqualTo(3);
	}

	@Test
	void repliesAreToldApartByTheTypeProperty() {
		UUID id = UUID.randomUUID();
		StartedNotice started = new StartedNotice(id, "echo", 1, UUID.randomUUID(), "w1", false, Instant.now());
		TaskResult result = new TaskResult(id, "echo", 1, started.deliveryId(), "w1", false, Outcome.SUCCEEDED,
				json("[1,2]"), null, started.startedAt(), Instant.now());

		assertThat(this.wire.readReply(this.wire.startedMessage(started))).isEqualTo(started);
		assertThat(this.wire.readReply(this.wire.resultMessage(result))).isEqualTo(result);
		ReleasedNotice released = new ReleasedNotice(id, "echo", 1, started.deliveryId(), "w1", false, Instant.now());
		assertThat(this.wire.readReply(this.wire.releasedMessage(released))).isEqualTo(released);
		assertThat(this.wire.releasedMessage(released).getMessageProperties().getType())
			.isEqualTo(ProtocolHeaders.RELEASED_TYPE);
	}

	@Test
	void bodyThatIsNotJsonIsMalformed() {
		Message message = withProtocol("not json".getBytes(StandardCharsets.UTF_8));

		assertThatExceptionOfType(MalformedMessageException.class).isThrownBy(() -> this.wire.readTask(message))
			.withMessageContaining("undecodable TaskMessage");
	}

	@Test
	void bodyThatIsTheJsonNullLiteralIsMalformedNotAnError() {
		Message task = withProtocol("null".getBytes(StandardCharsets.UTF_8));
		Message reply = withProtocol("null".getBytes(StandardCharsets.UTF_8));
		reply.getMessageProperties().setType(ProtocolHeaders.RESULT_TYPE);

		assertThatExceptionOfType(MalformedMessageException.class).isThrownBy(() -> this.wire.readTask(task))
			.withMessageContaining("not a JSON object");
		assertThatExceptionOfType(MalformedMessageException.class).isThrownBy(() -> this.wire.readReply(reply));
	}

	@Test
	void taskWithoutAnIdIsMalformed() {
		Message message = withProtocol("{\"type\":\"echo\",\"attempt\":1,\"createdAt\":\"2026-11-21T10:00:00Z\"}"
			.getBytes(StandardCharsets.UTF_8));

		assertThatExceptionOfType(MalformedMessageException.class).isThrownBy(() -> this.wire.readTask(message));
	}

	@Test
	void messageWithoutTheProtocolHeaderIsMalformed() {
		TaskMessage task = new TaskMessage(UUID.randomUUID(), "echo", 1, 0, null, Instant.now());
		Message message = new Message(this.wire.json().writeValueAsBytes(task), new MessageProperties());

		assertThatExceptionOfType(MalformedMessageException.class).isThrownBy(() -> this.wire.readTask(message))
			.withMessageContaining(ProtocolHeaders.PROTOCOL);
	}

	@Test
	void messageIdThatDiffersFromTheBodyIsMalformed() {
		Message message = this.wire.taskMessage(new TaskMessage(UUID.randomUUID(), "echo", 1, 0, null, Instant.now()));
		message.getMessageProperties().setMessageId(UUID.randomUUID().toString());

		assertThatExceptionOfType(MalformedMessageException.class).isThrownBy(() -> this.wire.readTask(message));
	}

	@Test
	void headersThatDisagreeWithTheBodyMakeAMessageMalformed() {
		Message task = this.wire
			.taskMessage(new TaskMessage(UUID.randomUUID(), "pdf.render", 2, 0, null, Instant.now()));
		task.getMessageProperties().setHeader(ProtocolHeaders.ATTEMPT, 1);
		Message typed = this.wire
			.taskMessage(new TaskMessage(UUID.randomUUID(), "pdf.render", 1, 0, null, Instant.now()));
		typed.getMessageProperties().setType("pdf");
		Message reply = this.wire.startedMessage(
				new StartedNotice(UUID.randomUUID(), "pdf.render", 3, UUID.randomUUID(), "w1", false, Instant.now()));
		reply.getMessageProperties().setHeader(ProtocolHeaders.ATTEMPT, "3");

		assertThatExceptionOfType(MalformedMessageException.class).isThrownBy(() -> this.wire.readTask(task))
			.withMessageContaining("x-warren-attempt header 1 differs from the body's attempt 2");
		assertThatExceptionOfType(MalformedMessageException.class).isThrownBy(() -> this.wire.readTask(typed))
			.withMessageContaining("type property pdf");
		assertThatExceptionOfType(MalformedMessageException.class).isThrownBy(() -> this.wire.readReply(reply));
	}

	@Test
	void replyWithoutAWorkerOrWithAnInvalidTypeIsMalformed() {
		String common = "\"taskId\":\"" + UUID.randomUUID() + "\",\"attempt\":1,\"deliveryId\":\"" + UUID.randomUUID()
				+ "\",\"redelivered\":false,\"releasedAt\":\"2026-11-21T10:00:00Z\"";
		Message noWorker = withProtocol(("{" + common + ",\"type\":\"echo\"}").getBytes(StandardCharsets.UTF_8));
		noWorker.getMessageProperties().setType(ProtocolHeaders.RELEASED_TYPE);
		Message badType = withProtocol(
				("{" + common + ",\"type\":\"Echo\",\"workerId\":\"w\"}").getBytes(StandardCharsets.UTF_8));
		badType.getMessageProperties().setType(ProtocolHeaders.RELEASED_TYPE);

		assertThatExceptionOfType(MalformedMessageException.class).isThrownBy(() -> this.wire.readReply(noWorker))
			.withMessageContaining("workerId");
		assertThatExceptionOfType(MalformedMessageException.class).isThrownBy(() -> this.wire.readReply(badType))
			.withMessageContaining("invalid task type");
	}

	@Test
	void unknownFieldsAreIgnoredForForwardCompatibility() {
		String body = "{\"id\":\"" + UUID.randomUUID() + "\",\"type\":\"echo\",\"attempt\":1,\"priority\":0,"
				+ "\"payload\":null,\"createdAt\":\"2026-11-21T10:00:00Z\",\"deadline\":\"later\"}";

		assertThat(this.wire.readTask(withProtocol(body.getBytes(StandardCharsets.UTF_8))).type()).isEqualTo("echo");
	}

	@Test
	void taskMessageCarriesItsTimeoutOnlyWhenItHasOne() {
		TaskMessage timed = new TaskMessage(UUID.randomUUID(), "report.monthly", 2, 0, json("{}"), Instant.now(),
				90_000L);
		Message message = this.wire.taskMessage(timed);

		assertThat(new String(message.getBody(), StandardCharsets.UTF_8)).contains("\"timeoutMs\":90000");
		assertThat(this.wire.readTask(message)).isEqualTo(timed);
		assertThat(new String(
				this.wire.taskMessage(new TaskMessage(UUID.randomUUID(), "echo", 1, 0, null, Instant.now())).getBody(),
				StandardCharsets.UTF_8))
			.doesNotContain("timeoutMs");
		String zero = "{\"id\":\"" + UUID.randomUUID() + "\",\"type\":\"echo\",\"attempt\":1,\"priority\":0,"
				+ "\"payload\":null,\"createdAt\":\"2026-11-21T10:00:00Z\",\"timeoutMs\":0}";
		assertThatExceptionOfType(MalformedMessageException.class)
			.isThrownBy(() -> this.wire.readTask(withProtocol(zero.getBytes(StandardCharsets.UTF_8))));
	}

	@Test
	void controlMessagesAndHeartbeatsRoundTripAndHostileOnesAreRefused() {
		UUID id = UUID.randomUUID();
		for (ControlMessage control : java.util.List.of(ControlMessage.cancel(id, 2),
				ControlMessage.pause("image.resize"), ControlMessage.resume("image.resize"),
				ControlMessage.state(java.util.List.of("a.b", "c")))) {
			Message message = this.wire.controlMessage(control);
			assertThat(message.getMessageProperties().getType()).isEqualTo(ProtocolHeaders.CONTROL_TYPE);
			assertThat(this.wire.readControl(message)).isEqualTo(control);
		}
		Heartbeat heartbeat = new Heartbeat("host-1-42", Heartbeat.BEAT, "RUNNING", "host-1", "0.1.0", 5000,
				Instant.now(), Instant.now(),
				java.util.List.of(new Heartbeat.TypeState("image.resize", 4, false, null)), java.util.List
					.of(new Heartbeat.RunningTask(id, "image.resize", 1, UUID.randomUUID(), Instant.now(), null)));
		assertThat(this.wire.readHeartbeat(this.wire.heartbeatMessage(heartbeat))).isEqualTo(heartbeat);
		for (String body : java.util.List.of("null", "{\"kind\":\"explode\"}", "{\"kind\":\"cancel\"}",
				"{\"kind\":\"pause\",\"type\":\"bad type\"}")) {
			assertThatExceptionOfType(MalformedMessageException.class)
				.isThrownBy(() -> this.wire.readControl(withProtocol(body.getBytes(StandardCharsets.UTF_8))));
		}
		for (String workerId : java.util.List.of("", "nul\\u0000id", "x".repeat(256))) {
			String body = "{\"workerId\":\"" + workerId + "\",\"event\":\"beat\",\"state\":\"RUNNING\","
					+ "\"intervalMs\":5000,\"startedAt\":\"2026-12-01T10:00:00Z\",\"sentAt\":\"2026-12-01T10:00:00Z\"}";
			assertThatExceptionOfType(MalformedMessageException.class)
				.isThrownBy(() -> this.wire.readHeartbeat(withProtocol(body.getBytes(StandardCharsets.UTF_8))));
		}
	}

	@Test
	void failedResultWithoutAnErrorIsRefused() {
		assertThatExceptionOfType(IllegalArgumentException.class).isThrownBy(() -> new TaskResult(UUID.randomUUID(),
				"echo", 1, UUID.randomUUID(), "w", false, Outcome.FAILED, null, null, null, Instant.now()));
	}

	private static Message withProtocol(byte[] body) {
		MessageProperties properties = new MessageProperties();
		properties.setHeader(ProtocolHeaders.PROTOCOL, 1);
		return new Message(body, properties);
	}

	private JsonNode json(String text) {
		return this.wire.json().readTree(text);
	}

}
