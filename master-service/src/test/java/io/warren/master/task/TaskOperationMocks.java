package io.warren.master.task;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import io.warren.master.control.ControlChannel;
import io.warren.master.control.PausedTypes;
import io.warren.master.events.EventStreams;
import io.warren.master.workers.WorkerRegistry;

import org.springframework.test.context.bean.override.mockito.MockitoBean;

/**
 * Mocks of what the task API calls beyond submission and reads, for web-slice tests that
 * do not stub them.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@MockitoBean(types = { TaskTransitions.class, TaskDispatcher.class, RetryPolicies.class, TaskPurge.class,
		ControlChannel.class, PausedTypes.class, WorkerRegistry.class, TaskWaits.class, EventStreams.class })
@interface TaskOperationMocks {

}
