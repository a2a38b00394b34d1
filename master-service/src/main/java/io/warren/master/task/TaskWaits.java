package io.warren.master.task;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import io.warren.master.config.MasterProperties;

import org.springframework.boot.convert.DurationStyle;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.async.DeferredResult;

/**
 * Requests that wait for a task to finish, without a thread each: the request goes
 * asynchronous, the live events tell when the task finished, and a timer ends the wait;
 * either way a pool thread reads the task (the record, not the event, is the answer).
 */
@Component
class TaskWaits {

	/** The servlet's own async timeout is this much above the wait: the timer ends it. */
	private static final Duration ASYNC_MARGIN = Duration.ofSeconds(30);

	private final TaskStore store;

	private final TaskEndWatch watch;

	private final TaskScheduler scheduler;

	private final Executor answers;

	private final Duration max;

	TaskWaits(TaskStore store, TaskEndWatch watch, TaskScheduler scheduler, MasterProperties properties) {
		this.store = store;
		this.watch = watch;
		this.scheduler = scheduler;
		this.max = properties.waits().max();
		ThreadPoolExecutor pool = new ThreadPoolExecutor(properties.waits().threads(), properties.waits().threads(), 60,
				TimeUnit.SECONDS, new LinkedBlockingQueue<>(), new CustomizableThreadFactory("warren-wait-"));
		pool.allowCoreThreadTimeOut(true);
		this.answers = pool;
	}

	/**
	 * The {@code wait} parameter: {@code 30s}, {@code 500ms}, {@code 2m}, an ISO-8601
	 * duration or milliseconds, at most {@code warren.master.waits.max}; a 400 problem
	 * naming it otherwise.
	 */
	Duration parse(String wait) {
		Duration duration;
		try {
			duration = DurationStyle.detectAndParse(wait.trim());
		}
		catch (IllegalArgumentException | DateTimeParseException ex) {
			throw new InvalidTaskException("wait", "must be a duration such as 30s, 500ms or PT30S");
		}
		if (duration.isNegative()) {
			throw new InvalidTaskException("wait", "must not be negative");
		}
		if (duration.compareTo(this.max) > 0) {
			throw new InvalidTaskException("wait", "must be at most " + this.max + " (warren.master.waits.max)");
		}
		return duration;
	}

	/**
	 * Answers with {@code answer} applied to the task once it is {@code SUCCEEDED},
	 * {@code FAILED} or {@code CANCELLED}, or when {@code wait} has passed, as it is
	 * then; {@code known} is the task as just read or stored (answered at once if
	 * finished).
	 */
	<T> DeferredResult<T> await(Task known, Duration wait, Function<Task, T> answer) {
		DeferredResult<T> result = new DeferredResult<>(wait.plus(ASYNC_MARGIN).toMillis());
		if (known.status().isTerminal() || wait.isZero()) {
			result.setResult(answer.apply(known));
			return result;
		}
		Waiter<T> waiter = new Waiter<>(known.id(), result, answer);
		// watch first, then read: a task that finishes in between is seen by one of them
		waiter.watching = this.watch.watch(known.id(), () -> this.answers.execute(waiter::answer));
		waiter.timer = this.scheduler.schedule(() -> this.answers.execute(waiter::answer),
				java.time.Instant.now().plus(wait));
		if (waiter.answered.get()) {
			waiter.stop();
		}
		result.onTimeout(waiter::answer);
		result.onCompletion(waiter::stop);
		result.onError((ex) -> waiter.stop());
		this.answers.execute(waiter::answerIfFinished);
		return result;
	}

	/** One waiting request. */
	private final class Waiter<T> {

		private final UUID taskId;

		private final DeferredResult<T> result;

		private final Function<Task, T> answer;

		private final AtomicBoolean answered = new AtomicBoolean();

		private volatile TaskEndWatch.Watching watching;

		private volatile ScheduledFuture<?> timer;

		Waiter(UUID taskId, DeferredResult<T> result, Function<Task, T> answer) {
			this.taskId = taskId;
			this.result = result;
			this.answer = answer;
		}

		/** Answers now if the task finished before the watch began. */
		void answerIfFinished() {
			try {
				Task task = TaskWaits.this.store.find(this.taskId).orElse(null);
				if (task == null || task.status().isTerminal()) {
					answer(task);
				}
			}
			catch (RuntimeException ex) {
				fail(ex);
			}
		}

		void answer() {
			try {
				answer(TaskWaits.this.store.find(this.taskId).orElse(null));
			}
			catch (RuntimeException ex) {
				fail(ex);
			}
		}

		private void answer(Task task) {
			if (!this.answered.compareAndSet(false, true)) {
				return;
			}
			stop();
			if (task == null) {
				// deleted meanwhile
				this.result.setErrorResult(new TaskNotFoundException(this.taskId));
				return;
			}
			try {
				this.result.setResult(this.answer.apply(task));
			}
			catch (RuntimeException ex) {
				this.result.setErrorResult(ex);
			}
		}

		private void fail(RuntimeException ex) {
			if (this.answered.compareAndSet(false, true)) {
				stop();
				this.result.setErrorResult(ex);
			}
		}

		void stop() {
			TaskEndWatch.Watching watch = this.watching;
			if (watch != null) {
				watch.close();
			}
			ScheduledFuture<?> scheduled = this.timer;
			if (scheduled != null) {
				scheduled.cancel(false);
			}
		}

	}

}
