/**
 * Result callbacks: the POSTs of a finished task's record to its {@code callbackUrl},
 * signed, retried with backoff, from an outbox in the store that the transaction ending
 * the task wrote.
 */
package io.warren.master.callbacks;
