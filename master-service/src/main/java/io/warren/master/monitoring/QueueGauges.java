package io.warren.master.monitoring;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.warren.master.config.MasterProperties;
import io.warren.protocol.Topology;

import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.QueueInformation;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.stereotype.Component;

/**
 * {@code warren.queue.messages} and {@code warren.queue.consumers}, tagged with the queue
 * name and the task type ({@code none} for the replies, dead-letter and parked queues),
 * read from the broker with passive declares: no management plugin needed.
 */
@Component
class QueueGauges extends PeriodicRefresh {

	static final String NO_TYPE = "none";

	private final AmqpAdmin admin;

	private final Topology topology;

	private final TaskStatusGauges tasks;

	private final MeterRegistry meters;

	private final Map<String, QueueInformation> latest = new ConcurrentHashMap<>();

	QueueGauges(AmqpAdmin admin, Topology topology, TaskStatusGauges tasks, MeterRegistry meters,
			TaskScheduler scheduler, MasterProperties properties) {
		super(scheduler, properties.monitoring().refreshInterval());
		this.admin = admin;
		this.topology = topology;
		this.tasks = tasks;
		this.meters = meters;
	}

	@Override
	void refresh() {
		queues().forEach((queue, type) -> {
			QueueInformation info = this.admin.getQueueInfo(queue);
			if (info == null) {
				return;
			}
			if (this.latest.put(queue, info) == null) {
				register(queue, type);
			}
		});
	}

	private Map<String, String> queues() {
		Map<String, String> queues = new LinkedHashMap<>();
		queues.put(this.topology.replyQueue(), NO_TYPE);
		queues.put(this.topology.deadLetterQueue(), NO_TYPE);
		queues.put(this.topology.parkedQueue(), NO_TYPE);
		this.tasks.types().forEach((type) -> queues.put(this.topology.taskQueue(type), type));
		return queues;
	}

	private void register(String queue, String type) {
		Gauge.builder("warren.queue.messages", () -> this.latest.get(queue).getMessageCount())
			.description("Messages ready in the queue, as the broker reports them")
			.tags("queue", queue, "type", type)
			.register(this.meters);
		Gauge.builder("warren.queue.consumers", () -> this.latest.get(queue).getConsumerCount())
			.description("Consumers on the queue, as the broker reports them")
			.tags("queue", queue, "type", type)
			.register(this.meters);
	}

}
