package io.warren.protocol;

import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The broker topology both services declare. The master and every worker must agree on
 * it: RabbitMQ refuses to redeclare a queue with other arguments.
 *
 * @param prefix prepended to every exchange and queue name (isolates environments and
 * tests)
 * @param defaultQueueType the queue type of task types not named in {@code queueTypes}
 * @param queueTypes the queue type of individual task types
 * @param deliveryLimit quorum queues: deliveries of one message before the broker
 * dead-letters it; a backstop against crash loops, not a retry policy
 * @param maxPriority classic queues: the highest message priority honoured
 */
@ConfigurationProperties("warren.topology")
public record TopologyProperties(@DefaultValue("") String prefix, @DefaultValue("quorum") QueueType defaultQueueType,
		Map<String, QueueType> queueTypes, @DefaultValue("20") int deliveryLimit, @DefaultValue("9") int maxPriority) {

	public TopologyProperties {
		prefix = (prefix != null) ? prefix : "";
		defaultQueueType = (defaultQueueType != null) ? defaultQueueType : QueueType.QUORUM;
		queueTypes = (queueTypes != null) ? Map.copyOf(queueTypes) : Map.of();
		if (deliveryLimit < 1) {
			throw new IllegalArgumentException("warren.topology.delivery-limit must be 1 or more");
		}
		if (maxPriority < 1 || maxPriority > 9) {
			throw new IllegalArgumentException("warren.topology.max-priority must be 1-9");
		}
	}

	/** Defaults with the given prefix. */
	public static TopologyProperties withPrefix(String prefix) {
		return new TopologyProperties(prefix, QueueType.QUORUM, Map.of(), 20, 9);
	}

	/** The queue type of one task type. */
	public QueueType queueTypeOf(String taskType) {
		return this.queueTypes.getOrDefault(taskType, this.defaultQueueType);
	}

}
