package io.warren.master.workers;

import java.time.Instant;
import java.util.List;

import io.warren.protocol.Heartbeat;

/**
 * A worker as the registry holds it: its last heartbeat, and what the masters made of it.
 *
 * @param id the worker's id
 * @param state {@code RUNNING}, {@code PAUSED}, {@code DRAINING}, {@code STOPPED} (it
 * said goodbye) or {@code LOST} (three heartbeat intervals without one)
 * @param host its host name
 * @param version its version
 * @param types the task types it serves, with their concurrency and whether it takes them
 * now
 * @param running the deliveries it ran at its last heartbeat
 * @param heartbeatIntervalMs how often it sends a heartbeat
 * @param startedAt when it started
 * @param lastSeenAt when a master received its last heartbeat
 * @param stateSince since when it is in its state
 */
public record WorkerRecord(String id, String state, String host, String version, List<Heartbeat.TypeState> types,
		List<Heartbeat.RunningTask> running, long heartbeatIntervalMs, Instant startedAt, Instant lastSeenAt,
		Instant stateSince) {

	/** Whether it is neither lost nor stopped (not a JSON property: no getter name). */
	public boolean live() {
		return !this.state.equals(WorkerRegistry.LOST) && !this.state.equals(WorkerRegistry.STOPPED);
	}

}
