package io.warren.master.task;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import io.warren.master.config.MasterProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Stores concurrent submissions together: requests put their tasks in a bounded queue and
 * wait; writer threads take whatever is waiting (no fill timer, so an idle master adds no
 * latency) and insert it in one transaction, one commit for many requests. Each request
 * is answered only after its own rows are committed. If a combined insert is refused,
 * each submission is stored alone, so a row the store refuses fails only its own request;
 * if the store is unreachable, the whole group fails at once. A full queue refuses at
 * once ({@link SubmissionsBusyException}, 503): its capacity is kept below the web
 * server's threads, so that waiting submissions never hold every thread.
 */
@Component
class GroupCommit implements SmartLifecycle {

	/**
	 * Stops after the web server (which stops at {@code DEFAULT_PHASE - 2048}, after its
	 * requests) and before the publisher the submissions are handed to.
	 */
	static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 3000;

	private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

	private final TaskStore store;

	private final TransactionTemplate transactions;

	private final BlockingQueue<Submission> waiting;

	private final int maxTasks;

	private final int writers;

	private final List<Thread> threads = new ArrayList<>();

	private volatile boolean running;

	GroupCommit(TaskStore store, TransactionTemplate transactions, MasterProperties properties) {
		this.store = store;
		this.transactions = transactions;
		this.waiting = new ArrayBlockingQueue<>(properties.submit().queueCapacity());
		this.maxTasks = properties.submit().maxBatch();
		this.writers = properties.submit().writers();
	}

	/**
	 * Stores the tasks, all or none, with the task types they are the first of and the
	 * idempotency key they were submitted with (or {@code null}), in a transaction shared
	 * with other submissions; returns once they are committed, or throws what the store
	 * threw (a duplicate key when that idempotency key is already recorded).
	 */
	void store(List<Task> tasks, Set<String> newTypes, Instant publishAfter, IdempotencyKey key) {
		Submission submission = new Submission(tasks, newTypes, publishAfter, key, new CompletableFuture<>());
		if (!this.running || !this.waiting.offer(submission)) {
			throw busy();
		}
		if (!this.running && this.waiting.remove(submission)) {
			// stopped between the check and the offer: no writer will take it
			throw busy();
		}
		try {
			submission.stored().join();
		}
		catch (CompletionException ex) {
			if (ex.getCause() instanceof RuntimeException cause) {
				throw cause;
			}
			throw ex;
		}
	}

	private static SubmissionsBusyException busy() {
		return new SubmissionsBusyException("too many submissions are waiting to be stored; retry shortly");
	}

	private void write() {
		List<Submission> batch = new ArrayList<>();
		while (this.running || !this.waiting.isEmpty()) {
			try {
				Submission first = this.waiting.poll(100, TimeUnit.MILLISECONDS);
				if (first == null) {
					continue;
				}
				batch.add(first);
				// about max-batch tasks: the submission that crosses it still goes in
				int tasks = first.tasks().size();
				Submission next;
				while (tasks < this.maxTasks && (next = this.waiting.poll()) != null) {
					batch.add(next);
					tasks += next.tasks().size();
				}
				commit(batch);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
			finally {
				batch.clear();
			}
		}
	}

	/**
	 * Stores a group in one transaction; if the store is unreachable the whole group
	 * fails at once, if it refused something each submission is stored alone.
	 */
	void commit(List<Submission> batch) {
		try {
			batch.forEach(this::registerTypes);
			this.transactions.executeWithoutResult((status) -> batch.forEach(this::insertTasks));
			batch.forEach((submission) -> submission.stored().complete(null));
		}
		catch (RuntimeException ex) {
			if (StoreFailures.isTransient(ex)) {
				batch.forEach((submission) -> submission.stored().completeExceptionally(ex));
				return;
			}
			log.debug("a group of {} submissions was refused, storing each alone: {}", batch.size(), ex.getMessage());
			batch.forEach(this::storeAlone);
		}
	}

	private void storeAlone(Submission submission) {
		try {
			registerTypes(submission);
			this.transactions.executeWithoutResult((status) -> insertTasks(submission));
			submission.stored().complete(null);
		}
		catch (DuplicateKeyException ex) {
			if (alreadyStored(submission)) {
				// the refused group did commit after all (its outcome was unknown)
				submission.stored().complete(null);
			}
			else {
				submission.stored().completeExceptionally(ex);
			}
		}
		catch (RuntimeException ex) {
			submission.stored().completeExceptionally(ex);
		}
	}

	/** Whether every task of the submission is in the store as submitted. */
	private boolean alreadyStored(Submission submission) {
		return submission.tasks()
			.stream()
			.allMatch((task) -> this.store.find(task.id())
				.filter((stored) -> stored.type().equals(task.type()) && stored.payload().equals(task.payload())
						&& stored.createdAt().equals(task.createdAt()))
				.isPresent());
	}

	/**
	 * Registers the submission's new types, each in a transaction of its own: the same
	 * type registered at the same moment by the other writer or another master is a
	 * duplicate key here, and means the type is there.
	 */
	private void registerTypes(Submission submission) {
		for (String type : submission.newTypes()) {
			try {
				this.transactions.executeWithoutResult((status) -> this.store.registerType(type));
			}
			catch (DuplicateKeyException ex) {
				log.debug("task type {} registered meanwhile by another transaction", type);
			}
		}
	}

	private void insertTasks(Submission submission) {
		if (submission.key() != null) {
			// first: a key used meanwhile fails this submission before its rows
			this.store.insertIdempotencyKey(submission.key());
		}
		this.store.insertAll(submission.tasks(), submission.publishAfter());
	}

	@Override
	public void start() {
		this.running = true;
		for (int i = 0; i < this.writers; i++) {
			Thread thread = new Thread(this::write, "warren-submit-" + i);
			thread.setDaemon(true);
			thread.start();
			this.threads.add(thread);
		}
	}

	/** Stores what is waiting, then stops. */
	@Override
	public void stop() {
		this.running = false;
		for (Thread thread : this.threads) {
			try {
				thread.join(5_000);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		this.threads.clear();
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

	record Submission(List<Task> tasks, Set<String> newTypes, Instant publishAfter, IdempotencyKey key,
			CompletableFuture<Void> stored) {

		Submission(List<Task> tasks, Set<String> newTypes, Instant publishAfter, CompletableFuture<Void> stored) {
			this(tasks, newTypes, publishAfter, null, stored);
		}

	}

}
