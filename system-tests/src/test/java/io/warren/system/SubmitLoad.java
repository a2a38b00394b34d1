package io.warren.system;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import io.warren.testsupport.WarrenApi;

/**
 * One client submitting tasks as fast as it can, one at a time, keeping the ids of those
 * that got a 202. A request the master never answered is not counted.
 */
final class SubmitLoad implements AutoCloseable {

	private final ConcurrentLinkedQueue<String> accepted = new ConcurrentLinkedQueue<>();

	private final AtomicBoolean stop = new AtomicBoolean();

	private final CompletableFuture<Void> loop;

	private SubmitLoad(WarrenApi api, String type) {
		this.loop = CompletableFuture.runAsync(() -> {
			int i = 0;
			while (!this.stop.get()) {
				try {
					WarrenApi.Answer answer = api.submit(type, "{\"n\":" + i++ + "}");
					if (answer.status() == 202) {
						this.accepted.add(answer.body().get("id").asString());
					}
				}
				catch (RuntimeException ex) {
					// the master is gone or going: this request got no 202
				}
			}
		});
	}

	static SubmitLoad start(WarrenApi api, String type) {
		return new SubmitLoad(api, type);
	}

	/** The ids accepted so far. */
	List<String> accepted() {
		return List.copyOf(this.accepted);
	}

	/** Stops submitting and returns every id that got a 202. */
	List<String> stopAndGet() {
		this.stop.set(true);
		this.loop.join();
		return accepted();
	}

	@Override
	public void close() {
		this.stop.set(true);
		this.loop.join();
	}

}
