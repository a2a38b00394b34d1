package io.warren.master.task;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every allowed move of a task, in one table. Events arrive out of order (a result may
 * overtake its started notice, a confirm may come after both), so a started notice or a
 * result is accepted from {@code PENDING}; a waiting task ({@code SCHEDULED},
 * {@code RETRYING}) moves only when due; a {@code FAILED} task moves only on
 * {@link TaskEvent#NEW_ATTEMPT}, a {@code SUCCEEDED} or {@code CANCELLED} one never. Any
 * move not in the table is refused, and a refused event changes nothing.
 */
public final class TaskStateMachine {

	private static final Map<TaskStatus, Map<TaskEvent, TaskStatus>> MOVES = new EnumMap<>(TaskStatus.class);

	static {
		allow(TaskStatus.PENDING, TaskEvent.CONFIRMED, TaskStatus.QUEUED);
		for (TaskStatus active : EnumSet.of(TaskStatus.PENDING, TaskStatus.QUEUED, TaskStatus.RUNNING)) {
			allow(active, TaskEvent.STARTED, TaskStatus.RUNNING);
			allow(active, TaskEvent.SUCCEEDED, TaskStatus.SUCCEEDED);
			allow(active, TaskEvent.FAILED, TaskStatus.FAILED);
			allow(active, TaskEvent.DEAD_LETTERED, TaskStatus.FAILED);
			allow(active, TaskEvent.RETRY, TaskStatus.RETRYING);
		}
		allow(TaskStatus.RUNNING, TaskEvent.RELEASED, TaskStatus.QUEUED);
		allow(TaskStatus.SCHEDULED, TaskEvent.DUE, TaskStatus.PENDING);
		allow(TaskStatus.RETRYING, TaskEvent.DUE, TaskStatus.PENDING);
		allow(TaskStatus.FAILED, TaskEvent.NEW_ATTEMPT, TaskStatus.PENDING);
		for (TaskStatus unfinished : TaskStatus.active()) {
			allow(unfinished, TaskEvent.CANCEL, TaskStatus.CANCELLED);
		}
	}

	private TaskStateMachine() {
	}

	/** The status {@code event} moves a task in {@code from} to, or empty if refused. */
	public static Optional<TaskStatus> next(TaskStatus from, TaskEvent event) {
		return Optional.ofNullable(MOVES.getOrDefault(from, Map.of()).get(event));
	}

	/** The statuses from which {@code event} is allowed; for conditional SQL updates. */
	public static Set<TaskStatus> sourcesOf(TaskEvent event) {
		Set<TaskStatus> sources = EnumSet.noneOf(TaskStatus.class);
		MOVES.forEach((from, moves) -> {
			if (moves.containsKey(event)) {
				sources.add(from);
			}
		});
		return Collections.unmodifiableSet(sources);
	}

	private static void allow(TaskStatus from, TaskEvent event, TaskStatus to) {
		MOVES.computeIfAbsent(from, (status) -> new EnumMap<>(TaskEvent.class)).put(event, to);
	}

}
