package io.warren.master.events;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.ThreadLocalRandom;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.warren.master.config.MasterProperties;
import io.warren.master.task.TaskEndWatch;
import io.warren.protocol.TaskStatusEvent;
import io.warren.protocol.WireFormat;

import org.springframework.stereotype.Component;

/**
 * This master's view of every master's status events, as the broker delivered them: each
 * numbered once, the latest kept for streams that resume, handed to the open streams and
 * to the requests waiting for a task to finish.
 */
@Component
class EventFeed implements TaskEndWatch {

	private static final Set<String> FINISHED = Set.of("SUCCEEDED", "FAILED", "CANCELLED");

	/** Tells this run's event ids from those of an earlier run (a restarted master). */
	private final String run = Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);

	private final Object lock = new Object();

	private final Deque<FeedEvent> recent = new ArrayDeque<>();

	private final int replaySize;

	private final Set<EventStream> streams = new CopyOnWriteArraySet<>();

	private final ConcurrentHashMap<UUID, Set<Runnable>> watches = new ConcurrentHashMap<>();

	private final WireFormat wire;

	private long last;

	EventFeed(MasterProperties properties, WireFormat wire, MeterRegistry meters) {
		this.replaySize = properties.events().replaySize();
		this.wire = wire;
		Gauge.builder("warren.waits.active", this, EventFeed::watching)
			.description("Requests waiting for a task to finish")
			.register(meters);
		Gauge.builder("warren.events.streams", this.streams, Set::size)
			.description("Open event streams")
			.register(meters);
	}

	/**
	 * Numbers the event, keeps it, and hands it to the streams and watches; {@code json}
	 * is the event as received (one line of JSON).
	 */
	void accept(TaskStatusEvent event, String json) {
		synchronized (this.lock) {
			long number = ++this.last;
			FeedEvent fed = new FeedEvent(this.run + "-" + number, number, event, json);
			if (this.replaySize > 0) {
				if (this.recent.size() == this.replaySize) {
					this.recent.removeFirst();
				}
				this.recent.addLast(fed);
			}
			// under the lock: a stream that subscribes with a replay gets each event
			// once,
			// in order
			for (EventStream stream : this.streams) {
				stream.offer(fed);
			}
		}
		if (FINISHED.contains(event.status())) {
			Set<Runnable> waiting = this.watches.get(event.id());
			if (waiting != null) {
				waiting.forEach(Runnable::run);
			}
		}
	}

	/**
	 * Adds a stream, first handing it the kept events after {@code lastEventId} that its
	 * filter takes, or, if they are no longer all kept here (or it is not an id of this
	 * master's run), a {@code gap} event naming it.
	 */
	void subscribe(EventStream stream, String lastEventId) {
		synchronized (this.lock) {
			if (lastEventId != null) {
				long after = numberOf(lastEventId);
				long oldest = this.recent.isEmpty() ? this.last + 1 : this.recent.peekFirst().number();
				boolean complete = after >= 0 && after <= this.last && after >= oldest - 1;
				List<FeedEvent> replay = new ArrayList<>();
				if (complete) {
					for (FeedEvent fed : this.recent) {
						if (fed.number() > after && stream.takes(fed)) {
							replay.add(fed);
						}
					}
					// more than the stream may hold: it would be closed at once, again
					// and again
					complete = replay.size() < stream.capacity();
				}
				if (complete) {
					replay.forEach(stream::offer);
				}
				else {
					stream.named("gap", this.wire.json()
						.writeValueAsString(Map.of("lastEventId", lastEventId, "detail",
								"events after it are no longer kept by this master, or are more than this stream "
										+ "may be sent at once: read the records of the tasks you follow")));
				}
			}
			this.streams.add(stream);
		}
	}

	void unsubscribe(EventStream stream) {
		this.streams.remove(stream);
	}

	/** The open streams. */
	Set<EventStream> streams() {
		return this.streams;
	}

	/** The number of an id of this run, or -1. */
	private long numberOf(String id) {
		String prefix = this.run + "-";
		if (!id.startsWith(prefix)) {
			return -1;
		}
		try {
			return Long.parseLong(id.substring(prefix.length()));
		}
		catch (NumberFormatException ex) {
			return -1;
		}
	}

	@Override
	public Watching watch(UUID taskId, Runnable onEnd) {
		// an object of its own, so that one request's handle removes only its watch
		Runnable once = onEnd::run;
		this.watches.compute(taskId, (id, waiting) -> {
			Set<Runnable> set = (waiting != null) ? waiting : new CopyOnWriteArraySet<>();
			set.add(once);
			return set;
		});
		return () -> this.watches.computeIfPresent(taskId, (id, waiting) -> {
			waiting.remove(once);
			return waiting.isEmpty() ? null : waiting;
		});
	}

	/** Requests waiting for a task now. */
	int watching() {
		return this.watches.values().stream().mapToInt(Set::size).sum();
	}

}
