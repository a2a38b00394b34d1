package io.warren.master.dispatch;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.warren.master.task.Task;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Component;

/**
 * Rows the store listed as overdue {@code PENDING} or as due while the row itself says
 * otherwise: an index that disagrees with its table, seen on H2 after a crash. Each is
 * counted ({@code warren.store.mismatches}) and logged once, kept out of later claims so
 * that it cannot crowd out real overdue tasks, and turns the {@code relay} health check
 * DOWN until the master restarts: a person must repair the store (docs/operations.md).
 */
@Component
public class StoreMismatches {

	private static final Logger log = LoggerFactory.getLogger(StoreMismatches.class);

	/** Beyond this many, mismatches are still counted but no longer remembered. */
	static final int REMEMBERED = 10_000;

	/** Task id to the attempt the store listed wrongly. */
	private final Map<UUID, Integer> known = new ConcurrentHashMap<>();

	private final Counter counter;

	public StoreMismatches(MeterRegistry meters) {
		this.counter = Counter.builder("warren.store.mismatches")
			.description("Rows an index listed with a status their row does not have")
			.register(meters);
	}

	/**
	 * Counts, logs and remembers rows a claim found mismatched; returns how many were
	 * newly remembered (and so will be skipped by the next claim).
	 */
	public int report(List<Task> mismatched, String listedAs) {
		int remembered = 0;
		for (Task task : mismatched) {
			this.counter.increment();
			if (this.known.size() < REMEMBERED && this.known.putIfAbsent(task.id(), task.attempt()) == null) {
				remembered++;
				log.warn(
						"task {} listed as {} by the store's index, but its row says {} (attempt {}); "
								+ "not published. The index disagrees with its table: see docs/operations.md",
						task.id(), listedAs, task.status(), task.attempt());
			}
		}
		return remembered;
	}

	/**
	 * The rows to leave out of claims: task id to the attempt listed wrongly. A later
	 * attempt of the same task (a new run of a finished task) is claimed as usual.
	 */
	Map<UUID, Integer> known() {
		return this.known;
	}

	/** How many distinct mismatched rows this master has seen. */
	public int count() {
		return this.known.size();
	}

}
