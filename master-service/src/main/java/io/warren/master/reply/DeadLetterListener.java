package io.warren.master.reply;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.warren.master.config.MasterProperties;
import io.warren.master.task.Applied;
import io.warren.master.task.TaskTransitions;
import io.warren.protocol.ProtocolHeaders;
import io.warren.protocol.TaskError;
import io.warren.protocol.TaskMessage;
import io.warren.protocol.Topology;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.stereotype.Component;

/**
 * Consumes the dead-letter queue: a task message that a worker could not decode, or that
 * the broker dead-lettered (delivery limit), fails its task with the reason, so that no
 * record stays {@code QUEUED} forever; at the delivery limit, the message of a task that
 * no worker ever started is published again instead, up to
 * {@link TaskTransitions#MAX_REPUBLISHED} times (see
 * {@link TaskTransitions#deliveryLimitReached}). A dead letter that names no known task
 * is parked.
 */
@Component
class DeadLetterListener extends SettlingListener {

	private final WireFormat wire;

	private final TaskTransitions transitions;

	private static final Logger log = LoggerFactory.getLogger(DeadLetterListener.class);

	private final Parking parking;

	private final ConfirmedSender sender;

	private final Topology topology;

	private final Duration confirmTimeout;

	DeadLetterListener(WireFormat wire, TaskTransitions transitions, Parking parking, TransientFailures failures,
			ConfirmedSender sender, Topology topology, MasterProperties properties) {
		super(failures);
		this.wire = wire;
		this.transitions = transitions;
		this.parking = parking;
		this.sender = sender;
		this.topology = topology;
		this.confirmTimeout = properties.relay().confirmTimeout();
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
		Applied applied;
		if (isDeliveryLimit(properties)) {
			int republished = republished(properties);
			applied = this.transitions.deliveryLimitReached(taskId,
					MessageIdentity.attempt(message.getMessageProperties()), error(properties),
					republished < TaskTransitions.MAX_REPUBLISHED);
			if (applied == Applied.NEVER_STARTED) {
				publishAgain(message, republished + 1);
			}
		}
		else {
			applied = this.transitions.deadLettered(taskId, MessageIdentity.attempt(message.getMessageProperties()),
					error(properties));
		}
		if (applied == Applied.UNKNOWN_TASK) {
			this.parking.park(message, "dead letter for unknown task " + taskId, "dead-letters");
		}
	}

	/**
	 * Publishes a task message the broker dead-lettered at the delivery limit although no
	 * worker started it, as it was, with the count of such republishes; returns once the
	 * broker confirmed it (else throws, and the dead letter is handed back).
	 */
	private void publishAgain(Message dead, int republished) {
		MessageProperties from = dead.getMessageProperties();
		MessageProperties properties = new MessageProperties();
		properties.setMessageId(from.getMessageId());
		properties.setCorrelationId(from.getCorrelationId());
		properties.setType(from.getType());
		properties.setContentType(from.getContentType());
		properties.setContentEncoding(from.getContentEncoding());
		properties.setPriority(from.getPriority());
		properties.setTimestamp(from.getTimestamp());
		properties.setAppId(from.getAppId());
		properties.setDeliveryMode(MessageDeliveryMode.PERSISTENT);
		from.getHeaders().forEach((name, value) -> {
			if (name.startsWith("x-warren-")) {
				properties.setHeader(name, value);
			}
		});
		properties.setHeader(ProtocolHeaders.REPUBLISHED, republished);
		String type = (from.getReceivedRoutingKey() != null) ? from.getReceivedRoutingKey() : from.getType();
		this.sender.send(this.topology.tasksExchange(), type, new Message(dead.getBody(), properties),
				this.confirmTimeout, "task message published again");
		log.warn(
				"task {} reached the delivery limit without any worker starting it (held by workers that stopped or"
						+ " died); published again ({} of {})",
				from.getMessageId(), republished, TaskTransitions.MAX_REPUBLISHED);
	}

	private static int republished(MessageProperties properties) {
		Object count = properties.getHeaders().get(ProtocolHeaders.REPUBLISHED);
		return (count instanceof Number number) ? number.intValue() : 0;
	}

	private UUID taskId(Message message) {
		UUID named = MessageIdentity.taskId(message.getMessageProperties());
		if (named != null) {
			return named;
		}
		try {
			return this.wire.json().readValue(message.getBody(), TaskMessage.class).id();
		}
		catch (RuntimeException ex) {
			return null;
		}
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
