package io.warren.master.dispatch;

import org.springframework.context.SmartLifecycle;

/**
 * Start and stop order of the dispatch components (lower starts earlier and stops later):
 * the confirm recorder outlives the publisher so that the last confirms are written, and
 * the publisher outlives both the relay and the web server (which stops at
 * {@code DEFAULT_PHASE - 2048}) that feed it. All stop after the listener containers.
 */
final class DispatchPhases {

	static final int CONFIRM_RECORDER = SmartLifecycle.DEFAULT_PHASE - 5000;

	static final int PUBLISHER = SmartLifecycle.DEFAULT_PHASE - 4000;

	static final int RELAY = SmartLifecycle.DEFAULT_PHASE - 1000;

	private DispatchPhases() {
	}

}
