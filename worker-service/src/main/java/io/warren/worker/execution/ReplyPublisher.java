package io.warren.worker.execution;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
 * Sends what a worker reports, each confirmed by the broker: the started notice before
 * the handler runs (the evidence of a run is safe before the run), results and dead
 * letters before the task message is acked. A result's confirm is not waited for on the
 * handler's thread: {@link #result} returns the confirm to come, and the task is acked
 * when it arrives (see {@link ResultAcks}).
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

	/**
	 * Sends a started notice and returns once the broker confirmed it; throws if it did
	 * not.
	 */
	public void started(StartedNotice notice) {
		sendConfirmed(this.topology.resultsExchange(), Topology.startedRoutingKey(notice.type()),
				this.wire.startedMessage(notice));
	}

	/**
	 * Sends a started notice that asks the master whether to run the delivery, the answer
	 * going to {@code replyTo}; returns once the broker confirmed the notice.
	 */
	public void started(StartedNotice notice, String replyTo) {
		sendConfirmed(this.topology.resultsExchange(), Topology.startedRoutingKey(notice.type()),
				this.wire.startedMessage(notice, replyTo));
	}

	/**
	 * Sends a result; the returned future completes when the broker confirmed it, or
	 * exceptionally with {@link UnconfirmedException} when it refused or returned it or
	 * did not answer within the confirm timeout. Throws at once if it cannot be sent.
	 */
	public CompletableFuture<Void> result(TaskResult result) {
		return send(this.topology.resultsExchange(), Topology.resultRoutingKey(result.type()),
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
	 * Sends a released notice for a delivery handed back because a reply was not
	 * confirmed, without waiting: the master then does not count the delivery as one
	 * whose worker died (poisoning). Lost when the broker refuses it too, which only
	 * counts the delivery as before.
	 */
	public void releasedWithoutWaiting(ReleasedNotice notice) {
		try {
			send(this.topology.resultsExchange(), Topology.releasedRoutingKey(notice.type()),
					this.wire.releasedMessage(notice));
		}
		catch (RuntimeException ex) {
			log.debug("task {} released notice not sent: {}", notice.taskId(), ex.getMessage());
		}
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
		try {
			send(exchange, routingKey, message).get();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new UnconfirmedException("interrupted waiting for the confirm", ex);
		}
		catch (ExecutionException ex) {
			throw (UnconfirmedException) ex.getCause();
		}
	}

	private CompletableFuture<Void> send(String exchange, String routingKey, Message message) {
		CorrelationData correlation = new CorrelationData();
		this.template.send(exchange, routingKey, message, correlation);
		return correlation.getFuture()
			.copy()
			.orTimeout(this.confirmTimeout.toMillis(), TimeUnit.MILLISECONDS)
			.handle((confirm, failure) -> {
				if (failure != null) {
					Throwable cause = (failure instanceof CompletionException) ? failure.getCause() : failure;
					throw (cause instanceof TimeoutException)
							? new UnconfirmedException("no confirm within " + this.confirmTimeout, cause)
							: new UnconfirmedException("no confirm: " + cause.getMessage(), cause);
				}
				if (!confirm.ack()) {
					throw new UnconfirmedException("broker refused the message: " + confirm.reason(), null);
				}
				if (correlation.getReturned() != null) {
					throw new UnconfirmedException("unroutable: " + correlation.getReturned().getReplyText(), null);
				}
				return null;
			});
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
