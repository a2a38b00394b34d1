package io.warren.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * RabbitMQ PerfTest with the same parameters as {@link BrokerBaseline}, to check that the
 * harness's own client measures the broker fairly.
 */
final class PerfTestCrossCheck {

	private static final Pattern RECEIVING = Pattern.compile("receiving rate avg: (\\d+)");

	private PerfTestCrossCheck() {
	}

	/** Messages per second received over both queues, as PerfTest reports it. */
	static double measure(Options options, String queueType) throws Exception {
		String run = "warren-perftest-" + UUID.randomUUID().toString().substring(0, 8);
		List<String> command = new ArrayList<>(
				List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
						"benchmarks/target/perftest-lib/*", "com.rabbitmq.perf.PerfTest", "--uri",
						"amqp://guest:guest@" + options.rabbitHost() + ":" + options.rabbitPort(), "-x", "2", "-y", "2",
						"-s", "200", "-f", "persistent", "-c", "100", "-q", "250", "--queue-pattern", run + "-%d",
						"--queue-pattern-from", "1", "--queue-pattern-to", "2", "-z",
						String.valueOf(options.brokerSeconds() + 5), "--auto-delete", "true"));
		if (queueType.equals("quorum")) {
			command.add("--quorum-queue");
		}
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		double received = -1;
		try (BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
			String line;
			while ((line = output.readLine()) != null) {
				Matcher matcher = RECEIVING.matcher(line);
				if (matcher.find()) {
					received = Double.parseDouble(matcher.group(1));
				}
			}
		}
		if (process.waitFor() != 0 || received < 0) {
			throw new IllegalStateException("PerfTest failed or printed no receiving rate");
		}
		return received;
	}

}
