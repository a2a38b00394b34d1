package io.warren.protocol;

import java.util.UUID;

/**
 * What a worker sends back about one delivery of a task: a started notice or a result.
 */
public sealed interface Reply permits StartedNotice, TaskResult {

	/** The task id. */
	UUID taskId();

	/** The attempt the delivery belongs to. */
	int attempt();

	/** Chosen by the worker, one per delivery. */
	UUID deliveryId();

	/** The worker that sent it. */
	String workerId();

	/** Whether the broker flagged the delivery as redelivered. */
	boolean redelivered();

}
