package io.warren.master.task;

/**
 * What submission needs from the side that publishes tasks to the broker; implemented in
 * {@code dispatch}, so that dependencies point one way.
 */
public interface TaskDispatcher {

	/**
	 * Publishes a stored task soon, off the caller's thread; if that cannot be, the relay
	 * will.
	 */
	void publishSoon(Task task);

	/**
	 * Whether publishing is so far behind what was accepted that accepting more would
	 * only leave it to the relay (and risk publishing twice): submission then answers
	 * 503.
	 */
	boolean isBehind();

}
