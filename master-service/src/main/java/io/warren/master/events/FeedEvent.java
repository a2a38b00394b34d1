package io.warren.master.events;

import io.warren.protocol.TaskStatusEvent;

/**
 * A status event as this master's feed numbered it.
 *
 * @param id the event id streams send ({@code <run>-<number>}): unique within this
 * master's run, and ordered by number
 * @param number its place in this master's feed
 * @param event the event
 * @param json the event as JSON, written once for every stream
 */
record FeedEvent(String id, long number, TaskStatusEvent event, String json) {
}
