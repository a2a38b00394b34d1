package io.warren.protocol;

/** AMQP header names and property values of the Warren protocol. */
public final class ProtocolHeaders {

	/** The protocol version this code speaks. */
	public static final int VERSION = 1;

	/** Header: the protocol version of the message (integer). */
	public static final String PROTOCOL = "x-warren-protocol";

	/** Header: the attempt number of the task message or reply (integer). */
	public static final String ATTEMPT = "x-warren-attempt";

	/** Header on an explicitly dead-lettered task message: why (string). */
	public static final String DEAD_REASON = "x-warren-dead-reason";

	/**
	 * Header on a task message the master published again after the broker dead-lettered
	 * it at the delivery limit without any worker starting it: how many times (integer).
	 */
	public static final String REPUBLISHED = "x-warren-republished";

	/** Header on a parked message: why the master could not apply it (string). */
	public static final String PARK_REASON = "x-warren-park-reason";

	/** The {@code type} property of a started notice. */
	public static final String STARTED_TYPE = "warren.started";

	/** The {@code type} property of a released notice. */
	public static final String RELEASED_TYPE = "warren.released";

	/** The {@code type} property of the master's answer to a started notice. */
	public static final String VERDICT_TYPE = "warren.verdict";

	/** The {@code type} property of a control message (master to every worker). */
	public static final String CONTROL_TYPE = "warren.control";

	/** The {@code type} property of a worker's heartbeat. */
	public static final String HEARTBEAT_TYPE = "warren.heartbeat";

	/** The {@code type} property of a task's status event. */
	public static final String EVENT_TYPE = "warren.event";

	/** The {@code type} property of a result. */
	public static final String RESULT_TYPE = "warren.result";

	/** The {@code content_type} property of every Warren message. */
	public static final String CONTENT_TYPE = "application/json";

	private ProtocolHeaders() {
	}

}
