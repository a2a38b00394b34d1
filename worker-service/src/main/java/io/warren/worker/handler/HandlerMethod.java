package io.warren.worker.handler;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Type;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.exc.ValueInstantiationException;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.util.ReflectionUtils;

/** One {@link TaskHandler} method, ready to be called with a payload and a context. */
public final class HandlerMethod {

	private static final Logger log = LoggerFactory.getLogger(HandlerMethod.class);

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
			// the reason in the task record names no class of this worker, only where
			// and what was expected; the log keeps Jackson's own words
			log.debug("payload of a {} task does not fit {}: {}", this.type, describe(), ex.getOriginalMessage());
			throw new InvalidPayloadException("payload does not fit the handler of " + this.type + ": "
					+ expected(ex, target) + " at " + path(ex), ex);
		}
	}

	private static String path(JacksonException ex) {
		StringBuilder path = new StringBuilder("$");
		for (JacksonException.Reference reference : ex.getPath()) {
			if (reference.getPropertyName() != null) {
				path.append('.').append(reference.getPropertyName());
			}
			else if (reference.getIndex() >= 0) {
				path.append('[').append(reference.getIndex()).append(']');
			}
		}
		return path.toString();
	}

	/** What the handler expected where the payload did not fit, in JSON's words. */
	private static String expected(JacksonException ex, JavaType target) {
		Class<?> type = (ex instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null)
				? mismatch.getTargetType() : target.getRawClass();
		if (ex instanceof UnrecognizedPropertyException unknown) {
			return "unknown field '" + unknown.getPropertyName() + "'";
		}
		if (ex instanceof ValueInstantiationException && ex.getCause() != null && ex.getCause().getMessage() != null) {
			// the payload type's own constructor refused the value: its author's words
			return ex.getCause().getMessage();
		}
		if (type.isEnum()) {
			return "expected one of " + java.util.Arrays.toString(type.getEnumConstants());
		}
		if (type.isPrimitive() && type != boolean.class && type != char.class || Number.class.isAssignableFrom(type)) {
			return "expected a number";
		}
		if (type == boolean.class || type == Boolean.class) {
			return "expected true or false";
		}
		if (CharSequence.class.isAssignableFrom(type) || type == char.class || type == Character.class
				|| type == java.util.UUID.class || type == java.net.URI.class
				|| type.getName().startsWith("java.time.")) {
			return "expected a string";
		}
		if (type.isArray() || java.util.Collection.class.isAssignableFrom(type)) {
			return "expected an array";
		}
		if (java.util.Map.class.isAssignableFrom(type)) {
			return "expected an object";
		}
		return "expected an object with the handler's fields";
	}

	String describe() {
		return this.method.getDeclaringClass().getSimpleName() + "." + this.method.getName();
	}

}
