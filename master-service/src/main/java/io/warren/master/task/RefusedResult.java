package io.warren.master.task;

import java.util.UUID;

/**
 * A result message the master cannot decode, known by its properties ({@code message_id}
 * and {@code x-warren-attempt}): its task fails rather than wait for a result that will
 * never come.
 *
 * @param taskId the task, from {@code message_id}
 * @param attempt the attempt, from {@code x-warren-attempt}
 * @param reason why the result was refused
 */
public record RefusedResult(UUID taskId, int attempt, String reason) {
}
