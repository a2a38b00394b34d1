package io.warren.master.events;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

import io.warren.master.config.MasterProperties;

import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Opens and keeps this master's event streams: at most
 * {@code warren.master.events.max-streams}, each sent a comment line every
 * {@code keep-alive}, all ended cleanly when the master stops (before the web server
 * waits for open requests).
 */
@Component
public class EventStreams implements SmartLifecycle {

	private final EventFeed feed;

	private final MasterProperties.Events properties;

	private final TaskScheduler scheduler;

	private final ThreadPoolExecutor senders;

	private final AtomicInteger open = new AtomicInteger();

	private volatile ScheduledFuture<?> keepAlives;

	EventStreams(EventFeed feed, MasterProperties properties, TaskScheduler scheduler) {
		this.feed = feed;
		this.properties = properties.events();
		this.scheduler = scheduler;
		// a sender per stream that has something to write, none for an idle one, and as
		// many again for streams closed while a write to a slow client still blocks
		int threads = 2 * this.properties.maxStreams() + 1;
		this.senders = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
				new CustomizableThreadFactory("warren-sse-"));
		this.senders.allowCoreThreadTimeOut(true);
	}

	/**
	 * A new stream of the events the filter takes, resuming after {@code lastEventId} if
	 * given; throws {@link StreamsBusyException} when every stream is taken.
	 */
	SseEmitter open(EventFilter filter, String lastEventId) {
		if (this.senders.isShutdown()) {
			throw new StreamsBusyException(this.properties.maxStreams());
		}
		if (this.open.incrementAndGet() > this.properties.maxStreams()) {
			this.open.decrementAndGet();
			throw new StreamsBusyException(this.properties.maxStreams());
		}
		// no timeout: open until the client leaves or the master stops
		SseEmitter emitter = new SseEmitter(0L);
		EventStream[] self = new EventStream[1];
		EventStream stream = new EventStream(emitter, filter, this.properties.streamBuffer(), this.senders, () -> {
			this.feed.unsubscribe(self[0]);
			this.open.decrementAndGet();
		});
		self[0] = stream;
		emitter.onCompletion(stream::closed);
		emitter.onTimeout(stream::closed);
		emitter.onError((ex) -> stream.closed());
		// sent at once, so that the client sees the response start
		stream.comment("warren events");
		this.feed.subscribe(stream, lastEventId);
		return emitter;
	}

	/** Streams open now. */
	int openStreams() {
		return this.open.get();
	}

	@Override
	public void start() {
		this.keepAlives = this.scheduler.scheduleAtFixedRate(
				() -> this.feed.streams().forEach((stream) -> stream.comment("keep-alive")),
				this.properties.keepAlive());
	}

	/** Ends every stream cleanly: clients see the end of the response and reconnect. */
	@Override
	public void stop() {
		ScheduledFuture<?> running = this.keepAlives;
		if (running != null) {
			running.cancel(false);
			this.keepAlives = null;
		}
		this.feed.streams().forEach(EventStream::close);
		this.senders.shutdown();
		try {
			this.senders.awaitTermination(2, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public boolean isRunning() {
		return this.keepAlives != null;
	}

}
