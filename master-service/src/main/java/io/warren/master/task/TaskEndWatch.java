package io.warren.master.task;

import java.util.UUID;

/**
 * Tells when a task finished, from the live status events of every master: what a request
 * waiting for a task listens to.
 */
public interface TaskEndWatch {

	/**
	 * Runs {@code onEnd} (on the thread that received the event: it must not block) when
	 * an event shows the task {@code SUCCEEDED}, {@code FAILED} or {@code CANCELLED};
	 * closing the returned handle stops watching.
	 */
	Watching watch(UUID taskId, Runnable onEnd);

	/** A watch that can be stopped. */
	interface Watching extends AutoCloseable {

		@Override
		void close();

	}

}
