package io.warren.worker.execution;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import io.warren.protocol.ControlMessage;
import io.warren.protocol.Topology;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.FanoutExchange;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;

/**
 * This worker's end of the control channel: its own queue (exclusive, auto-delete, a
 * unique name under {@link Topology#controlQueuePrefix()}), bound to the control
 * exchange, consumed without acks. Cancels interrupt running deliveries; pause, resume
 * and the full state of paused types go to {@link WorkerContainers}.
 */
class ControlListener {

	private static final Logger log = LoggerFactory.getLogger(ControlListener.class);

	private final String queue;

	private final String exchange;

	private final WireFormat wire;

	private final TaskControl control;

	private final WorkerContainers containers;

	private final CompletableFuture<Void> firstState = new CompletableFuture<>();

	private SimpleMessageListenerContainer container;

	ControlListener(Topology topology, WireFormat wire, TaskControl control, WorkerContainers containers) {
		this.queue = topology.controlQueuePrefix() + UUID.randomUUID();
		this.exchange = topology.controlExchange();
		this.wire = wire;
		this.control = control;
		this.containers = containers;
	}

	/** Completes when the first full state of paused types came. */
	CompletableFuture<Void> firstState() {
		return this.firstState;
	}

	/** Declares the queue and its binding; on every new connection (it dies with one). */
	void declare(AmqpAdmin admin) {
		Queue declared = new Queue(this.queue, false, true, true);
		admin.declareQueue(declared);
		admin.declareExchange(new FanoutExchange(this.exchange, true, false));
		Binding binding = BindingBuilder.bind(declared).to(new FanoutExchange(this.exchange, true, false));
		admin.declareBinding(binding);
	}

	void start(ConnectionFactory connectionFactory) {
		this.container = StartVerdicts.startNoAck(connectionFactory, this.queue, this::received);
	}

	void stop() {
		if (this.container != null) {
			this.container.stop();
		}
	}

	void received(Message message) {
		ControlMessage control;
		try {
			control = this.wire.readControl(message);
		}
		catch (RuntimeException ex) {
			log.warn("ignoring an unreadable control message: {}", ex.getMessage());
			return;
		}
		switch (control.kind()) {
			case ControlMessage.CANCEL -> this.control.cancel(control.taskId(), control.attempt());
			case ControlMessage.PAUSE -> this.containers.pause(control.type(), control.sentAt());
			case ControlMessage.RESUME -> this.containers.resume(control.type(), control.sentAt());
			case ControlMessage.STATE -> {
				this.containers.pausedTypes(control.pausedTypes(), control.sentAt());
				this.firstState.complete(null);
			}
			default -> log.warn("ignoring control message of kind {}", control.kind());
		}
	}

}
