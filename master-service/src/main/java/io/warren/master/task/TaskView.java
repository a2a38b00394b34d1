package io.warren.master.task;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import tools.jackson.databind.JsonNode;

/**
 * A task as the API shows it.
 *
 * @param id the task id
 * @param type the task type
 * @param status where it stands
 * @param priority 0-9
 * @param payload the submitted JSON
 * @param result the handler's result once it succeeded, else null
 * @param error why it failed once it failed (while {@code RETRYING}: why the last attempt
 * failed), else null
 * @param attempts the current attempt number
 * @param maxAttempts the last attempt its retry policy allows (a retry by hand grants a
 * fresh budget: attempt numbers go on, and so does this one)
 * @param deliveries distinct deliveries of the current attempt that workers reported
 * @param duplicates deliveries of the current attempt beyond the first: duplicate
 * executions
 * @param workerId the worker that reported last
 * @param createdAt when it was submitted
 * @param runAt when a {@code SCHEDULED} or {@code RETRYING} task runs next, else null
 * @param startedAt when a worker started the current attempt
 * @param finishedAt when the handler of its result ended
 * @param updatedAt when the master last changed the record (for a finished task: when its
 * result was recorded)
 * @param history every attempt so far, oldest first; the current one last unless it is
 * still waiting for its due time
 * @param timeoutMs how long one run may take, as submitted or from the type's master
 * settings; null leaves it to the worker
 * @param cancelRequestedAt when a cancel was asked for while the task ran (it ends
 * {@code CANCELLED} when its worker stops it), else null
 * @param callbackUrl where the master POSTs the record when the task ends, else null
 * @param callbacks the callbacks of its ends so far, oldest first, each with its POSTs
 */
public record TaskView(UUID id, String type, TaskStatus status, int priority, JsonNode payload, JsonNode result,
		ErrorView error, int attempts, int maxAttempts, int deliveries, int duplicates, String workerId,
		Instant createdAt, Instant runAt, Instant startedAt, Instant finishedAt, Instant updatedAt,
		List<AttemptView> history, Long timeoutMs, Instant cancelRequestedAt, String callbackUrl,
		List<CallbackView> callbacks) {

	/**
	 * One callback: the POSTs of the record for one end of the task.
	 *
	 * @param deliveryId sent as {@code X-Warren-Delivery}, the same on every POST of it
	 * @param taskStatus the status the task ended in
	 * @param attempt the attempt that ended
	 * @param url where it is sent
	 * @param state {@code PENDING} (to be sent, or sent again), {@code DELIVERED} (a 2xx
	 * came) or {@code FAILED} (every attempt failed)
	 * @param nextAt when a {@code PENDING} callback is sent next
	 * @param deliveredAt when a 2xx came
	 * @param tries every POST so far
	 */
	public record CallbackView(UUID deliveryId, TaskStatus taskStatus, int attempt, String url, String state,
			Instant nextAt, Instant deliveredAt, List<CallbackTry> tries) {
	}

	/**
	 * One POST of a callback.
	 *
	 * @param attempt its number, from 1
	 * @param at when it was sent
	 * @param httpStatus the receiver's status, or null when none came
	 * @param error why it failed, or null
	 */
	public record CallbackTry(int attempt, Instant at, Integer httpStatus, String error) {
	}

	/**
	 * Why a task failed.
	 *
	 * @param code {@code HANDLER_ERROR}, {@code INVALID_PAYLOAD}, {@code MALFORMED},
	 * {@code DEAD_LETTERED}, {@code POISONED}, {@code REPLY_REFUSED},
	 * {@code RESULT_TOO_LARGE}, {@code TIMED_OUT}, {@code WORKER_LOST},
	 * {@code CANCELLED}, or a worker's own code
	 * @param message what went wrong
	 */
	public record ErrorView(String code, String message) {

		static ErrorView of(io.warren.protocol.TaskError error) {
			return (error != null) ? new ErrorView(error.code(), error.message()) : null;
		}

	}

	/**
	 * One attempt.
	 *
	 * @param attempt its number
	 * @param outcome {@code SUCCEEDED} or {@code FAILED} once it ended, else null
	 * @param workerId the worker that reported last for it
	 * @param startedAt when a worker started it
	 * @param finishedAt when its handler ended
	 * @param error why it failed
	 * @param deliveries distinct deliveries reported for it
	 * @param duplicates deliveries beyond the first
	 */
	public record AttemptView(int attempt, TaskStatus outcome, String workerId, Instant startedAt, Instant finishedAt,
			ErrorView error, int deliveries, int duplicates) {

		static AttemptView of(AttemptRecord record) {
			return new AttemptView(record.attempt(), record.outcome(), record.workerId(), record.startedAt(),
					record.finishedAt(), ErrorView.of(record.error()), record.deliveries(), record.duplicates());
		}

		/** The task's current attempt, as its row shows it. */
		static AttemptView current(Task task) {
			return new AttemptView(task.attempt(), task.status().isTerminal() ? task.status() : null, task.workerId(),
					task.startedAt(), task.finishedAt(), ErrorView.of(task.error()), task.deliveries(),
					task.duplicates());
		}

	}

}
