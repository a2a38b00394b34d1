package io.warren.master.reply;

import io.warren.master.task.Applied;
import io.warren.protocol.StartVerdict;
import io.warren.protocol.StartedNotice;
import io.warren.protocol.Topology;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.stereotype.Component;

/**
 * Answers the started notices that ask whether to run their delivery (a {@code reply_to}
 * on a redelivered delivery), once what they did is committed: run it if the notice moved
 * its task or counted a duplicate of a running one; not if the task is finished or
 * waiting, the attempt is stale, the task is unknown or was poisoned by this very notice.
 * Sent without a confirm to the worker's own queue: a lost answer only makes the worker
 * wait out its timeout and run the delivery.
 */
@Component
class Verdicts {

	private static final Logger log = LoggerFactory.getLogger(Verdicts.class);

	private final RabbitTemplate template;

	private final WireFormat wire;

	private final String queuePrefix;

	Verdicts(RabbitTemplate template, WireFormat wire, Topology topology) {
		this.template = template;
		this.wire = wire;
		this.queuePrefix = topology.verdictQueuePrefix();
	}

	/**
	 * Whether the message is a started notice that asks for a verdict: its
	 * {@code reply_to} names a verdict queue (never any other queue, such as a task
	 * queue, where a verdict would be taken for a task message).
	 */
	boolean asks(Message message) {
		String replyTo = message.getMessageProperties().getReplyTo();
		return replyTo != null && replyTo.startsWith(this.queuePrefix) && replyTo.length() > this.queuePrefix.length();
	}

	/** Answers the notice in {@code request} with what applying it did. */
	void answer(Message request, StartedNotice notice, Applied applied) {
		boolean run = applied == Applied.APPLIED || applied == Applied.INVALID;
		String reason = switch (applied) {
			case APPLIED, INVALID -> null;
			case POISONED -> "the task was poisoned: its attempt started too often without a result";
			case CANCELLED -> "the task was cancelled";
			case STALE -> "attempt " + notice.attempt() + " is no longer the task's current attempt";
			case UNKNOWN_TASK -> "no task with this id";
			default -> "the task is finished or waiting";
		};
		StartVerdict verdict = new StartVerdict(notice.taskId(), notice.attempt(), notice.deliveryId(), run, reason);
		try {
			this.template.send("", request.getMessageProperties().getReplyTo(), this.wire.verdictMessage(verdict));
		}
		catch (AmqpException ex) {
			log.debug("task {} verdict for delivery {} not sent (the worker runs it after its timeout): {}",
					notice.taskId(), notice.deliveryId(), ex.getMessage());
		}
	}

}
