package io.warren.master.control;

import io.warren.master.task.Task;
import io.warren.master.task.TaskCancels;
import io.warren.protocol.ControlMessage;
import io.warren.protocol.Topology;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.stereotype.Component;

/**
 * Broadcasts control messages to every worker through the control exchange. Sent without
 * waiting for a confirm and not mandatory (no worker may be listening): a message a
 * worker misses is made up for when its next heartbeat shows the difference (a paused
 * type it still serves, a cancelled task it still runs), see {@code HeartbeatListener}.
 */
@Component
public class ControlChannel implements TaskCancels {

	private static final Logger log = LoggerFactory.getLogger(ControlChannel.class);

	private final RabbitTemplate template;

	private final WireFormat wire;

	private final String exchange;

	ControlChannel(ConnectionFactory connectionFactory, WireFormat wire, Topology topology) {
		this.template = new RabbitTemplate(connectionFactory);
		this.template.setMandatory(false);
		this.wire = wire;
		this.exchange = topology.controlExchange();
	}

	/** Sends the message to every worker; a broker that is down only logs. */
	public void broadcast(ControlMessage message) {
		try {
			this.template.send(this.exchange, "", this.wire.controlMessage(message));
		}
		catch (AmqpException ex) {
			log.warn("control message {} not sent (workers learn it from the next heartbeat's answer): {}",
					message.kind(), ex.getMessage());
		}
	}

	@Override
	public void cancel(Task task) {
		broadcast(ControlMessage.cancel(task.id(), task.attempt()));
	}

}
