package io.warren.master.reply;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import com.rabbitmq.client.Channel;
import io.warren.master.config.MasterProperties;
import io.warren.master.control.ControlChannel;
import io.warren.master.task.Applied;
import io.warren.master.task.RefusedResult;
import io.warren.master.task.ReplyChecks;
import io.warren.master.task.StoreFailures;
import io.warren.master.task.TaskTransitions;
import io.warren.protocol.ControlMessage;
import io.warren.protocol.MalformedMessageException;
import io.warren.protocol.ProtocolHeaders;
import io.warren.protocol.Reply;
import io.warren.protocol.StartedNotice;
import io.warren.protocol.TaskResult;
import io.warren.protocol.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareBatchMessageListener;
import org.springframework.stereotype.Component;

/**
 * Consumes the replies queue in batches: every reply of a batch is applied in one
 * transaction, and the whole batch is acked with one multiple ack once that transaction
 * has committed and what could not be applied (malformed, unknown task) is parked (a
 * reply that could not be parked is handed back alone, the rest acked one by one). A
 * transient failure (the store is down) hands the whole batch back to the broker after a
 * growing pause; a reply the store refuses for good (a value it cannot hold) is found by
 * applying the batch one reply at a time, and parked alone while the others commit. A
 * transient failure while the store still answers is counted against each reply of the
 * batch ({@link ReplyAttempts}); a reply handed back
 * {@code warren.master.replies.max-attempts} times is applied alone, and parked (its task
 * failed) if it fails again, so that no reply loops for ever.
 */
@Component
class ReplyBatchListener implements ChannelAwareBatchMessageListener {

	private static final Logger log = LoggerFactory.getLogger(ReplyBatchListener.class);

	private final WireFormat wire;

	private final TaskTransitions transitions;

	private final Parking parking;

	private final TransientFailures failures;

	private final ReplyAttempts attempts;

	private final Verdicts verdicts;

	private final ControlChannel control;

	ReplyBatchListener(WireFormat wire, TaskTransitions transitions, Parking parking, TransientFailures failures,
			MasterProperties properties, Verdicts verdicts, ControlChannel control) {
		this.control = control;
		this.verdicts = verdicts;
		this.wire = wire;
		this.transitions = transitions;
		this.parking = parking;
		this.failures = failures;
		this.attempts = new ReplyAttempts(properties.replies().maxAttempts());
	}

	@Override
	public void onMessageBatch(List<Message> messages, Channel channel) {
		if (messages.isEmpty()) {
			return;
		}
		long lastTag = messages.get(messages.size() - 1).getMessageProperties().getDeliveryTag();
		try {
			List<Message> handBack = settle(messages);
			if (handBack.isEmpty()) {
				this.attempts.settled(messages);
				channel.basicAck(lastTag, true);
				this.failures.succeeded();
				return;
			}
			this.attempts.settled(messages.stream().filter((message) -> !handBack.contains(message)).toList());
			// the rest committed or parked: only these go back to the broker, after a
			// pause
			this.failures.failed();
			for (Message message : messages) {
				long tag = message.getMessageProperties().getDeliveryTag();
				if (handBack.contains(message)) {
					channel.basicNack(tag, false, true);
				}
				else {
					channel.basicAck(tag, false);
				}
			}
		}
		catch (RuntimeException ex) {
			log.warn("{} replies not applied, handing them back to the broker: {}", messages.size(), ex.getMessage());
			this.failures.failed();
			nackAll(channel, lastTag);
		}
		catch (IOException ex) {
			// the channel is gone: the broker requeues the batch by itself
			log.warn("{} replies applied but not acked (channel closed); they will be applied again, which "
					+ "changes nothing: {}", messages.size(), ex.getMessage());
		}
	}

	/**
	 * Applies and parks; returns the messages to hand back (not applied for now, or not
	 * parked; everything else of the batch is committed or parked), throws if the store
	 * is down.
	 */
	private List<Message> settle(List<Message> messages) {
		List<Reply> replies = new ArrayList<>(messages.size());
		List<Message> decoded = new ArrayList<>(messages.size());
		List<Parked> toPark = new ArrayList<>();
		List<RefusedResult> refused = new ArrayList<>();
		for (Message message : messages) {
			try {
				replies.add(this.wire.readReply(message));
				decoded.add(message);
			}
			catch (RuntimeException ex) {
				// malformed, or anything else a body can make decoding throw: parked and
				// never handed back to come again
				String reason = (ex instanceof MalformedMessageException) ? ex.getMessage()
						: "undecodable: " + ex.getMessage();
				toPark.add(new Parked(message, "malformed reply: " + reason));
				refusedResult(message, "malformed: " + reason).ifPresent(refused::add);
			}
		}
		Set<UUID> asking = new HashSet<>();
		for (int i = 0; i < replies.size(); i++) {
			if (replies.get(i) instanceof StartedNotice notice && this.verdicts.asks(decoded.get(i))) {
				asking.add(notice.deliveryId());
			}
		}
		List<Message> handBack = new ArrayList<>();
		List<Applied> applied = applyAll(replies, decoded, refused, toPark, handBack, asking);
		for (int i = 0; i < applied.size(); i++) {
			Reply reply = replies.get(i);
			if (applied.get(i) != null && reply instanceof StartedNotice notice
					&& asking.contains(notice.deliveryId())) {
				// committed: the answer cannot run a delivery the store then forgets
				this.verdicts.answer(decoded.get(i), notice, applied.get(i));
			}
			else if (applied.get(i) == Applied.CANCELLED) {
				// a worker started a cancelled task (it missed the broadcast): stop it
				this.control.broadcast(ControlMessage.cancel(reply.taskId(), reply.attempt()));
			}
			if (applied.get(i) == Applied.UNKNOWN_TASK) {
				toPark.add(new Parked(decoded.get(i), "no task with id " + reply.taskId()));
			}
			else if (applied.get(i) == Applied.INVALID) {
				String problem = ReplyChecks.problem(reply);
				toPark.add(new Parked(decoded.get(i), "invalid reply: " + ((problem != null) ? problem
						: "its type " + reply.type() + " is not the type of task " + reply.taskId())));
			}
		}
		for (Parked parked : toPark) {
			try {
				this.parking.park(parked.message(), parked.reason(), "replies");
			}
			catch (RuntimeException ex) {
				log.warn("reply {} could not be parked, handing it back: {}",
						parked.message().getMessageProperties().getMessageId(), ex.getMessage());
				handBack.add(parked.message());
			}
		}
		return handBack;
	}

	/**
	 * The whole batch in one transaction; if that fails while the store answers, one
	 * reply at a time, so that only the replies it refuses are parked. A reply that fails
	 * alone for a reason that usually passes (a lock timeout) is handed back and, if
	 * others committed in the same pass (the store can write), counted; at
	 * {@code max-attempts} it is parked once its task is failed. Returns what each reply
	 * did ({@code null} for one parked or handed back); throws if the store is down.
	 */
	private List<Applied> applyAll(List<Reply> replies, List<Message> messages, List<RefusedResult> refused,
			List<Parked> toPark, List<Message> handBack, Set<UUID> asking) {
		if (replies.isEmpty() && refused.isEmpty()) {
			return List.of();
		}
		if (messages.stream().noneMatch(this.attempts::exhausted)) {
			try {
				return this.transitions.apply(replies, refused, asking);
			}
			catch (RuntimeException ex) {
				if (StoreFailures.isTransient(ex) && !this.transitions.storeReachable()) {
					throw ex;
				}
				log.warn("a batch of {} replies failed ({}); applying them one at a time", replies.size(),
						ex.getMessage());
			}
		}
		List<Applied> applied = new ArrayList<>(replies.size());
		List<Integer> failedAlone = new ArrayList<>();
		boolean committed = false;
		for (int i = 0; i < replies.size(); i++) {
			try {
				applied.add(this.transitions.apply(List.of(replies.get(i)), List.of(), asking).get(0));
				committed = true;
			}
			catch (RuntimeException ex) {
				applied.add(null);
				if (StoreFailures.isTransient(ex)) {
					failedAlone.add(i);
					continue;
				}
				toPark.add(new Parked(messages.get(i), "refused by the task store: " + ex.getMessage()));
				if (replies.get(i) instanceof TaskResult result) {
					refused.add(new RefusedResult(result.taskId(), result.attempt(),
							"the task store refused it: " + ex.getMessage()));
				}
			}
		}
		failRefused(refused, messages);
		for (int i : failedAlone) {
			Message message = messages.get(i);
			if (committed) {
				// the store wrote the others: this failure is the reply's own
				this.attempts.failed(List.of(message));
			}
			if (!committed || !this.attempts.exhausted(message) || !giveUp(replies.get(i), message, toPark)) {
				handBack.add(message);
			}
		}
		return applied;
	}

	/**
	 * Fails the tasks of refused results; their messages are parked all the same, so
	 * nothing loops. Throws if the store is down (the batch goes back).
	 */
	private void failRefused(List<RefusedResult> refused, List<Message> messages) {
		if (refused.isEmpty()) {
			return;
		}
		try {
			this.transitions.apply(List.of(), refused);
		}
		catch (RuntimeException ex) {
			if (StoreFailures.isTransient(ex) && !this.transitions.storeReachable()) {
				throw ex;
			}
			log.error("could not fail the tasks of {} refused results: {}", refused.size(), ex.getMessage());
		}
	}

	/**
	 * Parks a reply that failed {@code max-attempts} times, once its task is failed (a
	 * result) so that nothing is left active; false if the task could not be failed (the
	 * reply goes back and is tried again).
	 */
	private boolean giveUp(Reply reply, Message message, List<Parked> toPark) {
		String reason = "not applied after " + this.attempts.limit() + " tries while the task store answered";
		if (reply instanceof TaskResult result) {
			try {
				this.transitions.apply(List.of(),
						List.of(new RefusedResult(result.taskId(), result.attempt(), reason)));
			}
			catch (RuntimeException ex) {
				log.error("task {}: its result was {}, and the task could not be failed either ({}); trying again",
						result.taskId(), reason, ex.getMessage());
				return false;
			}
		}
		toPark.add(new Parked(message, reason));
		return true;
	}

	/**
	 * The task and attempt of a result that cannot be decoded, from its properties
	 * ({@code message_id}, {@code x-warren-attempt}); empty if it is not a result or they
	 * are missing.
	 */
	private static Optional<RefusedResult> refusedResult(Message message, String reason) {
		MessageProperties properties = message.getMessageProperties();
		UUID taskId = MessageIdentity.taskId(properties);
		Integer attempt = MessageIdentity.attempt(properties);
		if (!ProtocolHeaders.RESULT_TYPE.equals(properties.getType()) || taskId == null || attempt == null) {
			return Optional.empty();
		}
		return Optional.of(new RefusedResult(taskId, attempt, reason));
	}

	private void nackAll(Channel channel, long lastTag) {
		try {
			channel.basicNack(lastTag, true, true);
		}
		catch (IOException ex) {
			log.warn("could not hand the replies back (channel closed); the broker requeues them: {}", ex.getMessage());
		}
	}

	private record Parked(Message message, String reason) {
	}

}
