package io.warren.worker.handler;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method of a Spring bean as the handler of a task type. The method takes the
 * payload (bound from JSON to the parameter's type: a record, a {@code JsonNode}, a
 * {@code Map}...) and, optionally, a {@link TaskContext}, in any order. What it returns
 * becomes the task's JSON result; what it throws fails the task.
 *
 * <pre class="code">
 * &#64;TaskHandler("image.resize")
 * Thumbnail resize(ResizeRequest request, TaskContext context) { ... }
 * </pre>
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface TaskHandler {

	/**
	 * The task type, {@code [a-z0-9][a-z0-9._-]{0,63}}; {@code ${...}} placeholders are
	 * resolved from the environment.
	 */
	String value();

}
