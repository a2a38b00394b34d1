package io.warren.master.task;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.warren.master.config.MasterProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.dao.DataAccessException;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Deletes finished tasks: those an operator selects ({@code DELETE /api/v1/tasks}, a
 * terminal status required), and, periodically, those finished longer ago than
 * {@code warren.master.retention}, in small batches so that no transaction holds many
 * rows. Never an active task. Every deletion is logged and counted
 * ({@code warren.tasks.purged{reason}}).
 */
@Component
public class TaskPurge {

	private static final Logger log = LoggerFactory.getLogger(TaskPurge.class);

	private final TaskStore store;

	private final TransactionTemplate transactions;

	private final Clock clock;

	private final Duration retention;

	private final int batchSize;

	private final int maxPerRun;

	private final Counter expired;

	private final Counter selected;

	TaskPurge(TaskStore store, TransactionTemplate transactions, Clock clock, MasterProperties properties,
			MeterRegistry meters) {
		this.store = store;
		this.transactions = transactions;
		this.clock = clock;
		this.retention = properties.retention();
		this.batchSize = properties.purge().batchSize();
		this.maxPerRun = properties.purge().maxPerRun();
		this.expired = meters.counter("warren.tasks.purged", "reason", "retention");
		this.selected = meters.counter("warren.tasks.purged", "reason", "request");
	}

	/**
	 * Deletes up to {@code limit} tasks the filter selects, whose status must be
	 * terminal; returns how many.
	 */
	public int deleteSelected(TaskFilter filter, int limit) {
		if (filter.status() == null || !filter.status().isTerminal()) {
			throw new InvalidTaskException("status",
					"must be given and terminal (" + TaskStatus.terminal() + ") to delete tasks");
		}
		Integer deleted = this.transactions
			.execute((status) -> this.store.deleteAll(this.store.lockSelected(filter, limit)));
		int count = (deleted != null) ? deleted : 0;
		if (count > 0) {
			log.info("{} {} task(s) deleted on request ({})", count, filter.status(), filter);
			this.selected.increment(count);
		}
		return count;
	}

	/**
	 * Deletes finished tasks older than the retention, batch by batch, up to
	 * {@code warren.master.purge.max-per-run}; returns how many. A retention of {@code 0}
	 * keeps every task.
	 */
	public int purgeExpired() {
		if (this.retention.isZero()) {
			return 0;
		}
		Instant cutoff = this.clock.instant().minus(this.retention);
		UUID idBefore = TaskIds.first(cutoff);
		int total = 0;
		while (true) {
			Integer deleted = this.transactions
				.execute((status) -> this.store.deleteAll(this.store.lockExpired(idBefore, cutoff, this.batchSize)));
			int count = (deleted != null) ? deleted : 0;
			total += count;
			this.expired.increment(count);
			if (count < this.batchSize || total >= this.maxPerRun) {
				break;
			}
		}
		if (total > 0) {
			log.info("{} task(s) finished before {} deleted (warren.master.retention: {})", total, cutoff,
					this.retention);
		}
		return total;
	}

	/**
	 * Every {@code warren.master.purge.interval}, unless the retention is {@code 0}: the
	 * same scheduling as the idempotency keys' purge.
	 */
	@Scheduled(initialDelayString = "${warren.master.purge.interval:1m}",
			fixedDelayString = "${warren.master.purge.interval:1m}")
	void purgeExpiredQuietly() {
		try {
			purgeExpired();
		}
		catch (DataAccessException ex) {
			log.warn("finished tasks not purged now: {}", ex.getMessage());
		}
	}

}
