package io.warren.protocol;

import java.util.UUID;

/**
 * What a worker sends back about one delivery of a task: a started notice, a result, or a
 * released notice when it hands the delivery back unfinished.
 */
public sealed interface Reply permits StartedNotice, TaskResult, ReleasedNotice {

	/** The task id. */
	UUID taskId();

	/** The task type. */
	String type();

	/** The attempt the delivery belongs to. */
	int attempt();

	/** Chosen by the worker, one per delivery. */
	UUID deliveryId();

	/** The worker that sent it. */
	String workerId();

	/** Whether the broker flagged the delivery as redelivered. */
	boolean redelivered();

}
