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

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

/**
 * Sends what a worker reports, each confirmed by the broker before the caller goes on:
 * the started notice before the handler runs (the evidence of a run is safe before the
 * run), results and dead letters before the task message is acked.
 */
public class ReplyPublisher {

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

	/**
	 * Sends a started notice and returns once the broker confirmed it; throws if it did
	 * not.
	 */
	public void started(StartedNotice notice) {
		sendConfirmed(this.topology.resultsExchange(), Topology.startedRoutingKey(notice.type()),
				this.wire.startedMessage(notice));
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
