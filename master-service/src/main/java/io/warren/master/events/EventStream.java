package io.warren.master.events;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * One client's open event stream. Events are queued here by the feed and written by one
 * sender at a time on a pool thread, so that a slow client holds neither the feed nor
 * other streams; a stream that falls {@code buffer} events behind is closed, and its
 * client resumes with {@code Last-Event-ID}.
 */
final class EventStream {

	private static final Logger log = LoggerFactory.getLogger(EventStream.class);

	private final SseEmitter emitter;

	private final EventFilter filter;

	private final int buffer;

	private final Executor senders;

	private final Runnable onClose;

	private final Queue<Object> queued = new ArrayDeque<>();

	private boolean sending;

	private boolean closed;

	private final AtomicBoolean finished = new AtomicBoolean();

	EventStream(SseEmitter emitter, EventFilter filter, int buffer, Executor senders, Runnable onClose) {
		this.emitter = emitter;
		this.filter = filter;
		this.buffer = buffer;
		this.senders = senders;
		this.onClose = onClose;
	}

	/** Queues the event if the filter takes it. */
	void offer(FeedEvent event) {
		if (takes(event)) {
			enqueue(event);
		}
	}

	/** Whether the filter takes the event. */
	boolean takes(FeedEvent event) {
		return this.filter.test(event.event());
	}

	/** How many events may wait for this stream. */
	int capacity() {
		return this.buffer;
	}

	/** Queues a comment line, which clients ignore: a keep-alive. */
	void comment(String text) {
		enqueue(SseEmitter.event().comment(text));
	}

	/** Queues a named event. */
	void named(String name, String json) {
		enqueue(SseEmitter.event().name(name).data(json));
	}

	private void enqueue(Object item) {
		boolean start;
		synchronized (this) {
			if (this.closed) {
				return;
			}
			if (this.queued.size() >= this.buffer) {
				log.info("event stream {} events behind: closed, its client resumes with Last-Event-ID", this.buffer);
				close();
				return;
			}
			this.queued.add(item);
			start = !this.sending;
			this.sending = true;
		}
		if (start) {
			try {
				this.senders.execute(this::send);
			}
			catch (RejectedExecutionException ex) {
				// the master is stopping
				closed();
			}
		}
	}

	private void send() {
		while (true) {
			Object item;
			synchronized (this) {
				item = this.queued.poll();
				if (item == null || this.closed) {
					this.sending = false;
					return;
				}
			}
			try {
				if (item instanceof FeedEvent event) {
					this.emitter.send(SseEmitter.event().id(event.id()).data(event.json()));
				}
				else {
					this.emitter.send((SseEmitter.SseEventBuilder) item);
				}
			}
			catch (IOException | IllegalStateException ex) {
				// the client went away, or the stream completed meanwhile
				synchronized (this) {
					this.closed = true;
					this.queued.clear();
					this.sending = false;
				}
				finish();
				return;
			}
		}
	}

	/** Ends the stream cleanly: the client sees the end of the response. */
	void close() {
		synchronized (this) {
			if (this.closed) {
				return;
			}
			this.closed = true;
			this.queued.clear();
		}
		finish();
		// not on the caller's thread: it may hold the feed, and a write in progress holds
		// the emitter until it ends
		try {
			this.senders.execute(() -> {
				try {
					this.emitter.complete();
				}
				catch (IllegalStateException ex) {
					// already completed
				}
			});
		}
		catch (RejectedExecutionException ex) {
			// the master is stopping: the container ends the request
		}
	}

	/** Marks the stream closed after its client went away or it timed out. */
	void closed() {
		synchronized (this) {
			this.closed = true;
			this.queued.clear();
		}
		finish();
	}

	/** Frees the stream's place, once. */
	private void finish() {
		if (this.finished.compareAndSet(false, true)) {
			this.onClose.run();
		}
	}

}
