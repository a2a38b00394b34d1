package io.warren.bench;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * scripts/bench.sh: the bare broker's task round trip and Warren end to end, measured on
 * this machine in one run. Prints a table, then as its last line one JSON object for the
 * reported variant. Exits 1 if any task that got a 202 was lost (a task listed twice in
 * the store aborts the run).
 */
public final class Bench {

	private Bench() {
	}

	public static void main(String[] args) throws Exception {
		Locale.setDefault(Locale.ROOT);
		if (java.util.Arrays.asList(args).contains("--help")) {
			System.out.println(Options.usage());
			return;
		}
		Options options;
		try {
			options = Options.parse(args);
		}
		catch (IllegalArgumentException ex) {
			System.err.println(ex.getMessage());
			System.exit(2);
			return;
		}
		if (options.peers() && CeleryPeer.missing() != null) {
			System.err.println(CeleryPeer.missing());
			System.exit(2);
			return;
		}
		Map<String, BrokerBaseline.Result> baselines = new LinkedHashMap<>();
		Map<String, Double> perfTest = new LinkedHashMap<>();
		for (Options.Variant variant : options.variants()) {
			String queueType = variant.queueType();
			if (!baselines.containsKey(queueType)) {
				System.err.println("[bench] bare broker, " + queueType + " queues, " + options.brokerSeconds() + " s");
				baselines.put(queueType, BrokerBaseline.measure(options, queueType));
				if (options.perfTest()) {
					System.err.println("[bench] RabbitMQ PerfTest, " + queueType + " queues");
					perfTest.put(queueType, PerfTestCrossCheck.measure(options, queueType));
				}
			}
		}
		List<WarrenRun.Result> results = new ArrayList<>();
		for (Options.Variant variant : options.variants()) {
			results.add(WarrenRun.run(options, variant));
		}
		CeleryPeer.Result celery = null;
		if (options.peers()) {
			celery = CeleryPeer.measure(options);
		}
		print(options, baselines, perfTest, results, celery);
		// a submission without a 202 is not a lost task: its client knows it was not
		// accepted
		boolean lost = results.stream().anyMatch((r) -> r.lost() > 0);
		System.exit(lost ? 1 : 0);
	}

	private static void print(Options options, Map<String, BrokerBaseline.Result> baselines,
			Map<String, Double> perfTest, List<WarrenRun.Result> results, CeleryPeer.Result celery) {
		System.out.println();
		System.out.printf("Warren benchmark, %s, %d cores, Java %s%n", LocalDate.now(),
				Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
		System.out.println();
		System.out.println("Bare broker: 2 queues x (1 publisher, confirms 100 in flight, 200-byte persistent;"
				+ " 1 consumer, manual acks, prefetch 250)");
		System.out.printf("  %-8s %14s %16s %18s%n", "queues", "messages/s", "round trips/s", "PerfTest msg/s");
		baselines.forEach((type, result) -> System.out.printf("  %-8s %14.0f %16.0f %18s%n", type,
				result.messagesPerSecond(), result.roundTripsPerSecond(),
				perfTest.containsKey(type) ? String.format("%.0f", perfTest.get(type)) : "-"));
		System.out.println();
		System.out.println("Warren end to end: echo tasks over HTTP, submit to result recorded in the store");
		System.out.printf("  %-20s %7s %8s %10s %7s %10s %7s %8s %8s %8s %8s %6s %5s %6s%n", "store/queues", "workers",
				"tasks", "tasks/s", "ratio", "batch/s", "ratio", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "lost",
				"dups", "relay");
		for (WarrenRun.Result r : results) {
			double broker = baselines.get(r.variant().queueType()).roundTripsPerSecond();
			System.out.printf("  %-20s %7d %8d %10.0f %7.3f %10.0f %7.3f %8.1f %8.1f %8.1f %8.1f %6d %5d %6d%n",
					r.variant(), r.workers(), r.fullTasks(), r.tasksPerSecond(), r.tasksPerSecond() / broker,
					r.batchTasksPerSecond(), r.batchTasksPerSecond() / broker, ms(r, 50), ms(r, 99), ms(r, 99.9),
					r.latencyMicros().getMaxValue() / 1000.0, r.lost(), r.duplicates(), r.republished());
		}
		for (WarrenRun.Result r : results) {
			if (r.failedSubmissions() > 0) {
				System.out.printf("  %s: %d submissions got no 202: %s%n", r.variant(), r.failedSubmissions(),
						r.failureReasons());
			}
		}
		System.out
			.println("  (dups: duplicate executions detected and counted; relay: tasks the relay published again)");
		System.out.printf(
				"  (latency at a fixed %d tasks/s for %d s, open loop; throughput at full speed with %d "
						+ "requests in flight, one task each; batch/s with %d requests of %d tasks in flight)%n",
				options.rate(), options.rateSeconds(), options.concurrency(), Math.max(1, options.concurrency() / 8),
				WarrenRun.BATCH_SIZE);
		System.out.println();
		System.out.println("CPU per task at full speed (microseconds of CPU time per task, by process)");
		for (WarrenRun.Result r : results) {
			StringBuilder line = new StringBuilder(String.format("  %-20s", r.variant()));
			double total = 0;
			for (Map.Entry<String, Double> entry : r.cpuMicrosPerTask().entrySet()) {
				line.append(String.format(" %s %.0f", entry.getKey(), entry.getValue()));
				total += entry.getValue();
			}
			System.out.println(line.append(String.format("  total %.0f", total)));
		}
		if (celery != null) {
			System.out.println();
			System.out.println("Celery " + celeryVersion() + " on the same broker (classic queue; late acks, publisher "
					+ "confirms, persistent results over the rpc backend; 2 workers x 4 pool processes, 4 producers):");
			double classic = baselines.containsKey("classic") ? baselines.get("classic").roundTripsPerSecond()
					: baselines.values().iterator().next().roundTripsPerSecond();
			System.out.printf("  %d tasks, %.0f tasks/s, ratio %.3f%n", celery.tasks(), celery.tasksPerSecond(),
					celery.tasksPerSecond() / classic);
			StringBuilder line = new StringBuilder("  CPU per task:");
			double total = 0;
			for (Map.Entry<String, Double> entry : celery.cpuMicrosPerTask().entrySet()) {
				line.append(String.format(" %s %.0f", entry.getKey(), entry.getValue()));
				total += entry.getValue();
			}
			System.out.println(line.append(String.format("  total %.0f", total)));
		}
		for (WarrenRun.Result r : results) {
			if (!r.profile().isEmpty()) {
				System.out.println();
				System.out.println("Profiles, " + r.variant() + ", full-speed phase (JFR):");
				r.profile().forEach(System.out::println);
			}
		}
		WarrenRun.Result reported = results.get(0);
		double broker = baselines.get(reported.variant().queueType()).roundTripsPerSecond();
		System.out.println();
		Map<String, Double> cpu = reported.cpuMicrosPerTask();
		double workersCpu = cpu.entrySet()
			.stream()
			.filter((entry) -> entry.getKey().startsWith("worker"))
			.mapToDouble(Map.Entry::getValue)
			.sum();
		StringBuilder extra = new StringBuilder();
		if (celery != null) {
			extra.append(String.format(",\"celery_tasks_per_s\":%.1f", celery.tasksPerSecond()));
		}
		results.stream().filter((r) -> r.variant().preload() > 0).findFirst().ifPresent((preloaded) -> {
			WarrenRun.Result empty = results.stream()
				.filter((r) -> r.variant()
					.equals(new Options.Variant(preloaded.variant().store(), preloaded.variant().queueType())))
				.findFirst()
				.orElseThrow();
			extra.append(String.format(
					",\"preload\":%d,\"preload_tasks_per_s\":%.1f,\"preload_vs_empty\":%.3f,"
							+ "\"preload_batch_vs_empty\":%.3f",
					preloaded.variant().preload(), preloaded.tasksPerSecond(),
					preloaded.tasksPerSecond() / empty.tasksPerSecond(),
					preloaded.batchTasksPerSecond() / empty.batchTasksPerSecond()));
		});
		System.out.printf("{\"e2e_tasks_per_s\":%.1f,\"broker_round_trips_per_s\":%.1f,\"ratio\":%.4f,"
				+ "\"batch_tasks_per_s\":%.1f,\"batch_ratio\":%.4f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"duplicates\":%d,"
				+ "\"master_cpu_us_per_task\":%.0f,\"worker_cpu_us_per_task\":%.0f,\"broker_cpu_us_per_task\":%.0f,"
				+ "\"load_cpu_us_per_task\":%.0f%s,\"store\":\"%s\",\"queue_type\":\"%s\",\"workers\":%d,"
				+ "\"date\":\"%s\"}%n", reported.tasksPerSecond(), broker, reported.tasksPerSecond() / broker,
				reported.batchTasksPerSecond(), reported.batchTasksPerSecond() / broker, ms(reported, 50),
				ms(reported, 99), results.stream().mapToInt(WarrenRun.Result::duplicates).sum(),
				cpu.getOrDefault("master", 0.0), workersCpu, cpu.getOrDefault("broker", 0.0),
				cpu.getOrDefault("load", 0.0), extra, reported.variant().store(), reported.variant().queueType(),
				reported.workers(), LocalDate.now());
	}

	private static String celeryVersion() {
		try {
			Process version = new ProcessBuilder(CeleryPeer.PYTHON, "-c", "import celery; print(celery.__version__)")
				.start();
			String text = new String(version.getInputStream().readAllBytes()).trim();
			version.waitFor();
			return text;
		}
		catch (Exception ex) {
			return "(version unknown)";
		}
	}

	private static double ms(WarrenRun.Result result, double percentile) {
		return result.latencyMicros().getValueAtPercentile(percentile) / 1000.0;
	}

}
