package io.warren.worker.execution;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.warren.protocol.StartVerdict;
import io.warren.protocol.Topology;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageListener;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;

/**
 * The master's answers to started notices of redelivered deliveries, received on this
 * worker's own queue (exclusive, auto-delete, named in the notice's {@code reply_to}). A
 * delivery that was delivered before may belong to a task that is already finished, to an
 * attempt that is no longer current, or to a task that killed every worker that ran it:
 * the master says whether to run it. An answer that does not come within the timeout lets
 * the delivery run (at least once rather than never). A plain map of futures keyed by
 * delivery id rather than Spring AMQP's request/reply template: that template sets
 * correlation headers of its own on the notice, which would then be part of the protocol.
 */
public class StartVerdicts {

	private static final Logger log = LoggerFactory.getLogger(StartVerdicts.class);

	private final String queue;

	private final WireFormat wire;

	private final Duration timeout;

	private final Map<UUID, CompletableFuture<StartVerdict>> waiting = new ConcurrentHashMap<>();

	private SimpleMessageListenerContainer container;

	public StartVerdicts(Topology topology, WireFormat wire, Duration timeout) {
		this.queue = topology.verdictQueuePrefix() + UUID.randomUUID();
		this.wire = wire;
		this.timeout = timeout;
	}

	/** The queue the master answers on, for the notice's {@code reply_to}. */
	public String queue() {
		return this.queue;
	}

	/** Declares the queue; on every new connection, since it dies with the old one. */
	void declare(AmqpAdmin admin) {
		admin.declareQueue(new Queue(this.queue, false, true, true));
	}

	void start(ConnectionFactory connectionFactory) {
		this.container = startNoAck(connectionFactory, this.queue, this::received);
	}

	/**
	 * Consumes a worker's own queue (verdicts, control messages) without acks, as long as
	 * the worker runs.
	 */
	static SimpleMessageListenerContainer startNoAck(ConnectionFactory connectionFactory, String queue,
			MessageListener listener) {
		SimpleMessageListenerContainer container = new SimpleMessageListenerContainer(connectionFactory);
		container.setQueueNames(queue);
		container.setAcknowledgeMode(AcknowledgeMode.NONE);
		container.setMissingQueuesFatal(false);
		container.setMessageListener(listener);
		container.start();
		return container;
	}

	void stop() {
		if (this.container != null) {
			this.container.stop();
		}
	}

	/** Registers a delivery whose verdict is about to be asked for. */
	CompletableFuture<StartVerdict> expect(UUID deliveryId) {
		CompletableFuture<StartVerdict> verdict = new CompletableFuture<>();
		this.waiting.put(deliveryId, verdict);
		return verdict;
	}

	/** Stops waiting for a delivery's verdict (its notice was not sent). */
	void forget(UUID deliveryId) {
		this.waiting.remove(deliveryId);
	}

	/** The delivery's verdict, or {@code null} if none came within the timeout. */
	StartVerdict await(UUID deliveryId, CompletableFuture<StartVerdict> verdict) throws InterruptedException {
		try {
			return verdict.get(this.timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (TimeoutException ex) {
			log.info("no verdict from the master within {} for delivery {}; running it", this.timeout, deliveryId);
			return null;
		}
		catch (ExecutionException ex) {
			return null;
		}
		finally {
			this.waiting.remove(deliveryId);
		}
	}

	void received(Message message) {
		try {
			StartVerdict verdict = this.wire.readVerdict(message);
			CompletableFuture<StartVerdict> waiter = this.waiting.get(verdict.deliveryId());
			if (waiter != null) {
				waiter.complete(verdict);
			}
		}
		catch (RuntimeException ex) {
			log.warn("ignoring an unreadable verdict (message_id {}): {}",
					message.getMessageProperties().getMessageId(), ex.getMessage());
		}
	}

}
