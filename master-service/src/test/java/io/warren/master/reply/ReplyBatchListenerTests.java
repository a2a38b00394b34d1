package io.warren.master.reply;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.rabbitmq.client.Channel;
import io.warren.master.config.MasterSettings;
import io.warren.master.task.Applied;
import io.warren.master.task.RefusedResult;
import io.warren.master.task.TaskTransitions;
import io.warren.protocol.Outcome;
import io.warren.protocol.Reply;
import io.warren.protocol.TaskResult;
import io.warren.protocol.WireFormat;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.startsWith;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.willReturn;
import static org.mockito.BDDMockito.willThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

/**
 * How a batch of replies is settled, with the channel and the store mocked: the rules of
 * one multiple ack, parking and handing back. The store side is tested on real databases
 * in the master's integration tests.
 */
class ReplyBatchListenerTests {

	private final WireFormat wire = new WireFormat("test");

	private final TaskTransitions transitions = mock(TaskTransitions.class);

	private final Parking parking = mock(Parking.class);

	private final Channel channel = mock(Channel.class);

	private final ReplyBatchListener listener = new ReplyBatchListener(this.wire, this.transitions, this.parking,
			new TransientFailures(), MasterSettings.with("replies.max-attempts=2"), mock(Verdicts.class),
			mock(io.warren.master.control.ControlChannel.class));

	@Test
	void batchIsAckedWithOneMultipleAckOnceApplied() throws Exception {
		given(this.transitions.apply(any(), any()))
			.willReturn(List.of(Applied.APPLIED, Applied.APPLIED, Applied.STALE));
		given(this.transitions.apply(any(), any(), any()))
			.willReturn(List.of(Applied.APPLIED, Applied.APPLIED, Applied.STALE));

		this.listener.onMessageBatch(List.of(result(5), result(6), result(7)), this.channel);

		verify(this.channel).basicAck(7, true);
		verify(this.channel, never()).basicNack(anyLong(), anyBoolean(), anyBoolean());
		verify(this.parking, never()).park(any(), anyString(), anyString());
	}

	@Test
	void batchWhoseCommitFailedIsHandedBackWhole() throws Exception {
		given(this.transitions.apply(any(), any())).willThrow(new DataAccessResourceFailureException("database down"));
		given(this.transitions.apply(any(), any(), any()))
			.willThrow(new DataAccessResourceFailureException("database down"));

		this.listener.onMessageBatch(List.of(result(6), result(7)), this.channel);

		verify(this.channel).basicNack(7, true, true);
		verify(this.channel, never()).basicAck(anyLong(), anyBoolean());
	}

	@Test
	void malformedReplyIsParkedAndTheRestOfTheBatchApplied() throws Exception {
		MessageProperties properties = new MessageProperties();
		properties.setDeliveryTag(8);
		Message garbage = new Message("nope".getBytes(StandardCharsets.UTF_8), properties);
		given(this.transitions.apply(any(), any())).willReturn(List.of(Applied.APPLIED));
		given(this.transitions.apply(any(), any(), any())).willReturn(List.of(Applied.APPLIED));

		this.listener.onMessageBatch(List.of(result(7), garbage), this.channel);

		verify(this.transitions).apply(
				argThat((List<? extends Reply> replies) -> replies != null && replies.size() == 1), eq(List.of()),
				any());
		verify(this.parking).park(eq(garbage), startsWith("malformed reply"), eq("replies"));
		verify(this.channel).basicAck(8, true);
	}

	@Test
	void undecodableResultThatNamesItsTaskFailsTheTaskAndIsParked() throws Exception {
		UUID task = UUID.randomUUID();
		MessageProperties properties = new MessageProperties();
		properties.setDeliveryTag(9);
		properties.setType(io.warren.protocol.ProtocolHeaders.RESULT_TYPE);
		properties.setMessageId(task.toString());
		properties.setHeader(io.warren.protocol.ProtocolHeaders.PROTOCOL, 1);
		properties.setHeader(io.warren.protocol.ProtocolHeaders.ATTEMPT, 2);
		Message undecodable = new Message("null".getBytes(StandardCharsets.UTF_8), properties);

		this.listener.onMessageBatch(List.of(undecodable), this.channel);

		verify(this.transitions).apply(eq(List.of()), argThat((List<RefusedResult> results) -> results.size() == 1
				&& results.get(0).taskId().equals(task) && results.get(0).attempt() == 2), any());
		verify(this.parking).park(eq(undecodable), startsWith("malformed reply"), eq("replies"));
		verify(this.channel).basicAck(9, true);
	}

	@Test
	void replyTheStoreRefusesIsParkedAloneWhileTheOthersCommit() throws Exception {
		Message good = result(10);
		Message refused = result(11);
		given(this.transitions.apply(argThat((List<? extends Reply> replies) -> replies != null && replies.size() == 2),
				any(), any()))
			.willThrow(new DataIntegrityViolationException("invalid byte sequence for encoding UTF8: 0x00"));
		given(this.transitions.apply(eq(List.of(reply(good))), eq(List.of()), any()))
			.willReturn(List.of(Applied.APPLIED));
		given(this.transitions.apply(eq(List.of(reply(refused))), eq(List.of()), any()))
			.willThrow(new DataIntegrityViolationException("invalid byte sequence for encoding UTF8: 0x00"));

		this.listener.onMessageBatch(List.of(good, refused), this.channel);

		verify(this.parking).park(eq(refused), startsWith("refused by the task store"), eq("replies"));
		verify(this.parking, never()).park(eq(good), anyString(), anyString());
		// its worker acked the task: the task fails rather than stay RUNNING
		verify(this.transitions).apply(eq(List.of()),
				argThat((List<RefusedResult> results) -> results.size() == 1
						&& results.get(0).taskId().equals(reply(refused).taskId())
						&& results.get(0).reason().startsWith("the task store refused it")));
		verify(this.channel).basicAck(11, true);
	}

	@Test
	void replyThatKeepsFailingAloneWhileOthersCommitIsParkedAfterItsTriesAndItsTaskFailed() throws Exception {
		Message stuck = result(12);
		UUID stuckTask = reply(stuck).taskId();
		failsAloneWhileOthersCommit(stuckTask);
		willReturn(List.of()).given(this.transitions).apply(eq(List.of()), any());

		// counted by the master: the others of the pass commit, it does not
		this.listener.onMessageBatch(List.of(stuck, result(20)), this.channel);
		verify(this.channel).basicNack(12, false, true);
		verify(this.channel).basicAck(20, false);
		verify(this.parking, never()).park(any(), anyString(), anyString());

		this.listener.onMessageBatch(List.of(stuck, result(21)), this.channel);

		verify(this.transitions).apply(eq(List.of()),
				argThat((List<RefusedResult> results) -> results.size() == 1
						&& results.get(0).taskId().equals(stuckTask)
						&& results.get(0).reason().startsWith("not applied after 2 tries")));
		verify(this.parking).park(eq(stuck), startsWith("not applied after 2 tries while the task store answered"),
				eq("replies"));
		verify(this.channel).basicAck(21, true);
	}

	@Test
	void replyWhoseTaskCannotBeFailedEitherIsHandedBackNotParked() throws Exception {
		Message stuck = result(14);
		UUID stuckTask = reply(stuck).taskId();
		failsAloneWhileOthersCommit(stuckTask);

		for (int i = 0; i < 4; i++) {
			this.listener.onMessageBatch(List.of(stuck, result(30 + i)), this.channel);
		}

		// its result parked while the task stays RUNNING would be a task stuck for ever
		verify(this.parking, never()).park(any(), anyString(), anyString());
		verify(this.channel, times(4)).basicNack(14, false, true);
	}

	@Test
	void replyFailingAloneWithNothingElseCommittedIsNotCounted() throws Exception {
		Message lone = result(15);
		given(this.transitions.storeReachable()).willReturn(true);
		// the store answers a query but writes nothing (a full disk, a read-only replica)
		given(this.transitions.apply(any(), any())).willThrow(new CannotAcquireLockException("could not extend file"));
		given(this.transitions.apply(any(), any(), any()))
			.willThrow(new CannotAcquireLockException("could not extend file"));

		for (int i = 0; i < 5; i++) {
			this.listener.onMessageBatch(List.of(lone), this.channel);
		}

		verify(this.parking, never()).park(any(), anyString(), anyString());
		verify(this.channel, times(5)).basicNack(15, false, true);
	}

	@Test
	void replyIsNeverParkedForTheStoreBeingDown() throws Exception {
		Message waiting = result(13);
		given(this.transitions.storeReachable()).willReturn(false);
		given(this.transitions.apply(any(), any())).willThrow(new DataAccessResourceFailureException("database down"));
		given(this.transitions.apply(any(), any(), any()))
			.willThrow(new DataAccessResourceFailureException("database down"));

		for (int i = 0; i < 5; i++) {
			this.listener.onMessageBatch(List.of(waiting), this.channel);
		}

		verify(this.channel, times(5)).basicNack(13, true, true);
		verify(this.parking, never()).park(any(), anyString(), anyString());
	}

	@Test
	void replyThatCouldNotBeParkedIsHandedBackAloneAndTheRestAcked() throws Exception {
		given(this.transitions.apply(any(), any())).willReturn(List.of(Applied.APPLIED, Applied.UNKNOWN_TASK));
		given(this.transitions.apply(any(), any(), any())).willReturn(List.of(Applied.APPLIED, Applied.UNKNOWN_TASK));
		willThrow(new org.springframework.amqp.AmqpException("no confirm")).given(this.parking)
			.park(any(), anyString(), anyString());

		this.listener.onMessageBatch(List.of(result(12), result(13)), this.channel);

		verify(this.channel).basicAck(12, false);
		verify(this.channel).basicNack(13, false, true);
		verify(this.channel, never()).basicAck(13, true);
		verify(this.channel, never()).basicNack(anyLong(), eq(true), anyBoolean());
	}

	private Reply reply(Message message) {
		return this.wire.readReply(message);
	}

	/**
	 * The store answers; every batch fails on a lock, and so does the task alone, while
	 * every other reply applied alone commits.
	 */
	private void failsAloneWhileOthersCommit(UUID stuckTask) {
		given(this.transitions.storeReachable()).willReturn(true);
		given(this.transitions.apply(any(), any()))
			.willThrow(new CannotAcquireLockException("lock timeout on the task's row"));
		given(this.transitions.apply(any(), any(), any()))
			.willThrow(new CannotAcquireLockException("lock timeout on the task's row"));
		willReturn(List.of(Applied.APPLIED)).given(this.transitions)
			.apply(argThat((List<? extends Reply> replies) -> replies != null && replies.size() == 1
					&& !replies.get(0).taskId().equals(stuckTask)), eq(List.of()), any());
	}

	private Message result(long tag) {
		Message message = this.wire.resultMessage(new TaskResult(UUID.randomUUID(), "echo", 1, UUID.randomUUID(), "w",
				false, Outcome.SUCCEEDED, null, null, Instant.now(), Instant.now()));
		message.getMessageProperties().setDeliveryTag(tag);
		return message;
	}

}
