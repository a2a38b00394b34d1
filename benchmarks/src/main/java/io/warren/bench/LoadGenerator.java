package io.warren.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/** Submits no-op {@code echo} tasks over HTTP, as many clients would. */
final class LoadGenerator implements AutoCloseable {

	/** A task that got its 202, with when it was meant to be sent. */
	record Submitted(String id, Instant intended) {
	}

	private final ExecutorService executor = Executors.newFixedThreadPool(4);

	private final HttpClient http = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.executor(this.executor)
		.connectTimeout(Duration.ofSeconds(5))
		.build();

	private final URI tasks;

	private final AtomicInteger failures = new AtomicInteger();

	private final java.util.Map<String, Integer> reasons = new java.util.concurrent.ConcurrentHashMap<>();

	private final String authorization;

	LoadGenerator(int port, String apiKey) {
		this.tasks = URI.create("http://localhost:" + port + "/api/v1/tasks");
		this.authorization = "Bearer " + apiKey;
	}

	/** Submissions that did not get a 202. */
	int failures() {
		return this.failures.get();
	}

	/** Why submissions failed: HTTP status or exception, with counts. */
	java.util.Map<String, Integer> failureReasons() {
		return java.util.Map.copyOf(this.reasons);
	}

	/** As fast as {@code concurrency} requests in flight allow, for {@code seconds}. */
	List<Submitted> fullSpeed(int seconds, int concurrency) throws InterruptedException {
		Queue<Submitted> accepted = new ConcurrentLinkedQueue<>();
		Semaphore inFlight = new Semaphore(concurrency);
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
		int n = 0;
		while (System.nanoTime() < deadline) {
			inFlight.acquire();
			Instant now = Instant.now();
			send(n++, now, accepted).whenComplete((ignored, ex) -> inFlight.release());
		}
		inFlight.acquire(concurrency);
		return List.copyOf(accepted);
	}

	/**
	 * Open loop at {@code rate} per second for {@code seconds}: each request is due at a
	 * fixed time whatever the previous ones did, and its latency counts from then (no
	 * coordinated omission).
	 */
	List<Submitted> fixedRate(int rate, int seconds) throws InterruptedException {
		Queue<Submitted> accepted = new ConcurrentLinkedQueue<>();
		AtomicInteger inFlight = new AtomicInteger();
		int total = rate * seconds;
		long start = System.nanoTime();
		Instant startInstant = Instant.now();
		for (int i = 0; i < total; i++) {
			long due = start + (long) (i * 1e9 / rate);
			long wait = due - System.nanoTime();
			if (wait > 0) {
				LockSupport.parkNanos(wait);
			}
			if (inFlight.incrementAndGet() > 20_000) {
				throw new IllegalStateException("the master fell more than 20,000 requests behind");
			}
			send(i, startInstant.plusNanos(due - start), accepted).whenComplete((r, ex) -> inFlight.decrementAndGet());
		}
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
		while (inFlight.get() > 0 && System.nanoTime() < deadline) {
			TimeUnit.MILLISECONDS.sleep(10);
		}
		return List.copyOf(accepted);
	}

	/**
	 * Batches of {@code batchSize} tasks through {@code POST /api/v1/tasks/batch}, as
	 * fast as {@code concurrency} requests in flight allow, for {@code seconds}.
	 */
	List<Submitted> batches(int seconds, int concurrency, int batchSize) throws InterruptedException {
		Queue<Submitted> accepted = new ConcurrentLinkedQueue<>();
		Semaphore inFlight = new Semaphore(concurrency);
		URI batch = URI.create(this.tasks + "/batch");
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
		int n = 0;
		while (System.nanoTime() < deadline) {
			inFlight.acquire();
			StringBuilder body = new StringBuilder(batchSize * 48).append("{\"tasks\":[");
			for (int i = 0; i < batchSize; i++) {
				body.append((i > 0) ? "," : "")
					.append("{\"type\":\"echo\",\"payload\":{\"n\":")
					.append(n++)
					.append("}}");
			}
			Instant now = Instant.now();
			HttpRequest request = HttpRequest.newBuilder(batch)
				.header("Content-Type", "application/json")
				.header("Authorization", this.authorization)
				.timeout(Duration.ofSeconds(60))
				.POST(HttpRequest.BodyPublishers.ofString(body.append("]}").toString()))
				.build();
			this.http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, ex) -> {
				if (ex == null && response.statusCode() == 202) {
					String text = response.body();
					int at = text.indexOf('[') + 1;
					while (at > 0 && at < text.length() && text.charAt(at) == '"') {
						int end = text.indexOf('"', at + 1);
						accepted.add(new Submitted(text.substring(at + 1, end), now));
						at = end + 2;
					}
				}
				else {
					this.failures.addAndGet(batchSize);
					String reason = (ex != null) ? ex.getClass().getSimpleName() + ": " + ex.getMessage()
							: "HTTP " + response.statusCode() + " (batch)";
					this.reasons.merge(reason, batchSize, Integer::sum);
					if (ex == null && response.statusCode() == 503) {
						// the master asks to come back later: a client that retried at
						// once
						// would only measure how fast it can be refused
						LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
					}
				}
				inFlight.release();
			});
		}
		inFlight.acquire(concurrency);
		return List.copyOf(accepted);
	}

	private java.util.concurrent.CompletableFuture<HttpResponse<String>> send(int n, Instant intended,
			Queue<Submitted> accepted) {
		HttpRequest request = HttpRequest.newBuilder(this.tasks)
			.header("Content-Type", "application/json")
			.header("Authorization", this.authorization)
			.timeout(Duration.ofSeconds(60))
			.POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"echo\",\"payload\":{\"n\":" + n + "}}"))
			.build();
		return this.http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, ex) -> {
			if (ex == null && response.statusCode() == 202) {
				accepted.add(new Submitted(idOf(response.body()), intended));
			}
			else {
				this.failures.incrementAndGet();
				String reason = (ex != null) ? ex.getClass().getSimpleName() + ": " + ex.getMessage()
						: "HTTP " + response.statusCode();
				this.reasons.merge(reason, 1, Integer::sum);
			}
		});
	}

	private static String idOf(String body) {
		int start = body.indexOf("\"id\":\"") + 6;
		return body.substring(start, body.indexOf('"', start));
	}

	@Override
	public void close() {
		this.executor.shutdownNow();
	}

}
