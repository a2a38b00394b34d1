package io.warren.master.it;

import java.time.Instant;
import java.util.UUID;

import io.warren.protocol.Outcome;
import io.warren.protocol.StartedNotice;
import io.warren.protocol.TaskError;
import io.warren.protocol.TaskMessage;
import io.warren.protocol.TaskResult;
import io.warren.protocol.Topology;
import io.warren.protocol.WireFormat;
import tools.jackson.databind.JsonNode;

import org.springframework.amqp.AmqpIOException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.core.RabbitOperations;

import static org.awaitility.Awaitility.await;

/**
 * A worker played by a test with plain AMQP: takes task messages from a type's queue and
 * sends started notices and results in whatever order the test asks for.
 */
final class PlayedWorker {

	private final RabbitOperations template;

	private final Topology topology;

	private final WireFormat wire;

	PlayedWorker(RabbitOperations template, Topology topology, WireFormat wire) {
		this.template = template;
		this.topology = topology;
		this.wire = wire;
	}

	/** The next task message of the type, waiting for the queue and the message. */
	Message take(String type) {
		// the 202 comes before the publisher has declared the queue and published: wait
		// for both
		Message[] taken = new Message[1];
		await().ignoreException(AmqpIOException.class).until(() -> {
			taken[0] = this.template.receive(this.topology.taskQueue(type));
			return taken[0] != null;
		});
		return taken[0];
	}

	/** The next task of the type, decoded. */
	TaskMessage takeTask(String type) {
		return this.wire.readTask(take(type));
	}

	void sendStarted(TaskMessage task, UUID delivery, String workerId) {
		this.template.send(this.topology.resultsExchange(), Topology.startedRoutingKey(task.type()),
				this.wire.startedMessage(new StartedNotice(task.id(), task.type(), task.attempt(), delivery, workerId,
						false, Instant.now())));
	}

	/** A result of the delivery; a failure is a retryable handler error. */
	void sendResult(TaskMessage task, UUID delivery, Outcome outcome, String resultJson) {
		JsonNode result = (resultJson != null) ? this.wire.json().readTree(resultJson) : null;
		TaskError error = (outcome == Outcome.FAILED) ? new TaskError(TaskError.HANDLER_ERROR, "it broke", true) : null;
		this.template.send(this.topology.resultsExchange(), Topology.resultRoutingKey(task.type()),
				this.wire.resultMessage(new TaskResult(task.id(), task.type(), task.attempt(), delivery, "test-worker",
						false, outcome, result, error, Instant.now(), Instant.now())));
	}

	/**
	 * Starts the task and reports it succeeded with {@code resultJson}, on one channel,
	 * so that the broker keeps the two in order (two sends of a template may take two
	 * channels), and waits for the broker's confirms (unconfirmed, a few of a hundred
	 * quick runs went missing): the template's connection factory must have
	 * {@code SIMPLE} confirms.
	 */
	void run(TaskMessage task, String resultJson) {
		UUID delivery = UUID.randomUUID();
		this.template.invoke((operations) -> {
			new PlayedWorker(operations, this.topology, this.wire).sendStarted(task, delivery, "test-worker");
			new PlayedWorker(operations, this.topology, this.wire).sendResult(task, delivery, Outcome.SUCCEEDED,
					resultJson);
			operations.waitForConfirmsOrDie(10_000);
			return null;
		});
	}

}
