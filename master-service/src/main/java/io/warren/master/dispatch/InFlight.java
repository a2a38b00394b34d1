package io.warren.master.dispatch;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.warren.master.task.TaskAttempt;

import org.springframework.stereotype.Component;

/**
 * The attempts this master is publishing: from the hand-over to the publisher until the
 * broker's confirm is recorded in the store (or the publish failed). The relay leaves
 * them alone, so a slow first publish, or a confirm still on its way to the store, is not
 * doubled by a second publish.
 */
@Component
class InFlight {

	private final Set<TaskAttempt> attempts = ConcurrentHashMap.newKeySet();

	void add(TaskAttempt attempt) {
		this.attempts.add(attempt);
	}

	void remove(TaskAttempt attempt) {
		this.attempts.remove(attempt);
	}

	boolean contains(TaskAttempt attempt) {
		return this.attempts.contains(attempt);
	}

}
