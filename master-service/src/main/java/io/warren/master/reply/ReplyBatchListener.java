package io.warren.master.reply;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import com.rabbitmq.client.Channel;
import io.warren.master.config.MasterProperties;
import io.warren.master.task.Applied;
import io.warren.master.task.RefusedResult;
import io.warren.master.task.ReplyChecks;
import io.warren.master.task.StoreFailures;
import io.warren.master.task.TaskTransitions;
import io.warren.protocol.MalformedMessageException;
import io.warren.protocol.ProtocolHeaders;
import io.warren.protocol.Reply;
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

	ReplyBatchListener(WireFormat wire, TaskTransitions transitions, Parking parking, TransientFailures failures,
			MasterProperties properties) {
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
			List<Message> unparked = settle(messages);
			this.attempts.settled(messages);
			if (unparked.isEmpty()) {
				channel.basicAck(lastTag, true);
				this.failures.succeeded();
				return;
			}
			// committed, but some could not be parked: only those go back to the broker
			this.failures.failed();
			for (Message message : messages) {
				long tag = message.getMessageProperties().getDeliveryTag();
				if (unparked.contains(message)) {
					channel.basicNack(tag, false, true);
				}
				else {
					channel.basicAck(tag, false);
				}
			}
		}
		catch (RuntimeException ex) {
			log.warn("{} replies not applied, handing them back to the broker: {}", messages.size(), ex.getMessage());
			if (this.transitions.storeReachable()) {
				// the store answers: the failure may be these replies', count it
				this.attempts.failed(messages);
			}
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
	 * Applies and parks; returns the messages that could not be parked (everything else
	 * of the batch is committed or parked), throws if the batch could not be applied.
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
		List<Applied> applied = applyAll(replies, decoded, refused, toPark);
		for (int i = 0; i < applied.size(); i++) {
			Reply reply = replies.get(i);
			if (applied.get(i) == Applied.UNKNOWN_TASK) {
				toPark.add(new Parked(decoded.get(i), "no task with id " + reply.taskId()));
			}
			else if (applied.get(i) == Applied.INVALID) {
				String problem = ReplyChecks.problem(reply);
				toPark.add(new Parked(decoded.get(i), "invalid reply: " + ((problem != null) ? problem
						: "its type " + reply.type() + " is not the type of task " + reply.taskId())));
			}
		}
		List<Message> unparked = new ArrayList<>();
		for (Parked parked : toPark) {
			try {
				this.parking.park(parked.message(), parked.reason(), "replies");
			}
			catch (RuntimeException ex) {
				log.warn("reply {} could not be parked, handing it back: {}",
						parked.message().getMessageProperties().getMessageId(), ex.getMessage());
				unparked.add(parked.message());
			}
		}
		return unparked;
	}

	/**
	 * The whole batch in one transaction; if the store refuses it for a reason other than
	 * being unreachable, one reply at a time, so that only the replies it refuses are
	 * parked. Returns what each reply did ({@code null} for one being parked).
	 */
	private List<Applied> applyAll(List<Reply> replies, List<Message> messages, List<RefusedResult> refused,
			List<Parked> toPark) {
		if (replies.isEmpty() && refused.isEmpty()) {
			return List.of();
		}
		if (messages.stream().noneMatch(this.attempts::exhausted)) {
			try {
				return this.transitions.apply(replies, refused);
			}
			catch (RuntimeException ex) {
				if (StoreFailures.isTransient(ex)) {
					throw ex;
				}
				log.warn("a batch of {} replies was refused by the store ({}); applying them one at a time",
						replies.size(), ex.getMessage());
			}
		}
		List<Applied> applied = new ArrayList<>(replies.size());
		for (int i = 0; i < replies.size(); i++) {
			try {
				applied.add(this.transitions.apply(List.of(replies.get(i)), List.of()).get(0));
			}
			catch (RuntimeException ex) {
				boolean exhausted = this.attempts.exhausted(messages.get(i));
				if (StoreFailures.isTransient(ex) && !(exhausted && this.transitions.storeReachable())) {
					throw ex;
				}
				String reason = StoreFailures.isTransient(ex)
						? "not applied after " + this.attempts.limit() + " tries while the task store answered: "
						: "refused by the task store: ";
				toPark.add(new Parked(messages.get(i), reason + ex.getMessage()));
				applied.add(null);
				if (replies.get(i) instanceof TaskResult result) {
					refused.add(new RefusedResult(result.taskId(), result.attempt(),
							(exhausted ? "not applied after " + this.attempts.limit() + " tries: "
									: "the task store refused it: ") + ex.getMessage()));
				}
			}
		}
		if (!refused.isEmpty()) {
			try {
				this.transitions.apply(List.of(), refused);
			}
			catch (RuntimeException ex) {
				if (StoreFailures.isTransient(ex) && !messages.stream().anyMatch(this.attempts::exhausted)) {
					throw ex;
				}
				// their messages are parked all the same: nothing loops
				log.error("could not fail the tasks of {} refused results: {}", refused.size(), ex.getMessage());
			}
		}
		return applied;
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
