/**
 * Live status events: every committed move of a task, published to the broker's events
 * exchange by the master that made it, received by every master, streamed to clients as
 * Server-Sent Events and waited on by requests that wait for a task to finish.
 */
package io.warren.master.events;
