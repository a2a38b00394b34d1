package io.warren.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code --peers}: Celery on the same broker in the same run, Debian's
 * {@code python3-celery}, as benchmarks/peers/celery_bench.py configures it (late acks,
 * publisher confirms, persistent results through the rpc backend). Two workers with four
 * pool processes each (Celery's default prefork pool; its thread pool stalled here with
 * results over the rpc backend), like Warren's two workers of four handler threads; four
 * producer processes publishing no-op tasks for the full-speed time, each then waiting
 * for all of its results. Throughput = tasks ÷ (last result received − first publish).
 */
final class CeleryPeer {

	/** What the Celery run measured. */
	record Result(int tasks, double tasksPerSecond, Map<String, Double> cpuMicrosPerTask) {
	}

	static final String PYTHON = "/usr/bin/python3";

	private static final int WORKERS = 2;

	private static final int PRODUCERS = 4;

	private static final JsonMapper json = JsonMapper.builder().build();

	private CeleryPeer() {
	}

	/** Null if Celery can be run here, else how to install it. */
	static String missing() {
		try {
			Process check = new ProcessBuilder(PYTHON, "-c", "import celery").redirectErrorStream(true).start();
			check.getInputStream().readAllBytes();
			if (check.waitFor() == 0) {
				return null;
			}
		}
		catch (IOException ex) {
			// no python3 at all
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		return "--peers runs Celery from Debian's python3-celery, which is missing here: "
				+ "sudo apt-get install python3-celery";
	}

	static Result measure(Options options) throws Exception {
		String id = UUID.randomUUID().toString().substring(0, 8);
		String queue = "bench-celery-" + id;
		Path dir = options.root().resolve(Path.of("benchmarks", "peers"));
		Path logs = options.root().resolve(Path.of("benchmarks", "target", "runs", "celery-" + id));
		Files.createDirectories(logs);
		Map<String, String> env = Map.of("WARREN_BENCH_CELERY_QUEUE", queue, "WARREN_BENCH_CELERY_BROKER",
				"amqp://guest:guest@" + options.rabbitHost() + ":" + options.rabbitPort() + "//", "PYTHONPATH",
				dir.toString());
		List<Process> workers = new ArrayList<>();
		Map<String, Long> pids = new LinkedHashMap<>();
		try {
			for (int i = 1; i <= WORKERS; i++) {
				ProcessBuilder builder = new ProcessBuilder(PYTHON, "-m", "celery", "-A", "celery_bench", "worker",
						"--pool", "prefork", "--concurrency", "4", "--loglevel", "WARNING", "--without-mingle",
						"--without-gossip", "--without-heartbeat", "-n", "celery-" + i + "-" + id + "@localhost")
					.directory(dir.toFile())
					.redirectErrorStream(true)
					.redirectOutput(logs.resolve("worker-" + i + ".log").toFile());
				builder.environment().putAll(env);
				Process worker = builder.start();
				workers.add(worker);
				pids.put("worker-" + i, worker.pid());
			}
			awaitConsumers(options, queue, WORKERS, workers);
			Long broker = CpuMeter.brokerPid();
			if (broker != null) {
				pids.put("broker", broker);
			}
			log("warming up");
			produce(options.warmUpSeconds(), dir, env, logs);
			log("full speed for " + options.fullSeconds() + " s, " + PRODUCERS + " producers");
			Map<String, Double> before = CpuMeter.snapshotTrees(pids);
			List<JsonNode> producers = produce(options.fullSeconds(), dir, env, logs);
			Map<String, Double> after = CpuMeter.snapshotTrees(pids);
			int tasks = producers.stream().mapToInt((p) -> p.get("tasks").asInt()).sum();
			double first = producers.stream().mapToDouble((p) -> p.get("started").asDouble()).min().orElse(0);
			double last = producers.stream().mapToDouble((p) -> p.get("finished").asDouble()).max().orElse(0);
			Map<String, Double> cpu = new LinkedHashMap<>();
			after.forEach((name, seconds) -> cpu.put(name, (seconds - before.get(name)) * 1e6 / tasks));
			cpu.put("producers",
					producers.stream().mapToDouble((p) -> p.get("cpu_seconds").asDouble()).sum() * 1e6 / tasks);
			return new Result(tasks, tasks / (last - first), cpu);
		}
		finally {
			for (Process worker : workers) {
				worker.destroy();
			}
			for (Process worker : workers) {
				if (!worker.waitFor(30, TimeUnit.SECONDS)) {
					worker.destroyForcibly();
				}
			}
			deleteBrokerObjects(options, queue);
		}
	}

	private static List<JsonNode> produce(int seconds, Path dir, Map<String, String> env, Path logs) throws Exception {
		List<Process> producers = new ArrayList<>();
		for (int i = 1; i <= PRODUCERS; i++) {
			ProcessBuilder builder = new ProcessBuilder(PYTHON, "celery_bench.py", "produce", String.valueOf(seconds))
				.directory(dir.toFile())
				.redirectError(logs.resolve("producer-" + i + ".log").toFile());
			builder.environment().putAll(env);
			producers.add(builder.start());
		}
		List<JsonNode> results = new ArrayList<>();
		for (Process producer : producers) {
			String output = new String(producer.getInputStream().readAllBytes()).trim();
			if (producer.waitFor() != 0 || output.isEmpty()) {
				throw new IllegalStateException("a Celery producer failed; logs in " + logs);
			}
			results.add(json.readTree(output.substring(output.lastIndexOf('\n') + 1)));
		}
		return results;
	}

	private static void awaitConsumers(Options options, String queue, int expected, List<Process> workers)
			throws Exception {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
		while (System.nanoTime() < deadline) {
			for (Process worker : workers) {
				if (!worker.isAlive()) {
					throw new IllegalStateException("a Celery worker exited at start-up");
				}
			}
			try (com.rabbitmq.client.Connection connection = factory(options).newConnection("bench-celery");
					Channel channel = connection.createChannel()) {
				if (channel.queueDeclarePassive(queue).getConsumerCount() >= expected) {
					return;
				}
			}
			catch (IOException ex) {
				// the queue is not declared yet
			}
			TimeUnit.MILLISECONDS.sleep(250);
		}
		throw new IllegalStateException("the Celery workers did not start consuming within 60 s");
	}

	private static void deleteBrokerObjects(Options options, String queue) {
		try (com.rabbitmq.client.Connection connection = factory(options).newConnection("bench-celery-cleanup")) {
			try (Channel channel = connection.createChannel()) {
				channel.queueDelete(queue);
			}
			try (Channel channel = connection.createChannel()) {
				channel.exchangeDelete(queue);
			}
		}
		catch (Exception ex) {
			log("could not delete " + queue + ": " + ex.getMessage());
		}
	}

	private static ConnectionFactory factory(Options options) {
		ConnectionFactory factory = new ConnectionFactory();
		factory.setHost(options.rabbitHost());
		factory.setPort(options.rabbitPort());
		return factory;
	}

	private static void log(String message) {
		System.err.println("[bench celery] " + message);
	}

}
