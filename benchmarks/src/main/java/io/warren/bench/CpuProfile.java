package io.warren.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a JVM's CPU went, from the execution samples of a JFR recording: each sample is
 * charged to the first frame from the top that belongs to a library, not the JDK, so that
 * socket writes land on the client that made them.
 */
final class CpuProfile {

	private static final Map<String, String> LIBRARIES = new LinkedHashMap<>();

	static {
		LIBRARIES.put("io.warren.", "Warren code");
		LIBRARIES.put("org.h2.", "H2 database");
		LIBRARIES.put("org.postgresql.", "PostgreSQL driver");
		LIBRARIES.put("com.zaxxer.hikari.", "connection pool");
		LIBRARIES.put("com.rabbitmq.", "RabbitMQ client");
		LIBRARIES.put("org.springframework.amqp.", "Spring AMQP");
		LIBRARIES.put("org.springframework.jdbc.", "Spring JDBC / transactions");
		LIBRARIES.put("org.springframework.transaction.", "Spring JDBC / transactions");
		LIBRARIES.put("org.springframework.web.", "Spring MVC");
		LIBRARIES.put("org.springframework.http.", "Spring MVC");
		LIBRARIES.put("org.apache.", "Tomcat (HTTP)");
		LIBRARIES.put("tools.jackson.", "Jackson (JSON)");
		LIBRARIES.put("io.micrometer.", "Micrometer");
		LIBRARIES.put("ch.qos.logback.", "logging");
		LIBRARIES.put("org.slf4j.", "logging");
		LIBRARIES.put("org.springframework.", "Spring (other)");
	}

	private CpuProfile() {
	}

	/** Lines "share% where" for the biggest consumers, then the hottest methods. */
	static List<String> summarize(Path recording, String process) throws IOException {
		Map<String, Integer> byLibrary = new HashMap<>();
		Map<String, Integer> byMethod = new HashMap<>();
		int samples = 0;
		for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
			if (!event.getEventType().getName().equals("jdk.ExecutionSample") || event.getStackTrace() == null) {
				continue;
			}
			List<RecordedFrame> frames = event.getStackTrace().getFrames();
			if (frames.isEmpty()) {
				continue;
			}
			samples++;
			byLibrary.merge(library(frames), 1, Integer::sum);
			RecordedFrame top = frames.get(0);
			byMethod.merge(top.getMethod().getType().getName() + "." + top.getMethod().getName(), 1, Integer::sum);
		}
		List<String> lines = new ArrayList<>();
		lines.add(samples + " CPU samples of the " + process + "; by the first library frame from the top:");
		int total = Math.max(1, samples);
		byLibrary.entrySet()
			.stream()
			.sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
			.forEach((e) -> lines.add(String.format("  %5.1f %%  %s", 100.0 * e.getValue() / total, e.getKey())));
		lines.add("hottest methods (top frame):");
		byMethod.entrySet()
			.stream()
			.sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
			.limit(12)
			.forEach((e) -> lines.add(String.format("  %5.1f %%  %s", 100.0 * e.getValue() / total, e.getKey())));
		return lines;
	}

	private static String library(List<RecordedFrame> frames) {
		for (RecordedFrame frame : frames) {
			String type = frame.getMethod().getType().getName();
			for (Map.Entry<String, String> library : LIBRARIES.entrySet()) {
				if (type.startsWith(library.getKey())) {
					return library.getValue();
				}
			}
		}
		return "JDK only (GC, JIT, threads)";
	}

}
