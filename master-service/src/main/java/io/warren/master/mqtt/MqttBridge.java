package io.warren.master.mqtt;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.warren.master.task.IdempotencyKeyReusedException;
import io.warren.master.task.InvalidTaskException;
import io.warren.master.task.SubmissionsBusyException;
import io.warren.master.task.SubmitTaskRequest;
import io.warren.master.task.Task;
import io.warren.master.task.TaskChange;
import io.warren.master.task.TaskSubmission;
import io.warren.master.task.TaskTypeRefusedException;
import io.warren.master.task.TasksChanged;
import io.warren.protocol.TaskStatusEvent;
import io.warren.protocol.WireFormat;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;
import org.springframework.dao.DataAccessException;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;
import org.springframework.stereotype.Component;

/**
 * Connects the master to an MQTT broker: takes submissions published to
 * {@code <prefix>/submit/<type>} (a shared subscription, so that each is taken by one
 * master), answers them on {@code <prefix>/submitted/<correlationId>} (or errors without
 * one on {@code <prefix>/errors}), and publishes the end of every task this master
 * applied to {@code <prefix>/tasks/<type>/<id>/<status>}, QoS 1. A submission is
 * acknowledged to the broker once stored or refused, and its {@code correlationId} is its
 * idempotency key: a QoS 1 redelivery of it creates no second task. The session is not
 * kept (a master has no lasting identity): a submission a master was storing when it died
 * is not delivered again; a client that got no answer publishes it again, safely with a
 * {@code correlationId}.
 */
@Component
@ConditionalOnProperty(name = "warren.mqtt.enabled", havingValue = "true")
class MqttBridge implements SmartLifecycle, MqttCallbackExtended {

	private static final Logger log = LoggerFactory.getLogger(MqttBridge.class);

	/** The idempotency-key scope of MQTT submissions. */
	static final String SCOPE = "mqtt";

	private static final Set<String> FIELDS = Set.of("type", "payload", "priority", "runAt", "delay", "maxAttempts",
			"timeout", "callbackUrl", "correlationId");

	private static final int QOS = 1;

	private static final Duration RECONNECT = Duration.ofSeconds(5);

	/** Submissions handed over and waiting for a submit thread. */
	private static final int SUBMIT_QUEUE = 100;

	private final MqttProperties properties;

	private final TaskSubmission submission;

	private final WireFormat wire;

	private final TaskScheduler scheduler;

	private final Counter dropped;

	private final Counter submitted;

	private final Counter refused;

	private volatile MqttAsyncClient client;

	private final ThreadPoolExecutor submitters;

	private volatile ScheduledFuture<?> connecting;

	/** Connected and subscribed to the submit topics. */
	private volatile boolean subscribed;

	MqttBridge(MqttProperties properties, TaskSubmission submission, WireFormat wire, TaskScheduler scheduler,
			MeterRegistry meters) {
		this.properties = properties;
		this.submission = submission;
		this.wire = wire;
		this.scheduler = scheduler;
		this.dropped = meters.counter("warren.mqtt.notices.dropped");
		this.submitted = meters.counter("warren.mqtt.submissions", "outcome", "accepted");
		this.refused = meters.counter("warren.mqtt.submissions", "outcome", "refused");
		this.submitters = new ThreadPoolExecutor(properties.submitThreads(), properties.submitThreads(), 60,
				TimeUnit.SECONDS, new ArrayBlockingQueue<>(SUBMIT_QUEUE), new CustomizableThreadFactory("warren-mqtt-"),
				new ThreadPoolExecutor.CallerRunsPolicy());
		Gauge.builder("warren.mqtt.connected", this, (bridge) -> bridge.subscribed ? 1 : 0)
			.description("1 while the master is connected to the MQTT broker and takes submissions")
			.register(meters);
	}

	@Override
	public void start() {
		try {
			MqttAsyncClient created = new MqttAsyncClient(this.properties.url(),
					"warren-master-" + UUID.randomUUID().toString().substring(0, 8), new MemoryPersistence());
			created.setCallback(this);
			// acknowledged once stored, not on arrival
			created.setManualAcks(true);
			this.client = created;
		}
		catch (MqttException ex) {
			throw new IllegalStateException("warren.mqtt.url " + this.properties.url() + " is not usable: " + ex, ex);
		}
		// the broker may be down: keep trying, without holding up the start
		this.connecting = this.scheduler.scheduleWithFixedDelay(this::connect, RECONNECT);
	}

	private void connect() {
		MqttAsyncClient current = this.client;
		if (current == null || current.isConnected()) {
			return;
		}
		MqttConnectOptions options = new MqttConnectOptions();
		options.setCleanSession(true);
		options.setAutomaticReconnect(true);
		options.setConnectionTimeout((int) Math.max(1, this.properties.connectTimeout().toSeconds()));
		options.setMaxInflight(this.properties.maxInflight());
		if (this.properties.username() != null) {
			options.setUserName(this.properties.username());
		}
		if (this.properties.password() != null) {
			options.setPassword(this.properties.password().toCharArray());
		}
		try {
			current.connect(options).waitForCompletion(this.properties.connectTimeout().toMillis() + 1000);
			ScheduledFuture<?> retries = this.connecting;
			if (retries != null) {
				// Paho reconnects by itself from now on
				retries.cancel(false);
			}
		}
		catch (MqttException ex) {
			log.warn("MQTT broker {} not reachable (next try in {}): {}", this.properties.url(), RECONNECT,
					ex.getMessage());
		}
	}

	@Override
	public void connectComplete(boolean reconnect, String serverUri) {
		try {
			this.client.subscribe(this.properties.submitFilter(), QOS, null, new IMqttActionListener() {
				@Override
				public void onSuccess(IMqttToken token) {
					MqttBridge.this.subscribed = true;
					log.info("MQTT: connected to {}, taking submissions from {}", serverUri,
							MqttBridge.this.properties.submitFilter());
				}

				@Override
				public void onFailure(IMqttToken token, Throwable ex) {
					log.warn("MQTT: subscription to {} refused by {}: {}", MqttBridge.this.properties.submitFilter(),
							serverUri, ex.getMessage());
				}
			});
		}
		catch (MqttException ex) {
			log.warn("MQTT: could not subscribe to {}: {}", this.properties.submitFilter(), ex.getMessage());
		}
	}

	@Override
	public void connectionLost(Throwable cause) {
		this.subscribed = false;
		log.warn("MQTT: connection to {} lost (reconnecting): {}", this.properties.url(), cause.getMessage());
	}

	/**
	 * Hands the submission to a submit thread: Paho's one callback thread must go on
	 * reading acknowledgements and pings while a submission is stored. When every submit
	 * thread is busy and the hand-over queue is full, the callback thread stores it
	 * itself, which slows the broker's deliveries down.
	 */
	@Override
	public void messageArrived(String topic, MqttMessage message) {
		this.submitters.execute(() -> {
			// nothing may escape: Paho drops the connection on an exception
			try {
				submit(topic, message.getPayload());
			}
			catch (RuntimeException ex) {
				log.warn("MQTT submission on {} failed unexpectedly", topic, ex);
			}
			acknowledge(message);
		});
	}

	private void acknowledge(MqttMessage message) {
		try {
			this.client.messageArrivedComplete(message.getId(), message.getQos());
		}
		catch (MqttException ex) {
			log.debug("MQTT: acknowledgement not sent: {}", ex.getMessage());
		}
	}

	private void submit(String topic, byte[] body) {
		String prefix = this.properties.topicPrefix() + "/submit/";
		String type = topic.startsWith(prefix) ? topic.substring(prefix.length()) : topic;
		String correlationId = null;
		try {
			JsonNode json = this.wire.json().readTree(body);
			if (json == null || !json.isObject()) {
				throw new InvalidTaskException("body",
						"must be a JSON object {\"payload\": ..., \"correlationId\": ...}");
			}
			correlationId = correlationId(json);
			for (String name : json.propertyNames()) {
				if (!FIELDS.contains(name)) {
					throw new InvalidTaskException(name, "is not a field of a submission");
				}
			}
			ObjectNode fields = ((ObjectNode) json).deepCopy();
			fields.remove("correlationId");
			if (fields.has("type") && !type.equals(fields.get("type").asString())) {
				throw new InvalidTaskException("type", "differs from the topic's type " + type);
			}
			fields.put("type", type);
			if (!fields.has("payload")) {
				throw new InvalidTaskException("payload", "is required (send null for a task without input)");
			}
			SubmitTaskRequest request = this.wire.json().treeToValue(fields, SubmitTaskRequest.class);
			TaskSubmission.Submitted done = this.submission.submit(request, SCOPE, correlationId);
			Task task = done.tasks().get(0);
			this.submitted.increment();
			if (correlationId != null) {
				Map<String, Object> answer = new LinkedHashMap<>();
				answer.put("correlationId", correlationId);
				answer.put("id", task.id());
				answer.put("type", task.type());
				answer.put("status", task.status().name());
				answer.put("replayed", done.replayed());
				publish(submittedTopic(correlationId), answer);
			}
		}
		catch (InvalidTaskException ex) {
			refuse(topic, correlationId, 400, "Invalid request", ex.getMessage(), ex.field());
		}
		catch (TaskTypeRefusedException | IdempotencyKeyReusedException ex) {
			refuse(topic, correlationId, 422, "Refused", ex.getMessage(), null);
		}
		catch (SubmissionsBusyException ex) {
			// nothing stored: the client may publish it again
			refuse(topic, correlationId, 503, "Service unavailable", ex.getMessage(), null);
		}
		catch (DataAccessException ex) {
			log.warn("MQTT submission on {} not stored: {}", topic, ex.getMessage());
			refuse(topic, correlationId, 503, "Service unavailable",
					"the task store is unavailable; publish it again shortly", null);
		}
		catch (JacksonException ex) {
			refuse(topic, correlationId, 400, "Invalid request",
					"the message is not a submission: " + ex.getOriginalMessage(), "body");
		}
	}

	/** The {@code correlationId}, if the message has a usable one. */
	private static String correlationId(JsonNode json) {
		JsonNode node = json.get("correlationId");
		if (node == null || node.isNull()) {
			return null;
		}
		String id = node.isString() ? node.asString() : "";
		if (id.isEmpty() || id.length() > 128 || !id.chars().allMatch((c) -> c > 0x20 && c < 0x7f) || id.contains("/")
				|| id.contains("+") || id.contains("#")) {
			throw new InvalidTaskException("correlationId",
					"must be 1 to 128 printable ASCII characters without spaces, '/', '+' or '#'");
		}
		return id;
	}

	private void refuse(String topic, String correlationId, int status, String title, String detail, String field) {
		this.refused.increment();
		log.info("MQTT submission on {} refused: {}", topic, detail);
		Map<String, Object> error = new LinkedHashMap<>();
		error.put("status", status);
		error.put("title", title);
		error.put("detail", detail);
		if (field != null) {
			error.put("field", field);
		}
		Map<String, Object> notice = new LinkedHashMap<>();
		if (correlationId != null) {
			notice.put("correlationId", correlationId);
		}
		notice.put("topic", topic);
		notice.put("error", error);
		publish((correlationId != null) ? submittedTopic(correlationId) : this.properties.topicPrefix() + "/errors",
				notice);
	}

	private String submittedTopic(String correlationId) {
		return this.properties.topicPrefix() + "/submitted/" + correlationId;
	}

	/** The end of every task this master applied, as a notice. */
	@EventListener
	void changed(TasksChanged changed) {
		for (TaskChange change : changed.changes()) {
			if (change.to().isTerminal()) {
				TaskStatusEvent event = change.event();
				publish(this.properties.topicPrefix() + "/tasks/" + change.type() + "/" + change.taskId() + "/"
						+ change.to().name(), event);
			}
		}
	}

	private void publish(String topic, Object body) {
		MqttAsyncClient current = this.client;
		if (current == null || !current.isConnected()) {
			this.dropped.increment();
			return;
		}
		try {
			byte[] payload = this.wire.json().writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
			current.publish(topic, payload, QOS, false);
		}
		catch (MqttException ex) {
			this.dropped.increment();
			log.debug("MQTT notice on {} dropped: {}", topic, ex.getMessage());
		}
	}

	@Override
	public void deliveryComplete(IMqttDeliveryToken token) {
	}

	@Override
	public void stop() {
		ScheduledFuture<?> retries = this.connecting;
		if (retries != null) {
			retries.cancel(false);
		}
		MqttAsyncClient current = this.client;
		try {
			// take no more, store and answer what was handed over, then leave
			if (current != null && current.isConnected()) {
				current.unsubscribe(this.properties.submitFilter()).waitForCompletion(2000);
			}
		}
		catch (MqttException ex) {
			log.debug("MQTT: {}", ex.getMessage());
		}
		this.submitters.shutdown();
		try {
			this.submitters.awaitTermination(5, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		this.client = null;
		this.subscribed = false;
		if (current != null) {
			try {
				if (current.isConnected()) {
					current.disconnect(2000).waitForCompletion(3000);
				}
				current.close(true);
			}
			catch (MqttException ex) {
				log.debug("MQTT: {}", ex.getMessage());
			}
		}
	}

	@Override
	public boolean isRunning() {
		return this.client != null;
	}

}
