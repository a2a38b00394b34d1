package io.warren.monitoring;

import java.util.List;

import io.warren.testsupport.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.listener.ConsumeOkEvent;
import org.springframework.amqp.rabbit.listener.ListenerContainerConsumerFailedEvent;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The consumers check against containers consuming from the real broker. */
class ConsumerHealthIndicatorIntegrationTests {

	private final String prefix = TestBroker.newPrefix();

	private final CachingConnectionFactory connectionFactory = TestBroker.connectionFactory();

	private final ConsumerHealthIndicator health = new ConsumerHealthIndicator();

	private SimpleMessageListenerContainer container;

	@AfterEach
	void cleanUp() {
		if (this.container != null) {
			this.container.stop();
		}
		this.connectionFactory.destroy();
		TestBroker.delete(List.of(this.prefix + "all", this.prefix + "some"), List.of());
	}

	@Test
	void upOnlyOnceEveryConfiguredConsumerConsumes() {
		this.container = start(this.prefix + "all", 4, 4);

		await().until(() -> status() == Status.UP);
		assertThat(this.health.health().getDetails()).containsEntry(this.prefix + "all",
				"consuming (4 of 4 consumers)");

		this.container.stop();

		assertThat(status()).isEqualTo(Status.DOWN);
		assertThat(this.health.health().getDetails()).containsEntry(this.prefix + "all", "stopped");
	}

	@Test
	void downWhileFewerConsumersThanConfiguredConsume() {
		this.container = start(this.prefix + "some", 2, 3);

		await().until(() -> String.valueOf(this.health.health().getDetails().get(this.prefix + "some"))
			.equals("starting (2 of 3 consumers)"));
		assertThat(status()).isEqualTo(Status.DOWN);
	}

	private Status status() {
		Health health = this.health.health();
		return health.getStatus();
	}

	/**
	 * Starts a container with {@code consumers}, watched as if it should have
	 * {@code expected}.
	 */
	private SimpleMessageListenerContainer start(String queue, int consumers, int expected) {
		new RabbitAdmin(this.connectionFactory).declareQueue(new Queue(queue, false, false, true));
		SimpleMessageListenerContainer container = new SimpleMessageListenerContainer(this.connectionFactory);
		container.setQueueNames(queue);
		container.setConcurrentConsumers(consumers);
		container.setAcknowledgeMode(AcknowledgeMode.AUTO);
		container.setMessageListener((message) -> {
		});
		container.setApplicationEventPublisher((event) -> {
			if (event instanceof ConsumeOkEvent consumeOk) {
				this.health.consuming(consumeOk);
			}
			else if (event instanceof ListenerContainerConsumerFailedEvent failed) {
				this.health.failed(failed);
			}
		});
		container.afterPropertiesSet();
		this.health.watch(container, expected);
		container.start();
		return container;
	}

}
