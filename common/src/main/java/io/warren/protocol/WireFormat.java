package io.warren.protocol;

import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;

/**
 * Turns protocol records into AMQP messages and back. Bodies are JSON; the record type is
 * chosen by the protocol (the queue and the {@code type} property), never by a header
 * that names a Java class.
 */
public final class WireFormat {

	private final JsonMapper json;

	private final String appId;

	/**
	 * @param appId written to the {@code app_id} property of every message this side
	 * sends
	 */
	public WireFormat(String appId) {
		this.appId = appId;
		this.json = JsonMapper.builder()
			.disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
			.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
			.build();
	}

	/** The JSON mapper used for bodies; ISO-8601 UTC times, unknown fields ignored. */
	public JsonMapper json() {
		return this.json;
	}

	/** A persistent task message for one attempt. */
	public Message taskMessage(TaskMessage task) {
		return taskMessage(task.id(), task.type(), task.attempt(), task.priority(),
				this.json.writeValueAsString(task.payload()), task.createdAt(), task.timeoutMs());
	}

	/**
	 * A persistent task message whose payload is already JSON text (as stored): written
	 * into the body as it is, without parsing it again; {@code timeoutMs} is left out
	 * when {@code null}.
	 */
	public Message taskMessage(UUID id, String type, int attempt, int priority, String payloadJson, Instant createdAt,
			Long timeoutMs) {
		ByteArrayOutputStream body = new ByteArrayOutputStream(96 + type.length() + payloadJson.length());
		try (JsonGenerator generator = this.json.createGenerator(body)) {
			generator.writeStartObject();
			generator.writeStringProperty("id", id.toString());
			generator.writeStringProperty("type", type);
			generator.writeNumberProperty("attempt", attempt);
			generator.writeNumberProperty("priority", priority);
			generator.writeName("payload");
			generator.writeRawValue(payloadJson);
			generator.writeStringProperty("createdAt", createdAt.toString());
			if (timeoutMs != null) {
				generator.writeNumberProperty("timeoutMs", timeoutMs);
			}
			generator.writeEndObject();
		}
		MessageProperties properties = properties(id.toString(), type, attempt);
		properties.setPriority(priority);
		return new Message(body.toByteArray(), properties);
	}

	/** A persistent started notice. */
	public Message startedMessage(StartedNotice notice) {
		return new Message(this.json.writeValueAsBytes(notice),
				properties(notice.taskId().toString(), ProtocolHeaders.STARTED_TYPE, notice.attempt()));
	}

	/** A persistent result. */
	public Message resultMessage(TaskResult result) {
		return new Message(this.json.writeValueAsBytes(result),
				properties(result.taskId().toString(), ProtocolHeaders.RESULT_TYPE, result.attempt()));
	}

	/** A persistent released notice. */
	public Message releasedMessage(ReleasedNotice notice) {
		return new Message(this.json.writeValueAsBytes(notice),
				properties(notice.taskId().toString(), ProtocolHeaders.RELEASED_TYPE, notice.attempt()));
	}

	/**
	 * A started notice that asks the master whether to run its delivery: the answer goes
	 * to the queue {@code replyTo}.
	 */
	public Message startedMessage(StartedNotice notice, String replyTo) {
		Message message = startedMessage(notice);
		message.getMessageProperties().setReplyTo(replyTo);
		return message;
	}

	/**
	 * The master's answer to a started notice: transient (it goes to the asking worker's
	 * own queue, which dies with it).
	 */
	public Message verdictMessage(StartVerdict verdict) {
		MessageProperties properties = properties(verdict.taskId().toString(), ProtocolHeaders.VERDICT_TYPE,
				verdict.attempt());
		properties.setDeliveryMode(MessageDeliveryMode.NON_PERSISTENT);
		return new Message(this.json.writeValueAsBytes(verdict), properties);
	}

	/**
	 * A control message, transient: it goes through the control exchange to each worker's
	 * own queue, which dies with the worker.
	 */
	public Message controlMessage(ControlMessage control) {
		return transientMessage(control, ProtocolHeaders.CONTROL_TYPE);
	}

	/**
	 * Reads a control message; throws {@link MalformedMessageException} if it is not one.
	 */
	public ControlMessage readControl(Message message) {
		requireProtocol(message);
		return read(message, ControlMessage.class);
	}

	/** A heartbeat, transient: a lost one is made up for by the next. */
	public Message heartbeatMessage(Heartbeat heartbeat) {
		return transientMessage(heartbeat, ProtocolHeaders.HEARTBEAT_TYPE);
	}

	/**
	 * A task's status event, transient: events are notifications, and a lost one leaves
	 * the record true.
	 */
	public Message statusEvent(TaskStatusEvent event) {
		Message message = transientMessage(event, ProtocolHeaders.EVENT_TYPE);
		message.getMessageProperties().setCorrelationId(event.id().toString());
		return message;
	}

	/**
	 * Reads a status event; throws {@link MalformedMessageException} if it is not one.
	 */
	public TaskStatusEvent readStatusEvent(Message message) {
		requireProtocol(message);
		return read(message, TaskStatusEvent.class);
	}

	/** A transient message of the protocol, without task identifiers. */
	private Message transientMessage(Object body, String type) {
		MessageProperties properties = new MessageProperties();
		properties.setDeliveryMode(MessageDeliveryMode.NON_PERSISTENT);
		properties.setContentType(ProtocolHeaders.CONTENT_TYPE);
		properties.setContentEncoding("utf-8");
		properties.setType(type);
		properties.setAppId(this.appId);
		properties.setTimestamp(new Date());
		properties.setHeader(ProtocolHeaders.PROTOCOL, ProtocolHeaders.VERSION);
		return new Message(this.json.writeValueAsBytes(body), properties);
	}

	/** Reads a heartbeat; throws {@link MalformedMessageException} if it is not one. */
	public Heartbeat readHeartbeat(Message message) {
		requireProtocol(message);
		return read(message, Heartbeat.class);
	}

	/** Reads a verdict; throws {@link MalformedMessageException} if it is not one. */
	public StartVerdict readVerdict(Message message) {
		requireProtocol(message);
		StartVerdict verdict = read(message, StartVerdict.class);
		requireAttempt(message, verdict.attempt());
		return verdict;
	}

	/**
	 * Reads a task message; throws {@link MalformedMessageException} if it is not one.
	 */
	public TaskMessage readTask(Message message) {
		requireProtocol(message);
		TaskMessage task = read(message, TaskMessage.class);
		String messageId = message.getMessageProperties().getMessageId();
		if (messageId != null && !messageId.equals(task.id().toString())) {
			throw new MalformedMessageException("message_id " + messageId + " differs from the body's id");
		}
		String type = message.getMessageProperties().getType();
		if (type != null && !type.equals(task.type())) {
			throw new MalformedMessageException("type property " + type + " differs from the body's type");
		}
		requireAttempt(message, task.attempt());
		return task;
	}

	/**
	 * Reads a started notice, a result or a released notice, told apart by the
	 * {@code type} property.
	 */
	public Reply readReply(Message message) {
		requireProtocol(message);
		String type = message.getMessageProperties().getType();
		Reply reply;
		if (ProtocolHeaders.STARTED_TYPE.equals(type)) {
			reply = read(message, StartedNotice.class);
		}
		else if (ProtocolHeaders.RESULT_TYPE.equals(type)) {
			reply = read(message, TaskResult.class);
		}
		else if (ProtocolHeaders.RELEASED_TYPE.equals(type)) {
			reply = read(message, ReleasedNotice.class);
		}
		else {
			throw new MalformedMessageException("unknown reply type property: " + type);
		}
		requireAttempt(message, reply.attempt());
		return reply;
	}

	/** The attempt header, when present, must say what the body says. */
	private static void requireAttempt(Message message, int attempt) {
		Object header = message.getMessageProperties().getHeaders().get(ProtocolHeaders.ATTEMPT);
		if (header != null && !(header instanceof Number number && number.longValue() == attempt)) {
			throw new MalformedMessageException(
					ProtocolHeaders.ATTEMPT + " header " + header + " differs from the body's attempt " + attempt);
		}
	}

	private <T> T read(Message message, Class<T> type) {
		T value;
		try {
			value = this.json.readValue(message.getBody(), type);
		}
		catch (JacksonException ex) {
			throw new MalformedMessageException("undecodable " + type.getSimpleName() + ": " + rootMessage(ex), ex);
		}
		if (value == null) {
			// the JSON literal null, or an empty body
			throw new MalformedMessageException("undecodable " + type.getSimpleName() + ": not a JSON object");
		}
		return value;
	}

	private static String rootMessage(Throwable ex) {
		Throwable root = ex;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		String text = (root instanceof JacksonException jackson) ? jackson.getOriginalMessage() : root.getMessage();
		return (text != null && text.length() > 300) ? text.substring(0, 300) : text;
	}

	private static void requireProtocol(Message message) {
		Object version = message.getMessageProperties().getHeaders().get(ProtocolHeaders.PROTOCOL);
		if (!(version instanceof Number number) || number.intValue() != ProtocolHeaders.VERSION) {
			throw new MalformedMessageException("unsupported or missing " + ProtocolHeaders.PROTOCOL + ": " + version);
		}
	}

	private MessageProperties properties(String taskId, String type, int attempt) {
		MessageProperties properties = new MessageProperties();
		properties.setDeliveryMode(MessageDeliveryMode.PERSISTENT);
		properties.setContentType(ProtocolHeaders.CONTENT_TYPE);
		properties.setContentEncoding("utf-8");
		properties.setMessageId(taskId);
		properties.setCorrelationId(taskId);
		properties.setType(type);
		properties.setAppId(this.appId);
		properties.setTimestamp(new Date());
		properties.setHeader(ProtocolHeaders.PROTOCOL, ProtocolHeaders.VERSION);
		properties.setHeader(ProtocolHeaders.ATTEMPT, attempt);
		return properties;
	}

}
