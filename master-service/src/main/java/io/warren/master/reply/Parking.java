package io.warren.master.reply;

import java.time.Duration;

import io.micrometer.core.instrument.MeterRegistry;
import io.warren.protocol.ProtocolHeaders;
import io.warren.protocol.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.stereotype.Component;

/**
 * Moves a message the master cannot apply (malformed, or for an unknown task) to the
 * parked queue, with the reason in a header, and waits for the broker's confirm: the
 * caller acks the original only once the copy is safe.
 */
@Component
class Parking {

	private static final Logger log = LoggerFactory.getLogger(Parking.class);

	private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(30);

	private final ConfirmedSender sender;

	private final Topology topology;

	private final MeterRegistry meters;

	Parking(ConfirmedSender sender, Topology topology, MeterRegistry meters) {
		this.sender = sender;
		this.topology = topology;
		this.meters = meters;
		// at zero from the start, so that an alert on them has a series to watch
		for (String source : new String[] { "replies", "dead-letters" }) {
			meters.counter("warren.messages.parked", "source", source);
		}
	}

	void park(Message message, String reason, String source) {
		MessageProperties properties = message.getMessageProperties();
		log.warn("parking a message from {} (message_id {}): {}", source, properties.getMessageId(), reason);
		properties.setHeader(ProtocolHeaders.PARK_REASON, reason);
		this.sender.send("", this.topology.parkedQueue(), message, CONFIRM_TIMEOUT, "parked copy");
		this.meters.counter("warren.messages.parked", "source", source).increment();
	}

}
