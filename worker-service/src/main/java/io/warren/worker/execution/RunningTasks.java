package io.warren.worker.execution;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import io.warren.protocol.StartedNotice;

/**
 * The deliveries this worker is running now, by delivery id: what a stop hands back when
 * handlers outlast the drain time, what a cancel interrupts, what heartbeats list. Also
 * the types this worker stopped taking because a handler ignored its interruption.
 */
public class RunningTasks {

	private final Map<UUID, Execution> running = new ConcurrentHashMap<>();

	private final Set<UUID> released = ConcurrentHashMap.newKeySet();

	private final Map<String, String> stoppedTypes = new ConcurrentHashMap<>();

	/** Records a delivery that runs on the calling thread, without a deadline. */
	void add(StartedNotice notice) {
		add(new Execution(notice, Thread.currentThread(), null, null, 0));
	}

	void add(Execution execution) {
		this.running.put(execution.notice().deliveryId(), execution);
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
		List<StartedNotice> all = all();
		all.forEach((notice) -> this.released.add(notice.deliveryId()));
		return all;
	}

	/** Whether the delivery was handed back by {@link #releaseAll()}. */
	boolean isReleased(UUID deliveryId) {
		return this.released.contains(deliveryId);
	}

	/** The deliveries running now, as their started notices. */
	public List<StartedNotice> all() {
		return this.running.values().stream().map(Execution::notice).toList();
	}

	/** The deliveries running now. */
	List<Execution> executions() {
		return List.copyOf(this.running.values());
	}

	/** The running deliveries of a task. */
	List<Execution> executionsOf(UUID taskId) {
		return this.running.values().stream().filter((run) -> run.notice().taskId().equals(taskId)).toList();
	}

	/** How many deliveries are running now. */
	public int count() {
		return this.running.size();
	}

	/** How many deliveries of a task type are running now. */
	public int count(String type) {
		return (int) this.running.values().stream().filter((run) -> run.notice().type().equals(type)).count();
	}

	/** Records that this worker takes no more tasks of a type, and why. */
	void typeStopped(String type, String reason) {
		this.stoppedTypes.put(type, reason);
	}

	/** The types this worker stopped taking, with why. */
	public Map<String, String> stoppedTypes() {
		return Map.copyOf(this.stoppedTypes);
	}

}
