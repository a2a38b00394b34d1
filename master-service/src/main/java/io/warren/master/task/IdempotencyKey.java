package io.warren.master.task;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * An {@code Idempotency-Key} as recorded with the submission that used it first.
 *
 * @param scope whose key it is (one scope until API keys exist)
 * @param key the header's value
 * @param fingerprint SHA-256 of the submission's canonical JSON: the same key with
 * another request is refused
 * @param taskIds the tasks that submission created, in order
 * @param createdAt when it was recorded
 */
public record IdempotencyKey(String scope, String key, String fingerprint, List<UUID> taskIds, Instant createdAt) {
}
