package io.warren.testsupport;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A client of the master's Server-Sent Events stream, reading it as a browser's
 * {@code EventSource} would: events (id, name, data lines), comments, and whether the
 * server ended the stream.
 */
public final class EventStreamClient implements AutoCloseable {

	/** One event as received: {@code name} is {@code null} for an unnamed event. */
	public record Event(String id, String name, String data) {
	}

	private final HttpResponse<Stream<String>> response;

	private final List<Event> events = new CopyOnWriteArrayList<>();

	private final List<String> comments = new CopyOnWriteArrayList<>();

	private final String errorBody;

	private volatile boolean ended;

	private EventStreamClient(HttpResponse<Stream<String>> response) {
		this.response = response;
		if (response.statusCode() != 200) {
			this.errorBody = response.body().collect(Collectors.joining("\n"));
			this.ended = true;
			return;
		}
		this.errorBody = null;
		Thread reader = new Thread(this::read, "sse-client");
		reader.setDaemon(true);
		reader.start();
	}

	/**
	 * Opens {@code pathAndQuery} on the service at {@code port} with {@code key}, sending
	 * {@code Last-Event-ID} if given; returns once the answer's headers arrived.
	 */
	public static EventStreamClient open(int port, String pathAndQuery, String key, String lastEventId) {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + pathAndQuery))
			.header("Accept", "text/event-stream")
			.GET();
		if (key != null) {
			request.header("Authorization", "Bearer " + key);
		}
		if (lastEventId != null) {
			request.header("Last-Event-ID", lastEventId);
		}
		try {
			return new EventStreamClient(HttpClient.newHttpClient()
				.sendAsync(request.build(), HttpResponse.BodyHandlers.ofLines())
				.get(10, TimeUnit.SECONDS));
		}
		catch (Exception ex) {
			throw new IllegalStateException("event stream not opened: " + ex, ex);
		}
	}

	/** Opens the stream with {@link WarrenApi#TEST_KEY}. */
	public static EventStreamClient open(int port, String pathAndQuery) {
		return open(port, pathAndQuery, WarrenApi.TEST_KEY, null);
	}

	private void read() {
		String id = null;
		String name = null;
		List<String> data = new ArrayList<>();
		try (Stream<String> lines = this.response.body()) {
			for (String line : (Iterable<String>) lines::iterator) {
				if (line.isEmpty()) {
					if (!data.isEmpty()) {
						this.events.add(new Event(id, name, String.join("\n", data)));
					}
					id = null;
					name = null;
					data.clear();
				}
				else if (line.startsWith(":")) {
					this.comments.add(line.substring(1).trim());
				}
				else if (line.startsWith("id:")) {
					id = line.substring(3).trim();
				}
				else if (line.startsWith("event:")) {
					name = line.substring(6).trim();
				}
				else if (line.startsWith("data:")) {
					data.add(line.substring(5).startsWith(" ") ? line.substring(6) : line.substring(5));
				}
			}
		}
		catch (RuntimeException ex) {
			// closed by this client
		}
		finally {
			this.ended = true;
		}
	}

	public int status() {
		return this.response.statusCode();
	}

	/** A header of the answer, or {@code null}. */
	public String header(String name) {
		return this.response.headers().firstValue(name).orElse(null);
	}

	/** The body of an answer that was not a stream. */
	public String errorBody() {
		return this.errorBody;
	}

	/** The events received so far, in order. */
	public List<Event> events() {
		return List.copyOf(this.events);
	}

	/** The comment lines received so far (keep-alives). */
	public List<String> comments() {
		return List.copyOf(this.comments);
	}

	/** Whether the server ended the stream (or it was never one). */
	public boolean ended() {
		return this.ended;
	}

	@Override
	public void close() {
		if (!this.ended) {
			this.response.body().close();
		}
	}

}
