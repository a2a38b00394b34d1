package io.warren.master.events;

import java.util.Set;
import java.util.UUID;

import io.warren.protocol.TaskStatusEvent;

/**
 * Which events a stream wants: each set left empty takes every value.
 *
 * @param types task types
 * @param statuses status names
 * @param taskIds task ids
 */
record EventFilter(Set<String> types, Set<String> statuses, Set<UUID> taskIds) {

	EventFilter {
		types = Set.copyOf(types);
		statuses = Set.copyOf(statuses);
		taskIds = Set.copyOf(taskIds);
	}

	boolean test(TaskStatusEvent event) {
		return (this.types.isEmpty() || this.types.contains(event.type()))
				&& (this.statuses.isEmpty() || this.statuses.contains(event.status()))
				&& (this.taskIds.isEmpty() || this.taskIds.contains(event.id()));
	}

}
