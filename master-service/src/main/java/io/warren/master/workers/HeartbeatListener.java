package io.warren.master.workers;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import io.warren.master.control.ControlChannel;
import io.warren.master.control.PausedTypes;
import io.warren.master.task.TaskStore;
import io.warren.protocol.ControlMessage;
import io.warren.protocol.Heartbeat;
import io.warren.protocol.MalformedMessageException;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageListener;
import org.springframework.stereotype.Component;

/**
 * Records workers' heartbeats in the registry and answers what a worker missed: a worker
 * that says hello, or whose heartbeat shows paused types other than the store's, gets the
 * full list of paused types; a worker that runs a task that was cancelled gets the cancel
 * again. A heartbeat that cannot be read or recorded is dropped: the next one makes up
 * for it.
 */
@Component
public class HeartbeatListener implements MessageListener {

	private static final Logger log = LoggerFactory.getLogger(HeartbeatListener.class);

	private final WireFormat wire;

	private final WorkerRegistry registry;

	private final PausedTypes paused;

	private final ControlChannel control;

	private final TaskStore store;

	private final Clock clock;

	HeartbeatListener(WireFormat wire, WorkerRegistry registry, PausedTypes paused, ControlChannel control,
			TaskStore store, Clock clock) {
		this.wire = wire;
		this.registry = registry;
		this.paused = paused;
		this.control = control;
		this.store = store;
		this.clock = clock;
	}

	@Override
	public void onMessage(Message message) {
		Heartbeat heartbeat;
		try {
			heartbeat = this.wire.readHeartbeat(message);
		}
		catch (MalformedMessageException ex) {
			log.warn("heartbeat dropped: {}", ex.getMessage());
			return;
		}
		catch (RuntimeException ex) {
			log.warn("heartbeat dropped: undecodable: {}", ex.getMessage());
			return;
		}
		try {
			this.registry.record(heartbeat, this.clock.instant());
			if (!heartbeat.event().equals(Heartbeat.GOODBYE)) {
				answer(heartbeat);
			}
		}
		catch (RuntimeException ex) {
			log.warn("heartbeat of worker {} not recorded: {}", heartbeat.workerId(), ex.getMessage());
		}
	}

	private void answer(Heartbeat heartbeat) {
		// the state is dated when it was read: a pause or resume made after the read is
		// newer, and a worker keeps it (protocol §3.7)
		Instant asOf = this.clock.instant();
		Set<String> pausedTypes = new TreeSet<>(this.paused.all().keySet());
		boolean differs = heartbeat.types()
			.stream()
			.anyMatch((type) -> type.paused() != pausedTypes.contains(type.type()));
		if (heartbeat.event().equals(Heartbeat.HELLO) || differs) {
			log.debug("worker {}: paused types sent ({})", heartbeat.workerId(), pausedTypes);
			this.control
				.broadcast(new ControlMessage(ControlMessage.STATE, null, null, null, List.copyOf(pausedTypes), asOf));
		}
		List<UUID> running = heartbeat.running().stream().map(Heartbeat.RunningTask::taskId).toList();
		List<UUID> cancelled = this.store.cancelledAmong(running);
		for (Heartbeat.RunningTask task : heartbeat.running()) {
			if (cancelled.contains(task.taskId())) {
				log.info("worker {} still runs cancelled task {}: cancel sent again", heartbeat.workerId(),
						task.taskId());
				this.control.broadcast(ControlMessage.cancel(task.taskId(), task.attempt()));
			}
		}
	}

}
