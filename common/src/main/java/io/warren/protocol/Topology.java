package io.warren.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.Declarable;
import org.springframework.amqp.core.Declarables;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.FanoutExchange;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.TopicExchange;

/**
 * Names and arguments of every exchange and queue Warren uses. The names carry the
 * protocol's topology version ({@code v1}) so that a later change of queue arguments can
 * move to new queues instead of failing on redeclaration.
 */
public final class Topology {

	static final String BASE = "warren.v1.";

	/**
	 * The keys the replies queue is bound with. {@code #} matches any number of words: a
	 * task type may contain dots ({@code image.resize}), and {@code *} would match one
	 * word only. Version 1 brokers may still hold the earlier {@code started.*} bindings;
	 * they route a subset of the same messages to the same queue, which receives each
	 * message once, so they are harmless (docs/operations.md says how to remove them).
	 */
	public static final List<String> REPLY_BINDING_KEYS = List.of("started.#", "result.#", "released.#");

	/** Routing key of a heartbeat on the results exchange. */
	public static final String HEARTBEAT_ROUTING_KEY = "heartbeat";

	/** How long a heartbeat waits in its queue for a master, in milliseconds. */
	public static final int HEARTBEAT_TTL_MS = 60_000;

	private final TopologyProperties properties;

	public Topology(TopologyProperties properties) {
		this.properties = properties;
	}

	/** The properties this topology was built from. */
	public TopologyProperties properties() {
		return this.properties;
	}

	/**
	 * Durable direct exchange that task messages are published to, keyed by task type.
	 */
	public String tasksExchange() {
		return name("tasks");
	}

	/** Durable topic exchange that workers publish started notices and results to. */
	public String resultsExchange() {
		return name("results");
	}

	/** Durable queue the master consumes started notices and results from. */
	public String replyQueue() {
		return name("replies");
	}

	/** Durable fanout exchange that task queues dead-letter to. */
	public String deadLetterExchange() {
		return name("dead-letter");
	}

	/** Durable queue the master consumes dead-lettered task messages from. */
	public String deadLetterQueue() {
		return name("dead-letters");
	}

	/**
	 * Durable queue where the master parks messages it cannot apply, for a person to
	 * read.
	 */
	public String parkedQueue() {
		return name("parked");
	}

	/**
	 * The start of the name of a worker's own verdict queue (exclusive, auto-delete); the
	 * worker adds a unique suffix.
	 */
	public String verdictQueuePrefix() {
		return name("verdicts.");
	}

	/**
	 * Durable fanout exchange the master publishes control messages to (cancel, pause,
	 * resume, state); every worker binds a queue of its own.
	 */
	public String controlExchange() {
		return name("control");
	}

	/**
	 * The start of the name of a worker's own control queue (exclusive, auto-delete,
	 * bound to the control exchange); the worker adds a unique suffix.
	 */
	public String controlQueuePrefix() {
		return name("control.");
	}

	/**
	 * Durable queue the masters consume workers' heartbeats from, bound to the results
	 * exchange with {@link #HEARTBEAT_ROUTING_KEY}; its messages expire after
	 * {@link #HEARTBEAT_TTL_MS}, so that heartbeats do not pile up while no master runs.
	 */
	public String heartbeatQueue() {
		return name("heartbeats");
	}

	/**
	 * Durable topic exchange the masters publish every committed status change of a task
	 * to ({@link TaskStatusEvent}), with routing key {@code <status>.<type>}; bind with
	 * {@code #}, or {@code <STATUS>.#}, since types may contain dots.
	 */
	public String eventsExchange() {
		return name("events");
	}

	/**
	 * The start of the name of a master's own events queue (exclusive, auto-delete, bound
	 * to the events exchange with {@code #}); the master adds a unique suffix.
	 */
	public String eventsQueuePrefix() {
		return name("events.");
	}

	/** Routing key of a status event: {@code <status>.<type>}. */
	public static String eventRoutingKey(String status, String taskType) {
		return status + "." + taskType;
	}

	/** The queue of one task type. */
	public String taskQueue(String taskType) {
		requireValid(taskType);
		return name("task." + taskType);
	}

	/** Routing key of a started notice for a task type. */
	public static String startedRoutingKey(String taskType) {
		return "started." + taskType;
	}

	/** Routing key of a released notice for a task type. */
	public static String releasedRoutingKey(String taskType) {
		return "released." + taskType;
	}

	/** Routing key of a result for a task type. */
	public static String resultRoutingKey(String taskType) {
		return "result." + taskType;
	}

	/** The exchanges, queues and bindings the master and the workers share. */
	public Declarables shared() {
		DirectExchange tasks = new DirectExchange(tasksExchange(), true, false);
		TopicExchange results = new TopicExchange(resultsExchange(), true, false);
		FanoutExchange deadLetter = new FanoutExchange(deadLetterExchange(), true, false);
		Queue replies = infrastructureQueue(replyQueue());
		Queue deadLetters = infrastructureQueue(deadLetterQueue());
		Queue parked = infrastructureQueue(parkedQueue());
		FanoutExchange control = new FanoutExchange(controlExchange(), true, false);
		TopicExchange events = new TopicExchange(eventsExchange(), true, false);
		Queue heartbeats = new Queue(heartbeatQueue(), true, false, false,
				Map.of("x-queue-type", "classic", "x-message-ttl", HEARTBEAT_TTL_MS));
		List<Declarable> declarables = new ArrayList<>(List.of(tasks, results, deadLetter, replies, deadLetters, parked,
				BindingBuilder.bind(deadLetters).to(deadLetter), control, heartbeats,
				BindingBuilder.bind(heartbeats).to(results).with(HEARTBEAT_ROUTING_KEY), events));
		for (String key : REPLY_BINDING_KEYS) {
			declarables.add(BindingBuilder.bind(replies).to(results).with(key));
		}
		return new Declarables(declarables);
	}

	/** The queue of one task type and its binding to the tasks exchange. */
	public Declarables forTaskType(String taskType) {
		Queue queue = new Queue(taskQueue(taskType), true, false, false, taskQueueArguments(taskType));
		Binding binding = new Binding(queue.getName(), Binding.DestinationType.QUEUE, tasksExchange(), taskType, null);
		return new Declarables(queue, binding);
	}

	/**
	 * The arguments a task type's queue is declared with; fixed for the life of the
	 * queue.
	 */
	public Map<String, Object> taskQueueArguments(String taskType) {
		Map<String, Object> arguments = new LinkedHashMap<>();
		arguments.put("x-dead-letter-exchange", deadLetterExchange());
		if (this.properties.queueTypeOf(taskType) == QueueType.QUORUM) {
			arguments.put("x-queue-type", "quorum");
			arguments.put("x-delivery-limit", this.properties.deliveryLimit());
			arguments.put("x-dead-letter-strategy", "at-least-once");
			arguments.put("x-overflow", "reject-publish");
		}
		else {
			arguments.put("x-queue-type", "classic");
			arguments.put("x-max-priority", this.properties.maxPriority());
		}
		return arguments;
	}

	private Queue infrastructureQueue(String name) {
		String type = (this.properties.defaultQueueType() == QueueType.QUORUM) ? "quorum" : "classic";
		return new Queue(name, true, false, false, Map.of("x-queue-type", type));
	}

	private String name(String suffix) {
		return this.properties.prefix() + BASE + suffix;
	}

	private static void requireValid(String taskType) {
		if (!TaskTypes.isValid(taskType)) {
			throw new IllegalArgumentException("invalid task type: " + taskType);
		}
	}

}
