package io.warren.master.reply;

import io.warren.protocol.MalformedMessageException;
import io.warren.protocol.Reply;
import io.warren.protocol.WireFormat;
import org.slf4j.MDC;

import org.springframework.amqp.core.Message;
import org.springframework.stereotype.Component;

/**
 * Consumes the reply queue. A reply is acked only after its effect is committed; one that
 * cannot be applied is parked first; one whose commit failed is handed back to the
 * broker.
 */
@Component
class ReplyListener extends SettlingListener {

	private final WireFormat wire;

	private final ReplyApplier applier;

	private final Parking parking;

	ReplyListener(WireFormat wire, ReplyApplier applier, Parking parking, TransientFailures failures) {
		super(failures);
		this.wire = wire;
		this.applier = applier;
		this.parking = parking;
	}

	@Override
	void handle(Message message) {
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
