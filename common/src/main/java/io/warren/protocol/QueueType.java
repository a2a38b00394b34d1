package io.warren.protocol;

/** The RabbitMQ queue type a task type's queue is declared with. */
public enum QueueType {

	/**
	 * Replicated, with a delivery limit and at-least-once dead-lettering; the default.
	 */
	QUORUM,

	/** Single-node, honours message priorities (0-9). */
	CLASSIC

}
