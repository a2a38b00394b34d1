package io.warren.worker.handler;

import java.time.Instant;
import java.util.UUID;

/**
 * What a handler may know about the delivery it runs.
 *
 * @param taskId the task id
 * @param type the task type
 * @param attempt the attempt number (a retry or replay is a new attempt)
 * @param deliveryId this delivery's id; a crash redelivery of the same attempt gets a new
 * one
 * @param redelivered whether the broker delivered this attempt before (the task may have
 * run)
 * @param priority 0-9
 * @param createdAt when the task was submitted
 * @param workerId this worker
 */
public record TaskContext(UUID taskId, String type, int attempt, UUID deliveryId, boolean redelivered, int priority,
		Instant createdAt, String workerId) {
}
