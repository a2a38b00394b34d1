package io.warren.master.reply;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

import com.rabbitmq.client.Channel;
import io.warren.protocol.Outcome;
import io.warren.protocol.TaskResult;
import io.warren.protocol.WireFormat;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.dao.DataAccessResourceFailureException;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.willThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

class SettlingListenerTests {

	private final WireFormat wire = new WireFormat("test");

	private final ReplyApplier applier = mock(ReplyApplier.class);

	private final Parking parking = mock(Parking.class);

	private final Channel channel = mock(Channel.class);

	private final ReplyListener listener = new ReplyListener(this.wire, this.applier, this.parking,
			new TransientFailures());

	@Test
	void replyIsAckedOnceApplied() throws Exception {
		given(this.applier.apply(any())).willReturn(Applied.APPLIED);

		this.listener.onMessage(result(5), this.channel);

		verify(this.channel).basicAck(5, false);
		verify(this.channel, never()).basicNack(anyLong(), anyBoolean(), anyBoolean());
	}

	@Test
	void replyWhoseCommitFailedIsHandedBackToTheBroker() throws Exception {
		given(this.applier.apply(any())).willThrow(new DataAccessResourceFailureException("database down"));

		this.listener.onMessage(result(6), this.channel);

		verify(this.channel).basicNack(6, false, true);
		verify(this.channel, never()).basicAck(anyLong(), anyBoolean());
	}

	@Test
	void malformedReplyIsParkedThenAcked() throws Exception {
		MessageProperties properties = new MessageProperties();
		properties.setDeliveryTag(7);
		Message garbage = new Message("nope".getBytes(StandardCharsets.UTF_8), properties);

		this.listener.onMessage(garbage, this.channel);

		verify(this.parking).park(eq(garbage), anyString(), eq("replies"));
		verify(this.channel).basicAck(7, false);
	}

	@Test
	void replyThatCouldNotBeParkedIsHandedBack() throws Exception {
		given(this.applier.apply(any())).willReturn(Applied.UNKNOWN_TASK);
		willThrow(new org.springframework.amqp.AmqpException("no confirm")).given(this.parking)
			.park(any(), anyString(), anyString());

		this.listener.onMessage(result(8), this.channel);

		verify(this.channel).basicNack(8, false, true);
		verify(this.channel, never()).basicAck(anyLong(), anyBoolean());
	}

	private Message result(long tag) {
		Message message = this.wire.resultMessage(new TaskResult(UUID.randomUUID(), "echo", 1, UUID.randomUUID(), "w",
				false, Outcome.SUCCEEDED, null, null, Instant.now(), Instant.now()));
		message.getMessageProperties().setDeliveryTag(tag);
		return message;
	}

}
