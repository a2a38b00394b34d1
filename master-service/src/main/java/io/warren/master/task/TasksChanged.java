package io.warren.master.task;

import java.util.List;
import java.util.Map;

/**
 * Published after a batch of events has committed: the moves it made, in the order they
 * were applied, and what it counted.
 *
 * @param changes every status move (a started notice and the result of the same delivery
 * applied together are two moves, {@code RUNNING} then the terminal status)
 * @param duplicates duplicate executions detected, by task type
 * @param stale replies or dead letters for an attempt that is no longer current, by kind
 * ({@code started}, {@code result}, {@code released}, {@code dead-letter})
 * @param timedOut attempts that ended {@code TIMED_OUT}, by task type
 */
public record TasksChanged(List<TaskChange> changes, Map<String, Integer> duplicates, Map<String, Integer> stale,
		Map<String, Integer> timedOut) {

	public TasksChanged {
		changes = List.copyOf(changes);
		duplicates = Map.copyOf(duplicates);
		stale = Map.copyOf(stale);
		timedOut = Map.copyOf(timedOut);
	}

	/** Moves and counts, without timeouts. */
	public TasksChanged(List<TaskChange> changes, Map<String, Integer> duplicates, Map<String, Integer> stale) {
		this(changes, duplicates, stale, Map.of());
	}

	boolean isEmpty() {
		return this.changes.isEmpty() && this.duplicates.isEmpty() && this.stale.isEmpty() && this.timedOut.isEmpty();
	}

}
