package io.warren.worker.handler;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Type;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.util.ReflectionUtils;

/** One {@link TaskHandler} method, ready to be called with a payload and a context. */
public final class HandlerMethod {

	private final String type;

	private final Object bean;

	private final Method method;

	private final JavaType[] parameterTypes;

	private final JsonMapper json;

	public HandlerMethod(String type, Object bean, Method method, JsonMapper json) {
		this.type = type;
		this.bean = bean;
		this.method = method;
		this.json = json;
		Type[] generic = method.getGenericParameterTypes();
		this.parameterTypes = new JavaType[generic.length];
		int payloads = 0;
		for (int i = 0; i < generic.length; i++) {
			if (method.getParameterTypes()[i] != TaskContext.class) {
				this.parameterTypes[i] = json.constructType(generic[i]);
				payloads++;
			}
		}
		if (payloads > 1) {
			throw new IllegalStateException("@TaskHandler " + describe() + " takes more than one payload parameter");
		}
		ReflectionUtils.makeAccessible(method);
	}

	/** The task type it handles. */
	public String type() {
		return this.type;
	}

	/** Binds the payload, calls the method and returns its value as JSON. */
	public JsonNode invoke(JsonNode payload, TaskContext context) throws Exception {
		Object[] arguments = new Object[this.parameterTypes.length];
		for (int i = 0; i < arguments.length; i++) {
			arguments[i] = (this.parameterTypes[i] != null) ? bind(payload, this.parameterTypes[i]) : context;
		}
		try {
			return this.json.valueToTree(this.method.invoke(this.bean, arguments));
		}
		catch (InvocationTargetException ex) {
			if (ex.getCause() instanceof Exception cause) {
				throw cause;
			}
			throw ex;
		}
	}

	private Object bind(JsonNode payload, JavaType target) {
		if (target.getRawClass() == JsonNode.class) {
			return payload;
		}
		try {
			return this.json.treeToValue(payload, target);
		}
		catch (JacksonException ex) {
			throw new InvalidPayloadException(
					"payload does not fit the handler of " + this.type + ": " + ex.getOriginalMessage(), ex);
		}
	}

	String describe() {
		return this.method.getDeclaringClass().getSimpleName() + "." + this.method.getName();
	}

}
