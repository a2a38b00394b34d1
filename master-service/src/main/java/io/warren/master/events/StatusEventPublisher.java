package io.warren.master.events;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ShutdownSignalException;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.warren.master.config.MasterProperties;
import io.warren.master.task.TaskChange;
import io.warren.master.task.TasksChanged;
import io.warren.protocol.TaskStatusEvent;
import io.warren.protocol.Topology;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.support.DefaultMessagePropertiesConverter;
import org.springframework.amqp.rabbit.support.MessagePropertiesConverter;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Publishes every committed move this master made to the events exchange, from the
 * after-commit announcement ({@link TasksChanged}), never from a second read of the
 * table. The announcing thread (a reply consumer, a request) only queues the events; one
 * thread publishes them, many on one channel, transient, without confirms: events are
 * notifications, and one lost to a crash or to a full buffer leaves the record true.
 */
@Component
class StatusEventPublisher implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(StatusEventPublisher.class);

	/** The most events sent in one go on one channel. */
	private static final int CHUNK = 500;

	private final BlockingQueue<TaskStatusEvent> pending;

	private final ConnectionFactory connectionFactory;

	private final MessagePropertiesConverter properties = new DefaultMessagePropertiesConverter();

	/** Used by the publishing thread only. */
	private Channel channel;

	private final WireFormat wire;

	private final String exchange;

	private final Counter published;

	private final Counter dropped;

	private volatile Thread thread;

	private volatile boolean running;

	StatusEventPublisher(ConnectionFactory connectionFactory, WireFormat wire, Topology topology,
			MasterProperties properties, MeterRegistry meters) {
		this.pending = new ArrayBlockingQueue<>(properties.events().publishBuffer());
		this.connectionFactory = connectionFactory;
		this.wire = wire;
		this.exchange = topology.eventsExchange();
		this.published = meters.counter("warren.events.published");
		this.dropped = meters.counter("warren.events.dropped");
	}

	@EventListener
	void changed(TasksChanged changed) {
		for (TaskChange change : changed.changes()) {
			if (!this.pending.offer(change.event())) {
				this.dropped.increment();
			}
		}
	}

	private void publishLoop() {
		List<TaskStatusEvent> chunk = new ArrayList<>(CHUNK);
		while (this.running || !this.pending.isEmpty()) {
			try {
				TaskStatusEvent first = this.pending.poll(100, TimeUnit.MILLISECONDS);
				if (first == null) {
					continue;
				}
				chunk.add(first);
				this.pending.drainTo(chunk, CHUNK - 1);
				publish(chunk);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
			finally {
				chunk.clear();
			}
		}
		closeChannel();
	}

	/**
	 * Publishes on the one channel this thread keeps: the broker keeps the order of one
	 * channel's messages, not of several, and a task's events must arrive in order.
	 */
	private void publish(List<TaskStatusEvent> events) {
		try {
			Channel current = channel();
			for (TaskStatusEvent event : events) {
				Message message = this.wire.statusEvent(event);
				current.basicPublish(this.exchange, Topology.eventRoutingKey(event.status(), event.type()), false,
						this.properties.fromMessageProperties(message.getMessageProperties(), "UTF-8"),
						message.getBody());
			}
			this.published.increment(events.size());
		}
		catch (IOException | AmqpException | ShutdownSignalException ex) {
			this.dropped.increment(events.size());
			closeChannel();
			log.warn("{} status events not published (they are notifications; the task records are right): {}",
					events.size(), ex.getMessage());
		}
	}

	private Channel channel() {
		Channel current = this.channel;
		if (current == null || !current.isOpen()) {
			current = this.connectionFactory.createConnection().createChannel(false);
			this.channel = current;
		}
		return current;
	}

	private void closeChannel() {
		Channel current = this.channel;
		this.channel = null;
		if (current != null) {
			try {
				current.close();
			}
			catch (IOException | TimeoutException | AmqpException | ShutdownSignalException ex) {
				// already gone
			}
		}
	}

	@Override
	public void start() {
		this.running = true;
		Thread publisher = new Thread(this::publishLoop, "warren-events");
		publisher.setDaemon(true);
		publisher.start();
		this.thread = publisher;
	}

	/** Publishes what was queued before it stops (within a second). */
	@Override
	public void stop() {
		this.running = false;
		Thread publisher = this.thread;
		if (publisher != null) {
			try {
				publisher.join(1000);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			publisher.interrupt();
		}
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	/** Stops after the consumers and the relay that announce moves. */
	@Override
	public int getPhase() {
		return Integer.MIN_VALUE + 1000;
	}

}
