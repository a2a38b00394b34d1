package io.warren.master.reply;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.AmqpIOException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.stereotype.Component;

/**
 * Sends a message that must be safe before the caller acks the one it came from (a parked
 * copy, a dead letter published again), and returns once the broker confirmed it: acked
 * and not returned. Throws otherwise, so the caller hands the original back.
 */
@Component
class ConfirmedSender {

	private final RabbitTemplate template;

	ConfirmedSender(RabbitTemplate template) {
		this.template = template;
	}

	/**
	 * Sends and waits up to {@code timeout} for the confirm; {@code what} names the
	 * message in the exception.
	 */
	void send(String exchange, String routingKey, Message message, Duration timeout, String what) {
		CorrelationData correlation = new CorrelationData();
		this.template.send(exchange, routingKey, message, correlation);
		CorrelationData.Confirm confirm;
		try {
			confirm = correlation.getFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AmqpException("interrupted waiting for the confirm of the " + what, ex);
		}
		catch (ExecutionException | TimeoutException ex) {
			throw new AmqpException(what + " not confirmed within " + timeout, ex);
		}
		if (!confirm.ack() || correlation.getReturned() != null) {
			String why = (correlation.getReturned() != null) ? correlation.getReturned().getReplyText()
					: confirm.reason();
			throw new AmqpIOException(new IOException(what + " not taken by the broker: " + why));
		}
	}

}
