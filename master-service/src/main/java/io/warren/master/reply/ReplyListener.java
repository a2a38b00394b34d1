package io.warren.master.reply;

import com.rabbitmq.client.Channel;
import io.warren.protocol.MalformedMessageException;
import io.warren.protocol.Reply;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;
import org.springframework.stereotype.Component;

/**
 * Consumes the reply queue. A reply is acked only after its effect is committed; one that
 * cannot be applied is parked first; one whose commit failed is handed back to the
 * broker.
 */
@Component
class ReplyListener implements ChannelAwareMessageListener {

	private static final Logger log = LoggerFactory.getLogger(ReplyListener.class);

	private final WireFormat wire;

	private final ReplyApplier applier;

	private final Parking parking;

	private final TransientFailures failures;

	ReplyListener(WireFormat wire, ReplyApplier applier, Parking parking, TransientFailures failures) {
		this.wire = wire;
		this.applier = applier;
		this.parking = parking;
		this.failures = failures;
	}

	@Override
	public void onMessage(Message message, Channel channel) throws Exception {
		long tag = message.getMessageProperties().getDeliveryTag();
		try {
			handle(message);
			channel.basicAck(tag, false);
			this.failures.succeeded();
		}
		catch (RuntimeException ex) {
			// in MANUAL ack mode nothing else would ever settle this delivery
			log.warn("reply {} not applied, handing it back to the broker: {}",
					message.getMessageProperties().getMessageId(), ex.getMessage());
			this.failures.failed();
			channel.basicNack(tag, false, true);
		}
		finally {
			MDC.remove("taskId");
		}
	}

	private void handle(Message message) {
		Reply reply;
		try {
			reply = this.wire.readReply(message);
		}
		catch (MalformedMessageException ex) {
			this.parking.park(message, "malformed reply: " + ex.getMessage(), "replies");
			return;
		}
		MDC.put("taskId", reply.taskId().toString());
		if (this.applier.apply(reply) == Applied.UNKNOWN_TASK) {
			this.parking.park(message, "no task with id " + reply.taskId(), "replies");
		}
	}

}
