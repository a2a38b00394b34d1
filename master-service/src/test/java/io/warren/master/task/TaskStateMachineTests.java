package io.warren.master.task;

import java.util.EnumSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

class TaskStateMachineTests {

	@ParameterizedTest(name = "{0} + {1} -> {2}")
	@CsvSource({ "PENDING, CONFIRMED, QUEUED", "PENDING, STARTED, RUNNING", "PENDING, SUCCEEDED, SUCCEEDED",
			"PENDING, FAILED, FAILED", "PENDING, DEAD_LETTERED, FAILED", "QUEUED, STARTED, RUNNING",
			"QUEUED, SUCCEEDED, SUCCEEDED", "QUEUED, FAILED, FAILED", "QUEUED, DEAD_LETTERED, FAILED",
			"RUNNING, STARTED, RUNNING", "RUNNING, SUCCEEDED, SUCCEEDED", "RUNNING, FAILED, FAILED",
			"RUNNING, DEAD_LETTERED, FAILED", "RUNNING, RELEASED, QUEUED", "PENDING, RETRY, RETRYING",
			"QUEUED, RETRY, RETRYING", "RUNNING, RETRY, RETRYING", "SCHEDULED, DUE, PENDING", "RETRYING, DUE, PENDING",
			"FAILED, NEW_ATTEMPT, PENDING", "PENDING, CANCEL, CANCELLED", "SCHEDULED, CANCEL, CANCELLED",
			"QUEUED, CANCEL, CANCELLED", "RUNNING, CANCEL, CANCELLED", "RETRYING, CANCEL, CANCELLED" })
	void allowedMoves(TaskStatus from, TaskEvent event, TaskStatus to) {
		assertThat(TaskStateMachine.next(from, event)).contains(to);
	}

	@ParameterizedTest(name = "{0} + {1} is refused")
	@CsvSource({ "QUEUED, CONFIRMED", "RUNNING, CONFIRMED", "PENDING, NEW_ATTEMPT", "QUEUED, NEW_ATTEMPT",
			"RUNNING, NEW_ATTEMPT", "PENDING, RELEASED", "QUEUED, RELEASED", "PENDING, DUE", "QUEUED, DUE",
			"RUNNING, DUE" })
	void refusedMovesOfActiveTasks(TaskStatus from, TaskEvent event) {
		assertThat(TaskStateMachine.next(from, event)).isEmpty();
	}

	@Test
	void failedTaskMovesOnlyThroughANewAttemptAndASucceededOrCancelledOneNever() {
		for (TaskEvent event : EnumSet.complementOf(EnumSet.of(TaskEvent.NEW_ATTEMPT))) {
			assertThat(TaskStateMachine.next(TaskStatus.FAILED, event)).as("FAILED + %s", event).isEmpty();
		}
		for (TaskEvent event : TaskEvent.values()) {
			assertThat(TaskStateMachine.next(TaskStatus.SUCCEEDED, event)).as("SUCCEEDED + %s", event).isEmpty();
			assertThat(TaskStateMachine.next(TaskStatus.CANCELLED, event)).as("CANCELLED + %s", event).isEmpty();
		}
	}

	@ParameterizedTest(name = "a {0} task moves only when due or cancelled")
	@EnumSource(value = TaskStatus.class, names = { "SCHEDULED", "RETRYING" })
	void waitingTasksMoveOnlyWhenDueOrCancelled(TaskStatus waiting) {
		for (TaskEvent event : EnumSet.complementOf(EnumSet.of(TaskEvent.DUE, TaskEvent.CANCEL))) {
			assertThat(TaskStateMachine.next(waiting, event)).as("%s + %s", waiting, event).isEmpty();
		}
	}

	@Test
	void startedNoticeAfterTheResultIsIgnored() {
		TaskStatus finished = TaskStateMachine.next(TaskStatus.QUEUED, TaskEvent.SUCCEEDED).orElseThrow();

		assertThat(TaskStateMachine.next(finished, TaskEvent.STARTED)).isEmpty();
	}

	@Test
	void confirmIsAppliedOnlyToPendingTasks() {
		assertThat(TaskStateMachine.sourcesOf(TaskEvent.CONFIRMED)).containsExactly(TaskStatus.PENDING);
		assertThat(TaskStateMachine.sourcesOf(TaskEvent.STARTED)).containsExactlyInAnyOrder(TaskStatus.PENDING,
				TaskStatus.QUEUED, TaskStatus.RUNNING);
	}

	@Test
	void everyStatusAndEventPairHasADecision() {
		int allowed = 0;
		for (TaskStatus status : TaskStatus.values()) {
			for (TaskEvent event : TaskEvent.values()) {
				if (TaskStateMachine.next(status, event).isPresent()) {
					allowed++;
				}
			}
		}
		// the 25 moves listed in allowedMoves, and no others
		assertThat(allowed).isEqualTo(25);
	}

}
