package io.warren.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.MessageProperties;

/**
 * The bare broker carrying tasks and results: two queues of the queue type under test,
 * each with one publisher (persistent 200-byte messages, confirms, 100 in flight) and one
 * consumer (manual acks, prefetch 250), all at once. The ceiling of any design that sends
 * each task and its result through the broker.
 */
final class BrokerBaseline {

	static final int MESSAGE_SIZE = 200;

	static final int IN_FLIGHT = 100;

	static final int PREFETCH = 250;

	/**
	 * Messages per second consumed over both queues, and round trips per second (half).
	 */
	record Result(String queueType, double messagesPerSecond) {

		double roundTripsPerSecond() {
			return this.messagesPerSecond / 2;
		}

	}

	static Result measure(Options options, String queueType) throws Exception {
		ConnectionFactory factory = new ConnectionFactory();
		factory.setHost(options.rabbitHost());
		factory.setPort(options.rabbitPort());
		String run = "warren-bench-" + UUID.randomUUID().toString().substring(0, 8);
		List<String> queues = List.of(run + "-tasks", run + "-results");
		AtomicBoolean publishing = new AtomicBoolean(true);
		AtomicLong consumed = new AtomicLong();
		List<Connection> connections = new ArrayList<>();
		List<Thread> publishers = new ArrayList<>();
		try (Connection admin = factory.newConnection("bench-admin"); Channel channel = admin.createChannel()) {
			for (String queue : queues) {
				channel.queueDeclare(queue, true, false, false, Map.of("x-queue-type", queueType));
			}
			for (String queue : queues) {
				connections.add(consumer(factory, queue, consumed));
				Connection publisherConnection = factory.newConnection("bench-publisher");
				connections.add(publisherConnection);
				Thread publisher = new Thread(() -> publish(publisherConnection, queue, publishing), "bench-publish");
				publisher.start();
				publishers.add(publisher);
			}
			TimeUnit.SECONDS.sleep(options.warmUpSeconds());
			long start = System.nanoTime();
			long before = consumed.get();
			TimeUnit.SECONDS.sleep(options.brokerSeconds());
			long count = consumed.get() - before;
			double seconds = (System.nanoTime() - start) / 1e9;
			publishing.set(false);
			for (Thread publisher : publishers) {
				publisher.join(10_000);
			}
			for (Connection connection : connections) {
				connection.close();
			}
			for (String queue : queues) {
				channel.queueDelete(queue);
			}
			return new Result(queueType, count / seconds);
		}
	}

	private static Connection consumer(ConnectionFactory factory, String queue, AtomicLong consumed)
			throws IOException, TimeoutException {
		Connection connection = factory.newConnection("bench-consumer");
		Channel channel = connection.createChannel();
		channel.basicQos(PREFETCH);
		channel.basicConsume(queue, false, new DefaultConsumer(channel) {
			@Override
			public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
					throws IOException {
				getChannel().basicAck(envelope.getDeliveryTag(), false);
				consumed.incrementAndGet();
			}
		});
		return connection;
	}

	private static void publish(Connection connection, String queue, AtomicBoolean publishing) {
		byte[] body = new byte[MESSAGE_SIZE];
		Semaphore inFlight = new Semaphore(IN_FLIGHT);
		try {
			Channel channel = connection.createChannel();
			channel.confirmSelect();
			java.util.concurrent.ConcurrentSkipListSet<Long> outstanding = new java.util.concurrent.ConcurrentSkipListSet<>();
			channel.addConfirmListener((tag, multiple) -> release(outstanding, inFlight, tag, multiple),
					(tag, multiple) -> release(outstanding, inFlight, tag, multiple));
			while (publishing.get()) {
				if (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
					continue;
				}
				outstanding.add(channel.getNextPublishSeqNo());
				channel.basicPublish("", queue, MessageProperties.PERSISTENT_BASIC, body);
			}
		}
		catch (IOException | InterruptedException | RuntimeException ex) {
			if (publishing.get()) {
				throw new IllegalStateException("publisher failed", ex);
			}
		}
	}

	private static void release(java.util.concurrent.ConcurrentSkipListSet<Long> outstanding, Semaphore inFlight,
			long tag, boolean multiple) {
		if (multiple) {
			var confirmed = outstanding.headSet(tag, true);
			int count = confirmed.size();
			confirmed.clear();
			inFlight.release(count);
		}
		else if (outstanding.remove(tag)) {
			inFlight.release();
		}
	}

}
