package io.warren.testsupport;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A small client of the master's REST API, for tests that drive Warren over HTTP. It
 * sends {@link #TEST_KEY} (or the key it is given) as {@code Authorization: Bearer}.
 */
public final class WarrenApi {

	/** The API key tests start master and workers with: a bare key, every role. */
	public static final String TEST_KEY = "warren-test-key-6f1d0c3b9a7e";

	/** The property that gives a service {@link #TEST_KEY}. */
	public static final String TEST_KEY_PROPERTY = "warren.security.api-keys=" + TEST_KEY;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private final JsonMapper json = JsonMapper.builder().build();

	private final String base;

	private final String key;

	private final Duration timeout;

	public WarrenApi(int port) {
		this(port, TEST_KEY);
	}

	/** A client sending {@code key}, or no key if null. */
	public WarrenApi(int port, String key) {
		this("http://localhost:" + port, key);
	}

	private WarrenApi(String base, String key) {
		this(base, key, Duration.ofSeconds(30));
	}

	private WarrenApi(String base, String key, Duration timeout) {
		this.base = base;
		this.key = key;
		this.timeout = timeout;
	}

	/** The same service, with another key (null: none). */
	public WarrenApi withKey(String key) {
		return new WarrenApi(this.base, key, this.timeout);
	}

	/**
	 * The same service, giving up on an answer after {@code timeout} (as a health probe
	 * does) instead of 30 s.
	 */
	public WarrenApi withTimeout(Duration timeout) {
		return new WarrenApi(this.base, this.key, timeout);
	}

	/** An HTTP answer: status, a header and the JSON body. */
	public record Answer(int status, String location, String contentType, JsonNode body) {
	}

	/** Submits a task and returns the answer. */
	public Answer submit(String type, String payloadJson) {
		return post("{\"type\":\"" + type + "\",\"payload\":" + payloadJson + "}");
	}

	/** Submits a task that must be accepted, and returns its id. */
	public String accepted(String type, String payloadJson) {
		Answer answer = submit(type, payloadJson);
		if (answer.status() != 202) {
			throw new AssertionError("expected 202 but got " + answer.status() + ": " + answer.body());
		}
		return answer.body().get("id").asString();
	}

	/** POSTs a raw body to /api/v1/tasks. */
	public Answer post(String body) {
		return post("/api/v1/tasks", body);
	}

	/** POSTs a raw JSON body to a path of the master, with headers as name, value... */
	public Answer post(String path, String body, String... headers) {
		HttpRequest.Builder request = newRequest(path).header("Content-Type", "application/json");
		for (int i = 0; i < headers.length; i += 2) {
			request.header(headers[i], headers[i + 1]);
		}
		return send(request.POST(HttpRequest.BodyPublishers.ofString(body)));
	}

	/** The task view, or null if the task is unknown. */
	public JsonNode task(String id) {
		Answer answer = get("/api/v1/tasks/" + id);
		return (answer.status() == 200) ? answer.body() : null;
	}

	/** The status of a task, or null if unknown. */
	public String status(String id) {
		JsonNode task = task(id);
		return (task != null) ? task.get("status").asString() : null;
	}

	/**
	 * The status of one component of {@code /actuator/health} (or of a group, such as
	 * {@code readiness}, when the component is null).
	 */
	public String health(String group, String component) {
		JsonNode health = get("/actuator/health" + ((group != null) ? "/" + group : "")).body();
		JsonNode node = (component != null) ? health.path("components").path(component) : health;
		return node.path("status").asString();
	}

	/** GETs a path that answers plain text, such as {@code /actuator/prometheus}. */
	public String text(String path) {
		try {
			return this.http.send(newRequest(path).timeout(this.timeout).build(), HttpResponse.BodyHandlers.ofString())
				.body();
		}
		catch (IOException ex) {
			throw new IllegalStateException("request to the master failed", ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Sends any method with a raw body (bytes as given, not necessarily UTF-8) as
	 * {@code application/json}; {@code null} sends none.
	 */
	public Answer request(String method, String path, byte[] body) {
		HttpRequest.Builder request = newRequest(path);
		if (body != null) {
			request.header("Content-Type", "application/json");
		}
		return send(request.method(method,
				(body != null) ? HttpRequest.BodyPublishers.ofByteArray(body) : HttpRequest.BodyPublishers.noBody()));
	}

	/**
	 * GETs a request target sent as written, over a plain socket: for targets that
	 * {@link URI} refuses to build, such as {@code ?limit=%ZZ}.
	 */
	public Answer rawGet(String target) {
		URI base = URI.create(this.base);
		try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
			socket.setSoTimeout((int) this.timeout.toMillis());
			socket.getOutputStream()
				.write(("GET " + target + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\n"
						+ ((this.key != null) ? "Authorization: Bearer " + this.key + "\r\n" : "")
						+ "Connection: close\r\n\r\n")
					.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
			String response = new String(socket.getInputStream().readAllBytes(),
					java.nio.charset.StandardCharsets.UTF_8);
			int headersEnd = response.indexOf("\r\n\r\n");
			String[] head = response.substring(0, headersEnd).split("\r\n");
			String contentType = null;
			boolean chunked = false;
			for (String header : head) {
				String lower = header.toLowerCase(java.util.Locale.ROOT);
				if (lower.startsWith("content-type:")) {
					contentType = header.substring(header.indexOf(':') + 1).trim();
				}
				chunked |= lower.startsWith("transfer-encoding:") && lower.contains("chunked");
			}
			String body = response.substring(headersEnd + 4);
			if (chunked) {
				StringBuilder joined = new StringBuilder();
				int at = 0;
				int size;
				while ((size = Integer.parseInt(body.substring(at, body.indexOf("\r\n", at)).trim(), 16)) > 0) {
					int start = body.indexOf("\r\n", at) + 2;
					joined.append(body, start, start + size);
					at = start + size + 2;
				}
				body = joined.toString();
			}
			return new Answer(Integer.parseInt(head[0].split(" ")[1]), null, contentType,
					body.isEmpty() ? null : this.json.readTree(body));
		}
		catch (IOException ex) {
			throw new IllegalStateException("request to the master failed", ex);
		}
	}

	/** GETs a path of the master. */
	public Answer get(String path) {
		return send(newRequest(path).GET());
	}

	/**
	 * GETs a path without waiting for the answer: for requests that wait on the server
	 * (many at once share this client's selector thread).
	 */
	public java.util.concurrent.CompletableFuture<Answer> getAsync(String path) {
		return this.http
			.sendAsync(newRequest(path).timeout(this.timeout).GET().build(), HttpResponse.BodyHandlers.ofString())
			.thenApply(this::answer);
	}

	private HttpRequest.Builder newRequest(String path) {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(this.base + path));
		if (this.key != null) {
			request.header("Authorization", "Bearer " + this.key);
		}
		return request;
	}

	private Answer send(HttpRequest.Builder request) {
		try {
			return answer(this.http.send(request.timeout(this.timeout).build(), HttpResponse.BodyHandlers.ofString()));
		}
		catch (IOException ex) {
			throw new IllegalStateException("request to the master failed", ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private Answer answer(HttpResponse<String> response) {
		String body = response.body();
		String contentType = response.headers().firstValue("Content-Type").orElse(null);
		boolean isJson = contentType == null || contentType.contains("json");
		JsonNode json = (body == null || body.isEmpty() || !isJson) ? null : this.json.readTree(body);
		return new Answer(response.statusCode(), response.headers().firstValue("Location").orElse(null), contentType,
				json);
	}

}
