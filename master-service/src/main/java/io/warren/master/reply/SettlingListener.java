package io.warren.master.reply;

import com.rabbitmq.client.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;

/**
 * A manual-ack listener that settles every delivery itself: ack once {@link #handle}
 * returned (its effect is committed, or the message parked), else hand it back to the
 * broker after a growing pause. In MANUAL ack mode nothing else would ever settle a
 * delivery whose listener threw.
 */
abstract class SettlingListener implements ChannelAwareMessageListener {

	private static final Logger log = LoggerFactory.getLogger(SettlingListener.class);

	private final TransientFailures failures;

	SettlingListener(TransientFailures failures) {
		this.failures = failures;
	}

	/** Applies or parks the message; throws if neither could be made durable. */
	abstract void handle(Message message);

	@Override
	public void onMessage(Message message, Channel channel) throws Exception {
		long tag = message.getMessageProperties().getDeliveryTag();
		try {
			handle(message);
			channel.basicAck(tag, false);
			this.failures.succeeded();
		}
		catch (RuntimeException ex) {
			log.warn("{} not applied, handing it back to the broker: {}", describe(message), ex.getMessage());
			this.failures.failed();
			channel.basicNack(tag, false, true);
		}
		finally {
			MDC.remove("taskId");
		}
	}

	private String describe(Message message) {
		return getClass().getSimpleName() + " message " + message.getMessageProperties().getMessageId();
	}

}
