package io.warren.master.monitoring;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.TaskScheduler;

/**
 * A gauge source read on a schedule rather than on each scrape, so that a scrape never
 * waits on the database or the broker, and several scrapers cost no more than one.
 */
abstract class PeriodicRefresh implements SmartLifecycle {

	private final Logger log = LoggerFactory.getLogger(getClass());

	private final TaskScheduler scheduler;

	private final Duration interval;

	private volatile ScheduledFuture<?> schedule;

	PeriodicRefresh(TaskScheduler scheduler, Duration interval) {
		this.scheduler = scheduler;
		this.interval = interval;
	}

	/** Reads the figures again. */
	abstract void refresh();

	private void refreshQuietly() {
		try {
			refresh();
		}
		catch (RuntimeException ex) {
			// the health checks report the outage; the gauges keep their last figures
			this.log.debug("refresh failed, next in {}: {}", this.interval, ex.getMessage());
		}
	}

	@Override
	public void start() {
		this.schedule = this.scheduler.scheduleWithFixedDelay(this::refreshQuietly, this.interval);
	}

	@Override
	public void stop() {
		ScheduledFuture<?> current = this.schedule;
		this.schedule = null;
		if (current != null) {
			current.cancel(false);
		}
	}

	@Override
	public boolean isRunning() {
		return this.schedule != null;
	}

}
