package io.warren.master.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Settings of the master ({@code warren.master.*}).
 *
 * @param maxBodySize the largest request body accepted; larger ones get 413
 * @param idempotencyWindow how long an {@code Idempotency-Key} returns the tasks it
 * created; after it the key may be used again
 * @param maxResultSize the largest result stored (its JSON in UTF-8); a larger one fails
 * its task with {@code RESULT_TOO_LARGE}
 * @param allowedTypes task types that may be submitted; empty means any valid name
 * @param maxTaskTypes the most distinct task types (and so task queues) the master
 * creates
 * @param relay the outbox relay that republishes tasks left {@code PENDING}
 * @param replies the consumer of started notices and results
 * @param submit how submissions are stored
 * @param batch {@code POST /api/v1/tasks/batch}
 * @param list paging of {@code GET /api/v1/tasks}
 * @param monitoring gauges and health checks
 * @param uploads how request bodies are received
 * @param retry the retry policy of every task type, unless its own settings say otherwise
 * @param types per task type settings, keyed by type; a type with a dot needs brackets
 * ({@code warren.master.types.[image.resize].retry.max-attempts})
 * @param maxDelay the latest a task may be submitted to run ({@code runAt} or
 * {@code delay} beyond it is refused)
 * @param maxDeliveries started deliveries of one attempt that never reported (their
 * workers died) after which the next one ends the task {@code FAILED} with
 * {@code POISONED} instead of running it
 * @param retention how long a finished task is kept before the purge deletes it;
 * {@code 0} keeps tasks for ever
 * @param purge the periodic deletion of finished tasks older than the retention
 * @param bulkLimit the most tasks one bulk retry, cancel or delete request handles
 * @param maxTimeout the longest timeout a submission may give a task
 * @param workers the worker registry
 * @param events live status events: the stream {@code GET /api/v1/events} serves
 * @param waits requests that wait for a task to finish ({@code wait})
 * @param callbacks the POSTs of finished tasks to their {@code callbackUrl}
 */
@ConfigurationProperties("warren.master")
public record MasterProperties(@DefaultValue("1MB") DataSize maxBodySize, @DefaultValue("1MB") DataSize maxResultSize,
		@DefaultValue("24h") Duration idempotencyWindow, Set<String> allowedTypes,
		@DefaultValue("100") int maxTaskTypes, @DefaultValue Relay relay, @DefaultValue Replies replies,
		@DefaultValue Submit submit, @DefaultValue Batch batch, @DefaultValue Paging list,
		@DefaultValue Monitoring monitoring, @DefaultValue Uploads uploads, @DefaultValue Retry retry,
		Map<String, TypeSettings> types, @DefaultValue("365d") Duration maxDelay, @DefaultValue("5") int maxDeliveries,
		@DefaultValue("30d") Duration retention, @DefaultValue Purge purge, @DefaultValue("1000") int bulkLimit,
		@DefaultValue("24h") Duration maxTimeout, @DefaultValue Workers workers, @DefaultValue Events events,
		@DefaultValue Waits waits, @DefaultValue Callbacks callbacks) {

	public MasterProperties {
		if (idempotencyWindow.isZero() || idempotencyWindow.isNegative()) {
			throw new IllegalArgumentException("warren.master.idempotency-window must be positive");
		}
		if (maxDeliveries < 1 || bulkLimit < 1 || retention.isNegative() || maxDelay.isNegative()) {
			throw new IllegalArgumentException("warren.master.max-deliveries and bulk-limit must be 1 or more, "
					+ "retention and max-delay 0 or more");
		}
		if (!retention.isZero() && retention.compareTo(idempotencyWindow) < 0) {
			throw new IllegalArgumentException("warren.master.retention (" + retention
					+ ") must be 0 or at least warren.master.idempotency-window (" + idempotencyWindow
					+ "): a retried request must find the tasks its key created");
		}
		if (maxTimeout.isZero() || maxTimeout.isNegative()) {
			throw new IllegalArgumentException("warren.master.max-timeout must be positive");
		}
		allowedTypes = (allowedTypes != null) ? Set.copyOf(allowedTypes) : Set.of();
		types = (types != null) ? Map.copyOf(types) : Map.of();
		for (Map.Entry<String, TypeSettings> type : types.entrySet()) {
			TypeSettings settings = type.getValue();
			if (settings.timeout() != null && settings.timeout().compareTo(maxTimeout) > 0) {
				throw new IllegalArgumentException("warren.master.types." + type.getKey() + ".timeout ("
						+ settings.timeout() + ") is longer than warren.master.max-timeout (" + maxTimeout + ")");
			}
			if (settings.retry() != null) {
				// refused at start-up, not when a result arrives
				settings.retry().over(retry);
			}
		}
	}

	/**
	 * The retry policy of a task type: its own settings over {@link #retry}.
	 */
	public Retry retryOf(String type) {
		TypeSettings settings = this.types.get(type);
		return (settings != null && settings.retry() != null) ? settings.retry().over(this.retry) : this.retry;
	}

	/**
	 * How failed attempts are retried: exponential backoff with jitter, the backoff of
	 * the n-th retry being {@code initialBackoff × multiplier^(n-1)}, at most
	 * {@code maxBackoff}.
	 *
	 * @param maxAttempts attempts in all, the first included (1 means no retry); a task's
	 * own {@code maxAttempts} wins
	 * @param initialBackoff the backoff before the first retry
	 * @param multiplier how much each backoff grows
	 * @param maxBackoff the longest backoff
	 * @param jitter how much of each backoff is random, from 0 (none) to 1 (full jitter:
	 * anything from 0 to the backoff)
	 */
	public record Retry(@DefaultValue("3") int maxAttempts, @DefaultValue("1s") Duration initialBackoff,
			@DefaultValue("2") double multiplier, @DefaultValue("10s") Duration maxBackoff,
			@DefaultValue("1") double jitter) {

		public Retry {
			if (maxAttempts < 1 || maxAttempts > 100 || initialBackoff.isNegative() || multiplier < 1
					|| maxBackoff.compareTo(initialBackoff) < 0 || jitter < 0 || jitter > 1) {
				throw new IllegalArgumentException("retry: max-attempts must be 1 to 100, initial-backoff 0 or more, "
						+ "multiplier 1 or more, max-backoff at least initial-backoff, jitter 0 to 1");
			}
		}

		/**
		 * The backoff before the retry that follows {@code failedAttempts} failed
		 * attempts, with {@code random} (0 to 1) taking off the jittered part.
		 */
		public Duration backoff(int failedAttempts, double random) {
			double millis = this.initialBackoff.toMillis() * Math.pow(this.multiplier, Math.max(0, failedAttempts - 1));
			millis = Math.min(millis, this.maxBackoff.toMillis());
			return Duration.ofMillis(Math.round(millis * (1 - this.jitter * random)));
		}

	}

	/**
	 * @param retry this type's retry policy; a setting left out is taken from
	 * {@code warren.master.retry}
	 */
	public record TypeSettings(TypeRetry retry, Duration timeout) {

		public TypeSettings {
			if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
				throw new IllegalArgumentException("warren.master.types.<type>.timeout must be positive");
			}
		}

	}

	/**
	 * The timeout of a type's tasks submitted without one, from
	 * {@code warren.master.types.<type>.timeout}; {@code null} if not set.
	 */
	public Duration timeoutOf(String type) {
		TypeSettings settings = this.types.get(type);
		return (settings != null) ? settings.timeout() : null;
	}

	/**
	 * Live status events.
	 *
	 * @param maxStreams event streams one master serves at once; beyond it a request gets
	 * 503
	 * @param keepAlive how often an idle stream is sent a comment line, so that proxies
	 * and clients keep it open and a vanished client is noticed
	 * @param replaySize the latest events a master keeps for a client that resumes with
	 * {@code Last-Event-ID}
	 * @param streamBuffer events waiting to be written to one slow stream; a stream that
	 * falls further behind is closed (its client resumes with {@code Last-Event-ID})
	 * @param publishBuffer events waiting to be published to the broker; beyond it new
	 * events are dropped and counted ({@code warren.events.dropped})
	 * @param queueLength events waiting in a master's own events queue on the broker;
	 * beyond it the broker drops the oldest
	 */
	public record Events(@DefaultValue("100") int maxStreams, @DefaultValue("15s") Duration keepAlive,
			@DefaultValue("10000") int replaySize, @DefaultValue("1000") int streamBuffer,
			@DefaultValue("100000") int publishBuffer, @DefaultValue("100000") int queueLength) {

		public Events {
			if (maxStreams < 0 || replaySize < 0 || streamBuffer < 1 || publishBuffer < 1 || queueLength < 1
					|| keepAlive.isZero() || keepAlive.isNegative()) {
				throw new IllegalArgumentException("warren.master.events: max-streams and replay-size must be 0 or "
						+ "more, stream-buffer, publish-buffer and queue-length 1 or more, keep-alive positive");
			}
		}

	}

	/**
	 * Result callbacks: when a task with a {@code callbackUrl} ends, the master POSTs its
	 * record there, signed, until the receiver answers 2xx or the attempts run out.
	 *
	 * @param allowedHosts host names a {@code callbackUrl} may name (any port); a name
	 * starting with {@code *.} allows its subdomains; loopback only by default
	 * @param secret the HMAC-SHA256 key of {@code X-Warren-Signature}; without it, a task
	 * with a {@code callbackUrl} is refused
	 * @param interval how often due callbacks are looked for
	 * @param timeout how long one POST may take, connection included
	 * @param maxAttempts POSTs of one callback before it is given up
	 * @param initialBackoff the wait after the first failed POST; each next one doubles
	 * @param maxBackoff the longest wait between two POSTs
	 * @param batchSize the most callbacks one master sends in one pass
	 */
	public record Callbacks(@DefaultValue( {
			"localhost", "127.0.0.1", "::1" }) List<String> allowedHosts, String secret,
			@DefaultValue("1s") Duration interval, @DefaultValue("10s") Duration timeout,
			@DefaultValue("10") int maxAttempts, @DefaultValue("1s") Duration initialBackoff,
			@DefaultValue("10m") Duration maxBackoff, @DefaultValue("50") int batchSize){

		public Callbacks {
			allowedHosts = allowedHosts.stream().map((host) -> host.trim().toLowerCase(Locale.ROOT)).toList();
			secret = (secret != null && !secret.isBlank()) ? secret : null;
			if (interval.isZero() || interval.isNegative() || timeout.isZero() || timeout.isNegative()
					|| maxAttempts < 1 || initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0
					|| batchSize < 1) {
				throw new IllegalArgumentException("warren.master.callbacks: interval and timeout must be positive, "
						+ "max-attempts and batch-size 1 or more, max-backoff at least initial-backoff");
			}
		}

	}

	/**
	 * Requests that wait for a task to finish.
	 *
	 * @param max the longest {@code wait} a request may ask for
	 * @param threads threads that read and answer the tasks of waits that ended
	 */
	public record Waits(@DefaultValue("5m") Duration max, @DefaultValue("2") int threads) {

		public Waits {
			if (max.isNegative() || threads < 1) {
				throw new IllegalArgumentException(
						"warren.master.waits.max must be 0 or more and warren.master.waits.threads 1 or more");
			}
		}

	}

	/**
	 * The worker registry.
	 *
	 * @param retention how long lost and stopped workers stay listed
	 * @param checkInterval how often a master marks workers lost and looks for running
	 * tasks held by lost workers
	 * @param lostTaskGrace how long a {@code RUNNING} task of a lost worker may stay so
	 * past its timeout (or past the worker's loss, without a timeout) before its attempt
	 * fails {@code WORKER_LOST}; the broker's own redelivery usually comes first
	 */
	public record Workers(@DefaultValue("1h") Duration retention, @DefaultValue("5s") Duration checkInterval,
			@DefaultValue("1m") Duration lostTaskGrace) {

		public Workers {
			if (checkInterval.isZero() || checkInterval.isNegative() || retention.isNegative()
					|| lostTaskGrace.isNegative()) {
				throw new IllegalArgumentException("warren.master.workers.check-interval must be positive, "
						+ "retention and lost-task-grace 0 or more");
			}
		}

	}

	/**
	 * A type's retry settings; each left out is taken from {@code warren.master.retry}.
	 *
	 * @param maxAttempts attempts in all, the first included
	 * @param initialBackoff the backoff before the first retry
	 * @param multiplier how much each backoff grows
	 * @param maxBackoff the longest backoff
	 * @param jitter how much of each backoff is random, 0 to 1
	 */
	public record TypeRetry(Integer maxAttempts, Duration initialBackoff, Double multiplier, Duration maxBackoff,
			Double jitter) {

		Retry over(Retry defaults) {
			return new Retry((this.maxAttempts != null) ? this.maxAttempts : defaults.maxAttempts(),
					(this.initialBackoff != null) ? this.initialBackoff : defaults.initialBackoff(),
					(this.multiplier != null) ? this.multiplier : defaults.multiplier(),
					(this.maxBackoff != null) ? this.maxBackoff : defaults.maxBackoff(),
					(this.jitter != null) ? this.jitter : defaults.jitter());
		}

	}

	/**
	 * @param interval how often finished tasks older than {@code warren.master.retention}
	 * are looked for
	 * @param batchSize the most tasks deleted in one transaction
	 * @param maxPerRun the most tasks one run deletes, so that a large backlog (the first
	 * run after an upgrade) is worked off over several runs instead of holding a
	 * scheduler thread
	 */
	public record Purge(@DefaultValue("1m") Duration interval, @DefaultValue("500") int batchSize,
			@DefaultValue("10000") int maxPerRun) {

		public Purge {
			if (batchSize < 1 || maxPerRun < 1 || interval.isZero() || interval.isNegative()) {
				throw new IllegalArgumentException("warren.master.purge.interval and batch-size must be positive");
			}
		}

	}

	/**
	 * @param interval how often the relay looks for overdue {@code PENDING} tasks
	 * @param confirmTimeout how long a task may stay {@code PENDING} before it is
	 * published again
	 * @param batchSize the most tasks republished per pass
	 * @param confirmRecordDelay how long after a broker confirm a task is written
	 * {@code QUEUED}, together with the confirms that arrived meanwhile; a task a worker
	 * starts within it is never written {@code QUEUED}
	 */
	public record Relay(@DefaultValue("1s") Duration interval, @DefaultValue("10s") Duration confirmTimeout,
			@DefaultValue("500") int batchSize, @DefaultValue("200ms") Duration confirmRecordDelay) {

		public Relay {
			if (confirmRecordDelay.isNegative() || confirmRecordDelay.compareTo(confirmTimeout.dividedBy(2)) > 0) {
				throw new IllegalArgumentException(
						"warren.master.relay.confirm-record-delay must be between 0 and half the confirm-timeout");
			}
		}

	}

	/**
	 * @param concurrency consumers on the reply queue
	 * @param prefetch unacknowledged replies per consumer (at least the batch size)
	 * @param batchSize the most replies applied in one transaction
	 * @param batchWait how long a batch waits for one more reply before it is applied
	 * @param maxAttempts how many times a reply is handed back because applying it alone
	 * failed for a reason that usually passes (a lock timeout) while others of the same
	 * pass committed, before its task is failed and it is parked
	 */
	public record Replies(@DefaultValue("2") int concurrency, @DefaultValue("250") int prefetch,
			@DefaultValue("100") int batchSize, @DefaultValue("5ms") Duration batchWait,
			@DefaultValue("10") int maxAttempts) {

		public Replies {
			if (batchSize < 1 || maxAttempts < 1) {
				throw new IllegalArgumentException(
						"warren.master.replies.batch-size and max-attempts must be 1 or more");
			}
		}

	}

	/**
	 * @param queueCapacity submissions that may wait to be stored; beyond it a submission
	 * gets 503 at once (keep it below the web server's threads, 200 by default, so that
	 * reads and health checks always find a thread)
	 * @param maxBatch the most tasks stored in one transaction
	 * @param writers threads that store waiting submissions
	 * @param maxPublishBacklog tasks stored but not yet handed to the broker beyond which
	 * submissions get 503 instead of being accepted
	 */
	public record Submit(@DefaultValue("150") int queueCapacity, @DefaultValue("1000") int maxBatch,
			@DefaultValue("2") int writers, @DefaultValue("5000") int maxPublishBacklog) {

		public Submit {
			if (queueCapacity < 1 || maxBatch < 1 || writers < 1) {
				throw new IllegalArgumentException(
						"warren.master.submit.queue-capacity, max-batch and writers must be 1 or more");
			}
		}

	}

	/**
	 * @param maxTasks the most tasks in one {@code POST /api/v1/tasks/batch}
	 * @param maxBodySize the largest batch request body accepted; larger ones get 413
	 */
	public record Batch(@DefaultValue("1000") int maxTasks, @DefaultValue("16MB") DataSize maxBodySize) {
	}

	/**
	 * @param defaultLimit items per page when {@code limit} is not given
	 * @param maxLimit the largest {@code limit} accepted
	 */
	public record Paging(@DefaultValue("50") int defaultLimit, @DefaultValue("500") int maxLimit) {
	}

	/**
	 * @param refreshInterval how often the tasks-by-status and queue gauges are read from
	 * the database and the broker (never on a scrape)
	 * @param relayMaxLag how long a task may stay {@code PENDING} before the
	 * {@code relay} health check reports DOWN
	 */
	public record Monitoring(@DefaultValue("10s") Duration refreshInterval, @DefaultValue("1m") Duration relayMaxLag) {
	}

	/**
	 * @param maxConcurrent request bodies received at once; a request beyond it gets 503
	 * with {@code Retry-After} without waiting, so that slow uploads never hold every
	 * request thread (with {@code submit.queue-capacity} below
	 * {@code server.tomcat.threads.max}, 200: the others answer reads and health checks)
	 * @param timeout how long a request body may take to arrive in full, and the longest
	 * wait for its next bytes; past it the request gets 408
	 */
	public record Uploads(@DefaultValue("40") int maxConcurrent, @DefaultValue("10s") Duration timeout) {

		public Uploads {
			if (maxConcurrent < 1 || timeout.isZero() || timeout.isNegative()) {
				throw new IllegalArgumentException("warren.master.uploads.max-concurrent and timeout must be positive");
			}
		}

	}

}
