package io.warren.master.callbacks;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.warren.master.config.MasterProperties;
import io.warren.master.task.Task;
import io.warren.master.task.TaskStore;
import io.warren.master.task.TaskViews;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.dao.DataAccessException;
import org.springframework.transaction.TransactionException;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Sends due callbacks: POSTs each finished task's record, as {@code GET
 * /api/v1/tasks/{id}} shows it when sent, to its {@code callbackUrl}, signed with
 * HMAC-SHA256 over the timestamp and the body, and records every POST. A 2xx delivers it;
 * anything else (another status, a timeout, a refused connection) is tried again after a
 * backoff that doubles, until {@code max-attempts}. Delivery is at least once: receivers
 * deduplicate on {@code X-Warren-Delivery}. Redirects are not followed.
 */
@Component
class CallbackSender {

	private static final Logger log = LoggerFactory.getLogger(CallbackSender.class);

	static final String DELIVERY = "X-Warren-Delivery";

	static final String TIMESTAMP = "X-Warren-Timestamp";

	static final String SIGNATURE = "X-Warren-Signature";

	static final String TASK_STATUS = "X-Warren-Task-Status";

	private final CallbackStore callbacks;

	private final TaskStore tasks;

	private final TaskViews views;

	private final WireFormat wire;

	private final Clock clock;

	private final MasterProperties.Callbacks properties;

	private final HttpClient http;

	private final Counter delivered;

	private final Counter failed;

	CallbackSender(CallbackStore callbacks, TaskStore tasks, TaskViews views, WireFormat wire, Clock clock,
			MasterProperties properties, MeterRegistry meters) {
		this.callbacks = callbacks;
		this.tasks = tasks;
		this.views = views;
		this.wire = wire;
		this.clock = clock;
		this.properties = properties.callbacks();
		this.http = HttpClient.newBuilder()
			.connectTimeout(this.properties.timeout())
			.followRedirects(HttpClient.Redirect.NEVER)
			.build();
		this.delivered = meters.counter("warren.callbacks", "outcome", "delivered");
		this.failed = meters.counter("warren.callbacks", "outcome", "failed");
	}

	@Scheduled(fixedDelayString = "${warren.master.callbacks.interval:1s}")
	void sendDue() {
		if (this.properties.secret() == null) {
			return;
		}
		try {
			Instant now = this.clock.instant();
			// a master that dies while sending leaves the batch to be sent again after
			// this
			Instant leaseEnd = now.plus(this.properties.timeout().multipliedBy(2)).plus(this.properties.interval());
			List<CallbackStore.Callback> due = this.callbacks.claimDue(this.properties.batchSize(), now, leaseEnd);
			List<CompletableFuture<Void>> sent = new ArrayList<>(due.size());
			for (CallbackStore.Callback callback : due) {
				sent.add(send(callback));
			}
			CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).join();
		}
		catch (DataAccessException | TransactionException ex) {
			log.warn("callbacks not sent this time (next pass in {}): {}", this.properties.interval(), ex.getMessage());
		}
	}

	private CompletableFuture<Void> send(CallbackStore.Callback callback) {
		Optional<Task> task = this.tasks.find(callback.taskId());
		if (task.isEmpty()) {
			record(callback, null, "the task was deleted", false, true);
			return CompletableFuture.completedFuture(null);
		}
		byte[] body = this.wire.json().writeValueAsBytes(this.views.of(task.get()));
		String timestamp = Long.toString(this.clock.instant().getEpochSecond());
		HttpRequest request;
		try {
			request = HttpRequest.newBuilder(URI.create(callback.url()))
				.timeout(this.properties.timeout())
				.header("Content-Type", "application/json")
				.header("User-Agent", "Warren")
				.header(DELIVERY, callback.deliveryId().toString())
				.header(TIMESTAMP, timestamp)
				.header(SIGNATURE, "sha256=" + sign(this.properties.secret(), timestamp, body))
				.header(TASK_STATUS, callback.taskStatus())
				.POST(HttpRequest.BodyPublishers.ofByteArray(body))
				.build();
		}
		catch (IllegalArgumentException ex) {
			record(callback, null, "not a URL this master can send to: " + ex.getMessage(), false, true);
			return CompletableFuture.completedFuture(null);
		}
		// the client's own timeout ends with the answer's headers: this one covers the
		// body
		return this.http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
			.orTimeout(this.properties.timeout().toMillis(), TimeUnit.MILLISECONDS)
			.handle((response, ex) -> {
				if (ex != null) {
					record(callback, null, describe(ex), false, false);
				}
				else {
					int status = response.statusCode();
					boolean ok = status >= 200 && status < 300;
					record(callback, status, ok ? null : "the receiver answered " + status, ok, false);
				}
				return null;
			});
	}

	private void record(CallbackStore.Callback callback, Integer status, String error, boolean ok, boolean giveUp) {
		Instant now = this.clock.instant();
		Instant next = (ok || giveUp || callback.tryNumber() >= this.properties.maxAttempts()) ? null
				: now.plus(backoff(callback.tryNumber()));
		try {
			this.callbacks.record(callback, now, status, error, ok, next);
		}
		catch (DataAccessException | TransactionException ex) {
			// its claim runs out and it is sent again: at least once
			log.warn("callback {} of task {}: outcome not recorded: {}", callback.deliveryId(), callback.taskId(),
					ex.getMessage());
			return;
		}
		if (ok) {
			this.delivered.increment();
			log.debug("task {} callback {} delivered (try {})", callback.taskId(), callback.deliveryId(),
					callback.tryNumber());
		}
		else if (next == null) {
			this.failed.increment();
			log.warn("task {} callback {} to {} given up after {} tries: {}", callback.taskId(), callback.deliveryId(),
					callback.url(), callback.tryNumber(), error);
		}
		else {
			log.info("task {} callback {} try {} failed ({}); next at {}", callback.taskId(), callback.deliveryId(),
					callback.tryNumber(), error, next);
		}
	}

	/**
	 * The wait after the {@code tries}-th failed POST: doubling, capped, ±20 % jitter.
	 */
	Duration backoff(int tries) {
		Duration base = this.properties.initialBackoff().multipliedBy(1L << Math.min(tries - 1, 30));
		if (base.compareTo(this.properties.maxBackoff()) > 0 || base.isNegative()) {
			base = this.properties.maxBackoff();
		}
		double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
		return Duration.ofMillis((long) (base.toMillis() * jitter));
	}

	/** The hex HMAC-SHA256 of {@code <timestamp>.<body>} with the secret. */
	static String sign(String secret, String timestamp, byte[] body) {
		try {
			Mac mac = Mac.getInstance("HmacSHA256");
			mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
			mac.update(timestamp.getBytes(StandardCharsets.UTF_8));
			mac.update((byte) '.');
			return HexFormat.of().formatHex(mac.doFinal(body));
		}
		catch (NoSuchAlgorithmException | InvalidKeyException ex) {
			throw new IllegalStateException("HmacSHA256 is part of every Java runtime", ex);
		}
	}

	private static String describe(Throwable ex) {
		Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
		String message = cause.getMessage();
		return cause.getClass().getSimpleName() + ((message != null) ? ": " + message : "");
	}

}
