package io.warren.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A Warren service run from its built jar as a separate JVM, as an operator would run it.
 */
final class ServiceProcess implements AutoCloseable {

	private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	private final String name;

	private final int port;

	private final Path log;

	private final Process process;

	private ServiceProcess(String name, int port, Path log, Process process) {
		this.name = name;
		this.port = port;
		this.log = log;
		this.process = process;
	}

	/** The master jar, from the build. */
	static Path masterJar() {
		return jar("warren.master.jar");
	}

	/** The worker jar, from the build. */
	static Path workerJar() {
		return jar("warren.worker.jar");
	}

	/**
	 * Starts a service in {@code workDir} on a free port and waits until its health is
	 * UP.
	 */
	static ServiceProcess start(String name, Path jar, Path workDir, List<String> arguments) {
		int port = freePort();
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.add("-Xmx384m");
		command.add("-XX:TieredStopAtLevel=1");
		command.add("-jar");
		command.add(jar.toString());
		command.add("--server.port=" + port);
		arguments.forEach((argument) -> command.add("--" + argument));
		try {
			Files.createDirectories(workDir);
			Path log = workDir.resolve(name + ".log");
			Process process = new ProcessBuilder(command).directory(workDir.toFile())
				.redirectErrorStream(true)
				.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
				.start();
			ServiceProcess service = new ServiceProcess(name, port, log, process);
			service.awaitHealthy();
			return service;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	int port() {
		return this.port;
	}

	/** SIGKILL: no shutdown hook, no flush, no goodbye. */
	void kill() {
		this.process.destroyForcibly();
		awaitExit();
	}

	/** SIGTERM: a clean stop. */
	void stop() {
		this.process.destroy();
		awaitExit();
	}

	/**
	 * Sends a signal by name ({@code STOP} freezes the process as a hung machine would,
	 * {@code CONT} thaws it).
	 */
	void signal(String name) {
		try {
			Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(this.process.pid())).start();
			if (kill.waitFor() != 0) {
				throw new IllegalStateException("kill -" + name + " " + this.process.pid() + " failed");
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/** The exit code, once the process has exited. */
	int exitCode() {
		return this.process.exitValue();
	}

	/** The process's output so far. */
	String log() {
		try {
			return Files.readString(this.log);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	boolean isAlive() {
		return this.process.isAlive();
	}

	@Override
	public void close() {
		if (this.process.isAlive()) {
			kill();
		}
	}

	private void awaitHealthy() {
		await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> {
			if (!this.process.isAlive()) {
				throw new IllegalStateException(this.name + " exited at start-up; see " + this.log);
			}
			return healthy();
		});
	}

	private boolean healthy() {
		try {
			HttpResponse<String> response = http
				.send(HttpRequest.newBuilder(URI.create("http://localhost:" + this.port + "/actuator/health/readiness"))
					.timeout(Duration.ofSeconds(2))
					.build(), HttpResponse.BodyHandlers.ofString());
			return response.statusCode() == 200;
		}
		catch (IOException ex) {
			return false;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	private void awaitExit() {
		try {
			if (!this.process.waitFor(60, TimeUnit.SECONDS)) {
				throw new IllegalStateException(this.name + " did not exit");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static Path jar(String property) {
		String location = System.getProperty(property);
		if (location == null || !Files.isRegularFile(Path.of(location))) {
			throw new IllegalStateException(
					"no built jar at " + location + " (" + property + "); run the system tests through ./mvnw verify");
		}
		return Path.of(location);
	}

	static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
