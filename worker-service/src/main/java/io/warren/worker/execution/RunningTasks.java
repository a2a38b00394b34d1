package io.warren.worker.execution;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import io.warren.protocol.StartedNotice;

/**
 * The deliveries this worker is running now, by delivery id: what a stop hands back when
 * handlers outlast the drain time.
 */
public class RunningTasks {

	private final Map<UUID, StartedNotice> running = new ConcurrentHashMap<>();

	private final Set<UUID> released = ConcurrentHashMap.newKeySet();

	void add(StartedNotice notice) {
		this.running.put(notice.deliveryId(), notice);
	}

	void remove(UUID deliveryId) {
		this.running.remove(deliveryId);
		this.released.remove(deliveryId);
	}

	/**
	 * Marks every running delivery as handed back and returns them. Whatever their
	 * handlers return afterwards is not reported: the broker gives the task to another
	 * worker, and a handler interrupted by the stop has not failed.
	 */
	public List<StartedNotice> releaseAll() {
		List<StartedNotice> all = List.copyOf(this.running.values());
		all.forEach((notice) -> this.released.add(notice.deliveryId()));
		return all;
	}

	/** Whether the delivery was handed back by {@link #releaseAll()}. */
	boolean isReleased(UUID deliveryId) {
		return this.released.contains(deliveryId);
	}

	/** The deliveries running now, as their started notices. */
	public List<StartedNotice> all() {
		return List.copyOf(this.running.values());
	}

	/** How many deliveries are running now. */
	public int count() {
		return this.running.size();
	}

	/** How many deliveries of a task type are running now. */
	public int count(String type) {
		return (int) this.running.values().stream().filter((notice) -> notice.type().equals(type)).count();
	}

}
