package io.warren.master.task;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.warren.master.config.MasterProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.dao.DataAccessException;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Deletes idempotency keys older than {@code warren.master.idempotency-window} once a
 * minute, so that the table holds about a window's worth of keyed submissions. (A key
 * past the window is ignored by lookups in any case.)
 */
@Component
class IdempotencyKeyPurge {

	private static final Logger log = LoggerFactory.getLogger(IdempotencyKeyPurge.class);

	private final TaskStore store;

	private final Clock clock;

	private final Duration window;

	IdempotencyKeyPurge(TaskStore store, Clock clock, MasterProperties properties) {
		this.store = store;
		this.clock = clock;
		this.window = properties.idempotencyWindow();
	}

	@Scheduled(initialDelay = 1, fixedDelay = 1, timeUnit = TimeUnit.MINUTES)
	int purge() {
		try {
			int purged = this.store.purgeIdempotencyKeys(this.clock.instant().minus(this.window));
			log.debug("{} idempotency keys past the window deleted", purged);
			return purged;
		}
		catch (DataAccessException ex) {
			log.debug("idempotency keys not purged now: {}", ex.getMessage());
			return 0;
		}
	}

}
