package io.warren.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.warren.testsupport.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.Declarable;
import org.springframework.amqp.core.Exchange;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.TopicExchange;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

import static org.assertj.core.api.Assertions.assertThat;

class TopologyIntegrationTests {

	private final String prefix = TestBroker.newPrefix();

	private final Topology topology = new Topology(
			new TopologyProperties(this.prefix, QueueType.QUORUM, Map.of("report", QueueType.CLASSIC), 20, 9));

	private final List<Declarable> declared = new ArrayList<>();

	@AfterEach
	void deleteDeclared() {
		TestBroker.delete(
				this.declared.stream().filter(Queue.class::isInstance).map(d -> ((Queue) d).getName()).toList(),
				this.declared.stream().filter(Exchange.class::isInstance).map(d -> ((Exchange) d).getName()).toList());
	}

	@Test
	void brokerAcceptsTheTopologyAndRoutesATaskToItsQueue() {
		CachingConnectionFactory factory = TestBroker.connectionFactory();
		try {
			RabbitAdmin admin = new RabbitAdmin(factory);
			declare(admin, this.topology.shared().getDeclarables());
			declare(admin, this.topology.forTaskType("echo").getDeclarables());
			declare(admin, this.topology.forTaskType("report").getDeclarables());
			// a second declaration with the same arguments is accepted: master and
			// workers both declare
			declare(admin, this.topology.forTaskType("echo").getDeclarables());

			RabbitTemplate template = new RabbitTemplate(factory);
			template.convertAndSend(this.topology.tasksExchange(), "report", "x");

			assertThat(template.receive(this.topology.taskQueue("report"), 10_000)).isNotNull();
			assertThat(admin.getQueueInfo(this.topology.taskQueue("echo")).getMessageCount()).isZero();
		}
		finally {
			factory.destroy();
		}
	}

	@Test
	void repliesOfDottedAndPlainTypesReachTheRepliesQueueOnceEvenBesideTheOldOneWordBindings() {
		CachingConnectionFactory factory = TestBroker.connectionFactory();
		try {
			RabbitAdmin admin = new RabbitAdmin(factory);
			declare(admin, this.topology.shared().getDeclarables());
			// what a broker upgraded from an earlier version 1 still holds
			Queue replies = new Queue(this.topology.replyQueue());
			for (String old : List.of("started.*", "result.*", "released.*")) {
				admin.declareBinding(
						BindingBuilder.bind(replies).to(new TopicExchange(this.topology.resultsExchange())).with(old));
			}
			RabbitTemplate template = new RabbitTemplate(factory);
			List<String> keys = new ArrayList<>();
			for (String type : List.of("echo", "image.resize", "pdf.render.a4", "a-b_c.d")) {
				keys.addAll(List.of(Topology.startedRoutingKey(type), Topology.resultRoutingKey(type),
						Topology.releasedRoutingKey(type)));
			}
			keys.forEach((key) -> template.convertAndSend(this.topology.resultsExchange(), key, key));

			List<String> received = new ArrayList<>();
			Message message;
			while ((message = template.receive(this.topology.replyQueue(), 2_000)) != null) {
				received.add(new String(message.getBody(), StandardCharsets.UTF_8));
			}
			assertThat(received).containsExactlyInAnyOrderElementsOf(keys);
		}
		finally {
			factory.destroy();
		}
	}

	private void declare(RabbitAdmin admin, java.util.Collection<Declarable> declarables) {
		for (Declarable declarable : declarables) {
			if (declarable instanceof Queue queue) {
				admin.declareQueue(queue);
			}
			else if (declarable instanceof Exchange exchange) {
				admin.declareExchange(exchange);
			}
			else if (declarable instanceof org.springframework.amqp.core.Binding binding) {
				admin.declareBinding(binding);
			}
			this.declared.add(declarable);
		}
	}

}
