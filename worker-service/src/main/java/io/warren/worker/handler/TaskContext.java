package io.warren.worker.handler;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * What a handler may know about the delivery it runs, and whether it should stop. A
 * handler is interrupted when its task is cancelled or its timeout passes; a handler that
 * does not block (a loop over rows, say) checks {@link #isCancelled()} or calls
 * {@link #throwIfCancelled()} between steps. Once stopped, the run ends {@code CANCELLED}
 * or {@code TIMED_OUT} whatever the handler returns.
 */
public final class TaskContext {

	private final UUID taskId;

	private final String type;

	private final int attempt;

	private final UUID deliveryId;

	private final boolean redelivered;

	private final int priority;

	private final Instant createdAt;

	private final String workerId;

	private final Instant deadline;

	private final Supplier<String> stopReason;

	/**
	 * A context without a deadline, never stopped.
	 * @param taskId the task id
	 * @param type the task type
	 * @param attempt the attempt number (a retry or replay is a new attempt)
	 * @param deliveryId this delivery's id; a crash redelivery of the same attempt gets a
	 * new one
	 * @param redelivered whether the broker delivered this attempt before (the task may
	 * have run)
	 * @param priority 0-9
	 * @param createdAt when the task was submitted
	 * @param workerId this worker
	 */
	public TaskContext(UUID taskId, String type, int attempt, UUID deliveryId, boolean redelivered, int priority,
			Instant createdAt, String workerId) {
		this(taskId, type, attempt, deliveryId, redelivered, priority, createdAt, workerId, null, () -> null);
	}

	/**
	 * As above, with the run's deadline ({@code null}: none) and where to learn whether
	 * it was stopped ({@code TIMED_OUT}, {@code CANCELLED}, or {@code null}).
	 */
	public TaskContext(UUID taskId, String type, int attempt, UUID deliveryId, boolean redelivered, int priority,
			Instant createdAt, String workerId, Instant deadline, Supplier<String> stopReason) {
		this.taskId = taskId;
		this.type = type;
		this.attempt = attempt;
		this.deliveryId = deliveryId;
		this.redelivered = redelivered;
		this.priority = priority;
		this.createdAt = createdAt;
		this.workerId = workerId;
		this.deadline = deadline;
		this.stopReason = stopReason;
	}

	public UUID taskId() {
		return this.taskId;
	}

	public String type() {
		return this.type;
	}

	public int attempt() {
		return this.attempt;
	}

	public UUID deliveryId() {
		return this.deliveryId;
	}

	public boolean redelivered() {
		return this.redelivered;
	}

	public int priority() {
		return this.priority;
	}

	public Instant createdAt() {
		return this.createdAt;
	}

	public String workerId() {
		return this.workerId;
	}

	/** When the run times out, if it has a deadline. */
	public Optional<Instant> deadline() {
		return Optional.ofNullable(this.deadline);
	}

	/** The time left before the deadline (negative once passed), if there is one. */
	public Optional<Duration> remaining() {
		return deadline().map((at) -> Duration.between(Instant.now(), at));
	}

	/** Whether the run was told to stop: its task was cancelled, or it timed out. */
	public boolean isCancelled() {
		return this.stopReason.get() != null;
	}

	/**
	 * Why the run was told to stop: {@code CANCELLED}, {@code TIMED_OUT}, or empty.
	 */
	public Optional<String> stopReason() {
		return Optional.ofNullable(this.stopReason.get());
	}

	/** Throws {@link TaskStoppedException} if the run was told to stop. */
	public void throwIfCancelled() {
		String reason = this.stopReason.get();
		if (reason != null) {
			throw new TaskStoppedException(reason);
		}
	}

	@Override
	public String toString() {
		return "TaskContext[taskId=" + this.taskId + ", type=" + this.type + ", attempt=" + this.attempt
				+ ", deliveryId=" + this.deliveryId + "]";
	}

}
