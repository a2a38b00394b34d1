package io.warren.protocol;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A message of the master to every worker, through the control exchange. Every control
 * message may be received twice or not at all (a worker that was not connected misses
 * it): each is idempotent, and the state it sets is sent again whenever a heartbeat shows
 * a worker that missed it.
 *
 * @param kind {@code cancel}, {@code pause}, {@code resume} or {@code state}
 * @param taskId {@code cancel}: the task to stop; a worker not running it remembers the
 * id and acks its message without running it if it comes
 * @param attempt {@code cancel}: the attempt, or {@code null} for any
 * @param type {@code pause} and {@code resume}: the task type
 * @param pausedTypes {@code state}: every paused type (the others are not paused)
 * @param sentAt when the master sent it
 */
public record ControlMessage(String kind, UUID taskId, Integer attempt, String type, List<String> pausedTypes,
		Instant sentAt) {

	/** Stop a task: interrupt its handler, or do not run it. */
	public static final String CANCEL = "cancel";

	/** Stop taking new tasks of a type; running ones finish. */
	public static final String PAUSE = "pause";

	/** Take tasks of a paused type again. */
	public static final String RESUME = "resume";

	/** The full list of paused types; sent to a worker that starts or missed a change. */
	public static final String STATE = "state";

	public ControlMessage {
		Objects.requireNonNull(kind, "kind");
		switch (kind) {
			case CANCEL -> Objects.requireNonNull(taskId, "taskId");
			case PAUSE, RESUME -> {
				if (!TaskTypes.isValid(type)) {
					throw new IllegalArgumentException("invalid task type: " + type);
				}
			}
			case STATE -> pausedTypes = List.copyOf(Objects.requireNonNull(pausedTypes, "pausedTypes"));
			default -> throw new IllegalArgumentException("unknown control message kind: " + kind);
		}
		sentAt = (sentAt != null) ? sentAt : Instant.now();
	}

	public static ControlMessage cancel(UUID taskId, Integer attempt) {
		return new ControlMessage(CANCEL, taskId, attempt, null, null, Instant.now());
	}

	public static ControlMessage pause(String type) {
		return new ControlMessage(PAUSE, null, null, type, null, Instant.now());
	}

	public static ControlMessage resume(String type) {
		return new ControlMessage(RESUME, null, null, type, null, Instant.now());
	}

	public static ControlMessage state(List<String> pausedTypes) {
		return new ControlMessage(STATE, null, null, null, pausedTypes, Instant.now());
	}

}
