package io.warren.worker.execution;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.warren.protocol.ProtocolHeaders;
import io.warren.protocol.ReleasedNotice;
import io.warren.protocol.StartedNotice;
import io.warren.protocol.TaskResult;
import io.warren.protocol.Topology;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

/**
 * Sends what a worker reports: started notices without waiting (they are advisory),
 * results and dead letters only with a broker confirm, since the task message is acked
 * after them.
 */
public class ReplyPublisher {

	private static final Logger log = LoggerFactory.getLogger(ReplyPublisher.class);

	private final RabbitTemplate template;

	private final Topology topology;

	private final WireFormat wire;

	private final Duration confirmTimeout;

	public ReplyPublisher(RabbitTemplate template, Topology topology, WireFormat wire, Duration confirmTimeout) {
		this.template = template;
		this.topology = topology;
		this.wire = wire;
		this.confirmTimeout = confirmTimeout;
	}

	/** Sends a started notice; a failure is logged, never thrown. */
	public void started(StartedNotice notice) {
		try {
			this.template.send(this.topology.resultsExchange(), Topology.startedRoutingKey(notice.type()),
					this.wire.startedMessage(notice));
		}
		catch (AmqpException ex) {
			log.warn("task {} started notice not sent: {}", notice.taskId(), ex.getMessage());
		}
	}

	/** Sends a result and returns once the broker confirmed it; throws if it did not. */
	public void result(TaskResult result) {
		sendConfirmed(this.topology.resultsExchange(), Topology.resultRoutingKey(result.type()),
				this.wire.resultMessage(result));
	}

	/**
	 * Sends a released notice and returns once the broker confirmed it; throws if it did
	 * not.
	 */
	public void released(ReleasedNotice notice) {
		sendConfirmed(this.topology.resultsExchange(), Topology.releasedRoutingKey(notice.type()),
				this.wire.releasedMessage(notice));
	}

	/**
	 * Copies a task message to the dead-letter exchange with the reason; returns once
	 * confirmed.
	 */
	public void deadLetter(Message message, String routingKey, String reason) {
		message.getMessageProperties().setHeader(ProtocolHeaders.DEAD_REASON, reason);
		sendConfirmed(this.topology.deadLetterExchange(), routingKey, message);
	}

	private void sendConfirmed(String exchange, String routingKey, Message message) {
		CorrelationData correlation = new CorrelationData();
		this.template.send(exchange, routingKey, message, correlation);
		CorrelationData.Confirm confirm;
		try {
			confirm = correlation.getFuture().get(this.confirmTimeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new UnconfirmedException("interrupted waiting for the confirm", ex);
		}
		catch (ExecutionException | TimeoutException ex) {
			throw new UnconfirmedException("no confirm within " + this.confirmTimeout, ex);
		}
		if (!confirm.ack()) {
			throw new UnconfirmedException("broker refused the message: " + confirm.reason(), null);
		}
		if (correlation.getReturned() != null) {
			throw new UnconfirmedException("unroutable: " + correlation.getReturned().getReplyText(), null);
		}
	}

	/**
	 * The broker did not confirm a message that must be safe before the task is acked.
	 */
	public static class UnconfirmedException extends AmqpException {

		UnconfirmedException(String message, Throwable cause) {
			super(message, cause);
		}

	}

}
