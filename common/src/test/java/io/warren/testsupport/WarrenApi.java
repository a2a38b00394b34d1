package io.warren.testsupport;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A small client of the master's REST API, for tests that drive Warren over HTTP. */
public final class WarrenApi {

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private final JsonMapper json = JsonMapper.builder().build();

	private final String base;

	public WarrenApi(int port) {
		this.base = "http://localhost:" + port;
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
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(this.base + path))
			.header("Content-Type", "application/json");
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
			return this.http
				.send(HttpRequest.newBuilder(URI.create(this.base + path)).timeout(Duration.ofSeconds(30)).build(),
						HttpResponse.BodyHandlers.ofString())
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
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(this.base + path));
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
			socket.setSoTimeout(30_000);
			socket.getOutputStream()
				.write(("GET " + target + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\nConnection: close\r\n\r\n")
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
		return send(HttpRequest.newBuilder(URI.create(this.base + path)).GET());
	}

	private Answer send(HttpRequest.Builder request) {
		try {
			HttpResponse<String> response = this.http.send(request.timeout(Duration.ofSeconds(30)).build(),
					HttpResponse.BodyHandlers.ofString());
			String body = response.body();
			JsonNode json = (body == null || body.isEmpty()) ? null : this.json.readTree(body);
			return new Answer(response.statusCode(), response.headers().firstValue("Location").orElse(null),
					response.headers().firstValue("Content-Type").orElse(null), json);
		}
		catch (IOException ex) {
			throw new IllegalStateException("request to the master failed", ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
