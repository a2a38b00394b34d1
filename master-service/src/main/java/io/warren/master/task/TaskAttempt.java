package io.warren.master.task;

import java.util.UUID;

/** One attempt of one task: what a task message, its confirm and its replies refer to. */
public record TaskAttempt(UUID taskId, int attempt) {
}
