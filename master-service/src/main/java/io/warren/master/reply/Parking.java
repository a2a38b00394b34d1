package io.warren.master.reply;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.warren.protocol.ProtocolHeaders;
import io.warren.protocol.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.AmqpIOException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.stereotype.Component;

/**
 * Moves a message the master cannot apply (malformed, or for an unknown task) to the
 * parked queue, with the reason in a header, and waits for the broker's confirm: the
 * caller acks the original only once the copy is safe.
 */
@Component
class Parking {

	private static final Logger log = LoggerFactory.getLogger(Parking.class);

	private final RabbitTemplate template;

	private final Topology topology;

	private final MeterRegistry meters;

	Parking(RabbitTemplate template, Topology topology, MeterRegistry meters) {
		this.template = template;
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
		CorrelationData correlation = new CorrelationData();
		this.template.send("", this.topology.parkedQueue(), message, correlation);
		try {
			CorrelationData.Confirm confirm = correlation.getFuture().get(30, TimeUnit.SECONDS);
			if (!confirm.ack() || correlation.getReturned() != null) {
				throw new AmqpIOException(new java.io.IOException("parked copy not confirmed: " + confirm.reason()));
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AmqpException("interrupted while parking", ex);
		}
		catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex) {
			throw new AmqpException("parked copy not confirmed", ex);
		}
		this.meters.counter("warren.messages.parked", "source", source).increment();
	}

}
