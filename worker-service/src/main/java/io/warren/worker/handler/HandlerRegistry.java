package io.warren.worker.handler;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import io.warren.protocol.TaskTypes;
import io.warren.protocol.WireFormat;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.context.ApplicationContext;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.stereotype.Component;

/**
 * Finds every {@link TaskHandler} method among the application's beans once they are all
 * created; {@code ${...}} placeholders in a type are resolved from the environment. Two
 * handlers for one type, or an invalid type name, stop the worker at start-up.
 */
@Component
public class HandlerRegistry implements SmartInitializingSingleton {

	private final ApplicationContext context;

	private final WireFormat wire;

	private final Map<String, HandlerMethod> handlers = new TreeMap<>();

	public HandlerRegistry(ApplicationContext context, WireFormat wire) {
		this.context = context;
		this.wire = wire;
	}

	@Override
	public void afterSingletonsInstantiated() {
		for (String name : this.context.getBeanNamesForType(Object.class, false, false)) {
			Class<?> beanType = this.context.getType(name, false);
			if (beanType == null) {
				continue;
			}
			Map<Method, TaskHandler> methods = MethodIntrospector.selectMethods(beanType,
					(MethodIntrospector.MetadataLookup<TaskHandler>) (method) -> AnnotatedElementUtils
						.findMergedAnnotation(method, TaskHandler.class));
			methods.forEach((method, annotation) -> register(
					this.context.getEnvironment().resolveRequiredPlaceholders(annotation.value()),
					this.context.getBean(name), method));
		}
	}

	private void register(String type, Object bean, Method method) {
		if (!TaskTypes.isValid(type)) {
			throw new IllegalStateException("@TaskHandler type '" + type + "' must match " + TaskTypes.NAME.pattern());
		}
		Method invocable = AopUtils.selectInvocableMethod(method, bean.getClass());
		HandlerMethod handler = new HandlerMethod(type, bean, invocable, this.wire.json());
		HandlerMethod previous = this.handlers.putIfAbsent(type, handler);
		if (previous != null && !previous.describe().equals(handler.describe())) {
			throw new IllegalStateException(
					"task type '" + type + "' has two handlers: " + previous.describe() + " and " + handler.describe());
		}
	}

	/** The handler of a type, if any. */
	public Optional<HandlerMethod> find(String type) {
		return Optional.ofNullable(this.handlers.get(type));
	}

	/** Every handled type, sorted. */
	public Iterable<String> types() {
		return this.handlers.keySet();
	}

}
