package io.warren.master.reply;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.warren.master.task.Applied;
import io.warren.master.task.TaskTransitions;
import io.warren.protocol.ProtocolHeaders;
import io.warren.protocol.TaskError;
import io.warren.protocol.TaskMessage;
import io.warren.protocol.WireFormat;
import org.slf4j.MDC;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.stereotype.Component;

/**
 * Consumes the dead-letter queue: a task message that a worker could not decode, or that
 * the broker dead-lettered (delivery limit), fails its task with the reason, so that no
 * record stays {@code QUEUED} forever; at the delivery limit a task that never started is
 * published again instead (see {@link TaskTransitions#deliveryLimitReached}). A dead
 * letter that names no known task is parked.
 */
@Component
class DeadLetterListener extends SettlingListener {

	private final WireFormat wire;

	private final TaskTransitions transitions;

	private final Parking parking;

	DeadLetterListener(WireFormat wire, TaskTransitions transitions, Parking parking, TransientFailures failures) {
		super(failures);
		this.wire = wire;
		this.transitions = transitions;
		this.parking = parking;
	}

	@Override
	void handle(Message message) {
		UUID taskId = taskId(message);
		if (taskId == null) {
			this.parking.park(message, "dead letter without a task id", "dead-letters");
			return;
		}
		MDC.put("taskId", taskId.toString());
		MessageProperties properties = message.getMessageProperties();
		Applied applied = isDeliveryLimit(properties)
				? this.transitions.deliveryLimitReached(taskId, attempt(message), error(properties))
				: this.transitions.deadLettered(taskId, attempt(message), error(properties));
		if (applied == Applied.UNKNOWN_TASK) {
			this.parking.park(message, "dead letter for unknown task " + taskId, "dead-letters");
		}
	}

	private UUID taskId(Message message) {
		String messageId = message.getMessageProperties().getMessageId();
		if (messageId != null) {
			try {
				return UUID.fromString(messageId);
			}
			catch (IllegalArgumentException ex) {
				// fall back to the body
			}
		}
		try {
			return this.wire.json().readValue(message.getBody(), TaskMessage.class).id();
		}
		catch (RuntimeException ex) {
			return null;
		}
	}

	private static Integer attempt(Message message) {
		Object attempt = message.getMessageProperties().getHeaders().get(ProtocolHeaders.ATTEMPT);
		return (attempt instanceof Number number) ? number.intValue() : null;
	}

	static TaskError error(MessageProperties properties) {
		Object workerReason = properties.getHeaders().get(ProtocolHeaders.DEAD_REASON);
		if (workerReason != null) {
			return new TaskError(TaskError.MALFORMED, workerReason.toString(), false);
		}
		return new TaskError(TaskError.DEAD_LETTERED, "dead-lettered by the broker: " + brokerReason(properties),
				false);
	}

	/** Dead-lettered by the broker at the queue's delivery limit, not by a worker. */
	static boolean isDeliveryLimit(MessageProperties properties) {
		return properties.getHeaders().get(ProtocolHeaders.DEAD_REASON) == null
				&& "delivery_limit".equals(brokerReason(properties));
	}

	private static String brokerReason(MessageProperties properties) {
		Object first = properties.getHeaders().get("x-first-death-reason");
		if (first != null) {
			return first.toString();
		}
		List<Map<String, ?>> deaths = properties.getXDeathHeader();
		if (deaths != null && !deaths.isEmpty() && deaths.get(0).get("reason") != null) {
			return deaths.get(0).get("reason").toString();
		}
		return "unknown reason";
	}

}
