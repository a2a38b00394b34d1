package io.warren.worker.execution;

import java.time.Instant;
import java.util.concurrent.ScheduledFuture;

import com.rabbitmq.client.Channel;
import io.warren.protocol.StartedNotice;
import io.warren.protocol.TaskError;

/**
 * One delivery running on a consumer thread: what stops it (a cancel, its deadline), and
 * what reports it when its handler ignores the stop. The thread is interrupted only while
 * the handler runs: {@link #end()} and {@link #stop} take the same lock, and once the run
 * ended no interrupt is sent, so none leaks into the listener container.
 */
final class Execution {

	private final StartedNotice notice;

	private final Thread thread;

	private final Instant deadline;

	private final Channel channel;

	private final long deliveryTag;

	private String stopReason;

	private boolean ended;

	private boolean abandoned;

	private ScheduledFuture<?>[] timers = new ScheduledFuture<?>[0];

	private Runnable onIgnored = () -> {
	};

	Execution(StartedNotice notice, Thread thread, Instant deadline, Channel channel, long deliveryTag) {
		this.notice = notice;
		this.thread = thread;
		this.deadline = deadline;
		this.channel = channel;
		this.deliveryTag = deliveryTag;
	}

	StartedNotice notice() {
		return this.notice;
	}

	/** When the run times out, or {@code null}. */
	Instant deadline() {
		return this.deadline;
	}

	Channel channel() {
		return this.channel;
	}

	long deliveryTag() {
		return this.deliveryTag;
	}

	/** What to do when the handler ignores a stop for the grace period. */
	void onIgnored(Runnable action) {
		this.onIgnored = action;
	}

	Runnable onIgnored() {
		return this.onIgnored;
	}

	void timers(ScheduledFuture<?>... timers) {
		this.timers = timers;
	}

	/**
	 * Tells the handler to stop ({@link TaskError#CANCELLED} or
	 * {@link TaskError#TIMED_OUT}): interrupts its thread, once; false if the run already
	 * ended or was stopped.
	 */
	synchronized boolean stop(String reason) {
		if (this.ended || this.stopReason != null) {
			return false;
		}
		this.stopReason = reason;
		this.thread.interrupt();
		return true;
	}

	/** Why the run was told to stop, or {@code null}. */
	synchronized String stopReason() {
		return this.stopReason;
	}

	/**
	 * Called by the consumer thread when the handler returned: no interrupt comes after
	 * this, and one that came is cleared. Returns why the run was stopped, or
	 * {@code null}.
	 */
	synchronized String end() {
		this.ended = true;
		for (ScheduledFuture<?> timer : this.timers) {
			timer.cancel(false);
		}
		Thread.interrupted();
		return this.stopReason;
	}

	/**
	 * Gives up on a handler that did not stop within the grace period: true once, if it
	 * is still running; its result is then reported by the caller, and whatever the
	 * handler returns later is not.
	 */
	synchronized boolean abandon() {
		if (this.ended || this.abandoned) {
			return false;
		}
		this.abandoned = true;
		return true;
	}

	synchronized boolean isAbandoned() {
		return this.abandoned;
	}

}
