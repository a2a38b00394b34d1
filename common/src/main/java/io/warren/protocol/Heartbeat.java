package io.warren.protocol;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A worker's announcement of itself, sent at start ({@code hello}), then every
 * {@code intervalMs} ({@code beat}) and at a clean stop ({@code goodbye}). The master
 * keeps the last one of each worker in its registry and marks a worker {@code LOST} when
 * three intervals pass without one.
 *
 * @param workerId the worker's id, as in its started notices and results
 * @param event {@code hello}, {@code beat} or {@code goodbye}
 * @param state {@code RUNNING}, {@code PAUSED} (every type it serves is paused),
 * {@code DRAINING} (stopping: finishing its running tasks) or {@code STOPPED} (with
 * {@code goodbye})
 * @param host the host name
 * @param version the worker's version
 * @param intervalMs how often it sends a heartbeat, in milliseconds
 * @param startedAt when the worker started
 * @param sentAt when this heartbeat was sent
 * @param types the task types it serves
 * @param running the deliveries it is running now
 */
public record Heartbeat(String workerId, String event, String state, String host, String version, long intervalMs,
		Instant startedAt, Instant sentAt, List<TypeState> types, List<RunningTask> running) {

	public static final String HELLO = "hello";

	public static final String BEAT = "beat";

	public static final String GOODBYE = "goodbye";

	/** The longest heartbeat interval, in milliseconds: an hour. */
	public static final long MAX_INTERVAL_MS = 3_600_000;

	public Heartbeat {
		Objects.requireNonNull(workerId, "workerId");
		if (workerId.isBlank() || workerId.length() > 255 || workerId.chars().anyMatch(Character::isISOControl)) {
			throw new IllegalArgumentException("workerId must be 1-255 characters without control characters");
		}
		Objects.requireNonNull(startedAt, "startedAt");
		if (!List.of(HELLO, BEAT, GOODBYE).contains(event)) {
			throw new IllegalArgumentException("event must be hello, beat or goodbye");
		}
		if (!List.of("RUNNING", "PAUSED", "DRAINING", "STOPPED").contains(state)
				|| (state.equals("STOPPED") != event.equals(GOODBYE))) {
			throw new IllegalArgumentException(
					"state must be RUNNING, PAUSED or DRAINING, or STOPPED with a goodbye (and only then)");
		}
		if (intervalMs < 1 || intervalMs > MAX_INTERVAL_MS) {
			throw new IllegalArgumentException("intervalMs must be 1 to " + MAX_INTERVAL_MS);
		}
		Objects.requireNonNull(sentAt, "sentAt");
		types = (types != null) ? List.copyOf(types) : List.of();
		running = (running != null) ? List.copyOf(running) : List.of();
	}

	/**
	 * A task type a worker serves.
	 *
	 * @param type the task type
	 * @param concurrency its handler threads
	 * @param paused whether it takes no new task of the type because the type is paused
	 * @param stopped why it took no new task of the type any more, or {@code null}: a
	 * handler ignored its interruption (restart the worker)
	 */
	public record TypeState(String type, int concurrency, boolean paused, String stopped) {

		public TypeState {
			if (!TaskTypes.isValid(type)) {
				throw new IllegalArgumentException("invalid task type: " + type);
			}
		}

	}

	/**
	 * A delivery a worker is running.
	 *
	 * @param taskId the task id
	 * @param type the task type
	 * @param attempt the attempt
	 * @param deliveryId the delivery id of its started notice
	 * @param startedAt when its handler started
	 * @param deadline when it times out, or {@code null} for never
	 */
	public record RunningTask(UUID taskId, String type, int attempt, UUID deliveryId, Instant startedAt,
			Instant deadline) {

		public RunningTask {
			Objects.requireNonNull(taskId, "taskId");
		}

	}

}
