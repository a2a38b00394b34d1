package io.warren.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import org.HdrHistogram.Histogram;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One variant of Warren measured end to end: the built master and workers as processes on
 * the local broker, no-op {@code echo} tasks over HTTP, first at full speed (throughput,
 * CPU per task) then at a fixed rate (latency, submit to recorded), and every task
 * checked in the task store afterwards.
 */
final class WarrenRun {

	private static final JsonMapper json = JsonMapper.builder().build();

	private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

	/** What one variant measured. */
	record Result(Options.Variant variant, int workers, int fullTasks, double tasksPerSecond, Histogram latencyMicros,
			int rateTasks, int lost, int duplicates, int republished, int failedSubmissions,
			Map<String, Integer> failureReasons, Map<String, Double> cpuMicrosPerTask, List<String> profile,
			int batchTasks, double batchTasksPerSecond, int preloaded) {
	}

	/**
	 * What the store says of one phase's tasks: how many are missing or not
	 * {@code SUCCEEDED}, their duplicate executions, and when the last was recorded.
	 */
	private record Phase(int lost, int duplicates, Instant lastRecorded) {

		/**
		 * Checks each task against its record; records each task's latency from when it
		 * was due into {@code latency}, if given.
		 */
		static Phase check(List<LoadGenerator.Submitted> tasks, Map<String, JsonNode> records, Instant since,
				Histogram latency) {
			int lost = 0;
			int duplicates = 0;
			Instant last = since;
			for (LoadGenerator.Submitted task : tasks) {
				JsonNode record = records.get(task.id());
				if (record == null || !"SUCCEEDED".equals(record.get("status").asString())) {
					lost++;
					continue;
				}
				duplicates += record.get("duplicates").asInt();
				Instant recorded = Instant.parse(record.get("updatedAt").asString());
				last = recorded.isAfter(last) ? recorded : last;
				if (latency != null) {
					long micros = Duration.between(task.intended(), recorded).toNanos() / 1000;
					latency.recordValue(Math.max(0, Math.min(micros, latency.getHighestTrackableValue())));
				}
			}
			return new Phase(lost, duplicates, last);
		}

	}

	/** Tasks per batch request in the batch phase. */
	static final int BATCH_SIZE = 100;

	private final Options options;

	private final Options.Variant variant;

	private final String id = UUID.randomUUID().toString().substring(0, 8);

	/**
	 * The API key of this run's master and workers: the bench talks to them as anyone
	 * would.
	 */
	private final String apiKey = "bench-" + UUID.randomUUID();

	private final Path workDir;

	private final List<Process> processes = new ArrayList<>();

	private final Map<String, Long> pids = new LinkedHashMap<>();

	private String schema;

	private int port;

	private int preloaded;

	private WarrenRun(Options options, Options.Variant variant) {
		this.options = options;
		this.variant = variant;
		this.workDir = options.root().resolve(Path.of("benchmarks", "target", "runs", this.id));
	}

	static Result run(Options options, Options.Variant variant) throws Exception {
		WarrenRun run = new WarrenRun(options, variant);
		try {
			return run.measure();
		}
		finally {
			run.stopAndClean();
		}
	}

	private Result measure() throws Exception {
		Files.createDirectories(this.workDir);
		startServices();
		try (LoadGenerator load = new LoadGenerator(this.port, this.apiKey)) {
			log("warming up");
			load.fullSpeed(this.options.warmUpSeconds(), this.options.concurrency());
			awaitRecorded(load, Duration.ofMinutes(3));

			log("full speed for " + this.options.fullSeconds() + " s, " + this.options.concurrency() + " in flight");
			Map<String, Double> cpuBefore = CpuMeter.snapshot(this.pids);
			startProfile();
			Instant firstSubmit = Instant.now();
			List<LoadGenerator.Submitted> full = load.fullSpeed(this.options.fullSeconds(), this.options.concurrency());
			awaitRecorded(load, Duration.ofMinutes(5));
			List<String> profile = stopProfile();
			Map<String, Double> cpuAfter = CpuMeter.snapshot(this.pids);

			log("fixed rate " + this.options.rate() + "/s for " + this.options.rateSeconds() + " s");
			List<LoadGenerator.Submitted> paced = load.fixedRate(this.options.rate(), this.options.rateSeconds());
			awaitRecorded(load, Duration.ofMinutes(5));

			log("batches of " + BATCH_SIZE + " for " + this.options.fullSeconds() + " s, "
					+ Math.max(1, this.options.concurrency() / 8) + " requests in flight");
			Instant firstBatch = Instant.now();
			List<LoadGenerator.Submitted> batched = load.batches(this.options.fullSeconds(),
					Math.max(1, this.options.concurrency() / 8), BATCH_SIZE);
			awaitRecorded(load, Duration.ofMinutes(5));

			int republished = (int) meter("warren_relay_republished_total");
			if (this.preloaded > 0) {
				requirePreloadedListed();
			}
			log("checking every task in the store");
			Map<String, JsonNode> records = allTasks();
			Phase fullPhase = Phase.check(full, records, firstSubmit, null);
			Histogram latency = new Histogram(TimeUnit.MINUTES.toMicros(10), 3);
			Phase pacedPhase = Phase.check(paced, records, firstSubmit, latency);
			Phase batchPhase = Phase.check(batched, records, firstBatch, null);
			int lost = fullPhase.lost() + pacedPhase.lost() + batchPhase.lost();
			int duplicates = fullPhase.duplicates() + pacedPhase.duplicates() + batchPhase.duplicates();
			Instant lastRecorded = fullPhase.lastRecorded();
			Instant lastBatchRecorded = batchPhase.lastRecorded();
			double batchSeconds = Duration.between(firstBatch, lastBatchRecorded).toNanos() / 1e9;
			double seconds = Duration.between(firstSubmit, lastRecorded).toNanos() / 1e9;
			Map<String, Double> cpuPerTask = new LinkedHashMap<>();
			cpuAfter.forEach((name, after) -> {
				Double before = cpuBefore.get(name);
				if (before != null && !full.isEmpty()) {
					cpuPerTask.put(name, (after - before) * 1e6 / full.size());
				}
			});
			return new Result(this.variant, this.options.workers(), full.size(), full.size() / seconds, latency,
					paced.size(), lost, duplicates, republished, load.failures(), load.failureReasons(), cpuPerTask,
					profile, batched.size(), batched.isEmpty() ? 0 : batched.size() / batchSeconds, this.preloaded);
		}
	}

	private void startServices() throws Exception {
		this.port = freePort();
		List<String> common = new ArrayList<>(List.of("--spring.rabbitmq.host=" + this.options.rabbitHost(),
				"--spring.rabbitmq.port=" + this.options.rabbitPort(), "--warren.topology.prefix=" + prefix(),
				"--warren.topology.default-queue-type=" + this.variant.queueType(), "--logging.level.root=WARN",
				"--warren.security.api-keys=" + this.apiKey));
		List<String> master = new ArrayList<>(common);
		master.add("--server.port=" + this.port);
		if (this.variant.store().equals("postgresql")) {
			this.schema = "bench_" + this.id;
			sql("CREATE SCHEMA " + this.schema);
			master.add("--spring.datasource.url=" + this.options.postgresUrl() + "?currentSchema=" + this.schema);
			master.add("--spring.datasource.username=postgres");
			master.add("--spring.datasource.password=");
			master.add("--spring.flyway.schemas=" + this.schema);
		}
		if (this.variant.preload() > 0) {
			preload(master);
		}
		start("master", jar(this.options.root(), "master-service"), master);
		List<Integer> workerPorts = new ArrayList<>();
		for (int i = 1; i <= this.options.workers(); i++) {
			int workerPort = freePort();
			workerPorts.add(workerPort);
			List<String> worker = new ArrayList<>(common);
			worker.add("--server.port=" + workerPort);
			worker.add("--warren.worker.id=bench-worker-" + i);
			start("worker-" + i, jar(this.options.root(), "worker-service"), worker);
		}
		awaitHealthy(this.port);
		for (int workerPort : workerPorts) {
			awaitHealthy(workerPort);
		}
		Long broker = CpuMeter.brokerPid();
		if (broker != null) {
			this.pids.put("broker", broker);
		}
		// the harness's own JVM: the HTTP load generator (and the harness's polling)
		this.pids.put("load", ProcessHandle.current().pid());
	}

	/**
	 * Starts the master once so that it creates its schema, stops it, and fills its store
	 * with finished tasks.
	 */
	private void preload(List<String> arguments) throws Exception {
		Process master = start("master", jar(this.options.root(), "master-service"), arguments);
		awaitHealthy(this.port);
		master.destroy();
		if (!master.waitFor(60, TimeUnit.SECONDS)) {
			throw new IllegalStateException("the master did not stop; logs in " + this.workDir);
		}
		this.processes.remove(master);
		log("preloading " + this.variant.preload() + " finished tasks");
		long started = System.nanoTime();
		this.preloaded = (this.schema != null)
				? Preload.fill(
						this.options.postgresUrl() + "?currentSchema=" + this.schema + "&reWriteBatchedInserts=true",
						"postgres", this.variant.preload())
				: Preload.fill("jdbc:h2:file:" + this.workDir.resolve("data/warren"), "sa", this.variant.preload());
		log(String.format("preloaded %d in %.0f s", this.preloaded, (System.nanoTime() - started) / 1e9));
	}

	/** The master reads the preloaded history: it lists it under its type. */
	private void requirePreloadedListed() throws Exception {
		String uri = "http://localhost:" + this.port + "/api/v1/tasks?limit=1&type=" + Preload.TYPE;
		JsonNode page = json
			.readTree(http.send(authorized(URI.create(uri)).build(), HttpResponse.BodyHandlers.ofString()).body());
		if (page.get("items").size() != 1 || !"SUCCEEDED".equals(page.get("items").get(0).get("status").asString())) {
			throw new IllegalStateException("the master does not list the preloaded tasks: " + page);
		}
	}

	private Process start(String name, Path jar, List<String> arguments) throws IOException {
		List<String> command = new ArrayList<>(List
			.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g", "-jar", jar.toString()));
		command.addAll(arguments);
		Process process = new ProcessBuilder(command).directory(this.workDir.toFile())
			.redirectErrorStream(true)
			.redirectOutput(this.workDir.resolve(name + ".log").toFile())
			.start();
		this.processes.add(process);
		this.pids.put(name, process.pid());
		return process;
	}

	private void awaitRecorded(LoadGenerator load, Duration limit) throws Exception {
		long deadline = System.nanoTime() + limit.toNanos();
		double target = -1;
		while (System.nanoTime() < deadline) {
			double submitted = meter("warren_tasks_submitted_total");
			double completed = meter("warren_tasks_completed_total");
			if (target < 0) {
				target = submitted;
			}
			if (completed >= target) {
				return;
			}
			TimeUnit.MILLISECONDS.sleep(100);
		}
		throw new IllegalStateException("tasks not all recorded within " + limit + "; logs in " + this.workDir);
	}

	private double meter(String name) throws Exception {
		String text = http
			.send(authorized(URI.create("http://localhost:" + this.port + "/actuator/prometheus")).build(),
					HttpResponse.BodyHandlers.ofString())
			.body();
		double sum = 0;
		for (String line : text.split("\n")) {
			if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
				sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
			}
		}
		return sum;
	}

	private Map<String, JsonNode> allTasks() throws Exception {
		Map<String, JsonNode> records = new HashMap<>();
		String after = null;
		do {
			String uri = "http://localhost:" + this.port + "/api/v1/tasks?limit=500"
					+ ((after != null) ? "&after=" + after : "");
			JsonNode page = json
				.readTree(http.send(authorized(URI.create(uri)).build(), HttpResponse.BodyHandlers.ofString()).body());
			for (JsonNode item : page.get("items")) {
				if (records.put(item.get("id").asString(), item) != null) {
					throw new IllegalStateException("task " + item.get("id") + " listed twice");
				}
			}
			after = page.get("next").isNull() ? null : page.get("next").asString();
		}
		while (after != null);
		return records;
	}

	/** The processes recorded with {@code --profile}: the master and the first worker. */
	private static final List<String> PROFILED = List.of("master", "worker-1");

	private void startProfile() throws Exception {
		if (this.options.profile()) {
			for (String process : PROFILED) {
				jcmd(process, "JFR.start", "name=bench", "settings=profile");
			}
		}
	}

	private List<String> stopProfile() throws Exception {
		if (!this.options.profile()) {
			return List.of();
		}
		List<String> lines = new ArrayList<>();
		for (String process : PROFILED) {
			Path recording = this.workDir.resolve(process + ".jfr");
			jcmd(process, "JFR.stop", "name=bench", "filename=" + recording);
			lines.addAll(CpuProfile.summarize(recording, process));
		}
		return lines;
	}

	private void jcmd(String process, String... command) throws Exception {
		List<String> line = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
				String.valueOf(this.pids.get(process))));
		line.addAll(List.of(command));
		Process jcmd = new ProcessBuilder(line).redirectErrorStream(true).start();
		String output = new String(jcmd.getInputStream().readAllBytes());
		if (jcmd.waitFor() != 0) {
			throw new IllegalStateException("jcmd failed: " + output);
		}
	}

	private void stopAndClean() {
		for (Process process : this.processes) {
			process.destroy();
		}
		for (Process process : this.processes) {
			try {
				if (!process.waitFor(30, TimeUnit.SECONDS)) {
					process.destroyForcibly();
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		deleteBrokerObjects();
		if (this.schema != null) {
			try {
				sql("DROP SCHEMA IF EXISTS " + this.schema + " CASCADE");
			}
			catch (SQLException ex) {
				log("could not drop schema " + this.schema + ": " + ex.getMessage());
			}
		}
	}

	private void deleteBrokerObjects() {
		ConnectionFactory factory = new ConnectionFactory();
		factory.setHost(this.options.rabbitHost());
		factory.setPort(this.options.rabbitPort());
		String base = prefix() + "warren.v1.";
		try (com.rabbitmq.client.Connection connection = factory.newConnection("bench-cleanup")) {
			for (String queue : List.of("task.echo", "task.sleep", "task.fail", "task." + Preload.TYPE, "replies",
					"dead-letters", "parked")) {
				try (Channel channel = connection.createChannel()) {
					channel.queueDelete(base + queue);
				}
			}
			for (String exchange : List.of("tasks", "results", "dead-letter")) {
				try (Channel channel = connection.createChannel()) {
					channel.exchangeDelete(base + exchange);
				}
			}
		}
		catch (Exception ex) {
			log("could not delete the broker objects under " + prefix() + ": " + ex.getMessage());
		}
	}

	private void sql(String statement) throws SQLException {
		try (Connection connection = DriverManager.getConnection(this.options.postgresUrl(), "postgres", "")) {
			connection.createStatement().execute(statement);
		}
	}

	private String prefix() {
		return "bench-" + this.id + ".";
	}

	/** A request to the master with this run's API key. */
	private HttpRequest.Builder authorized(URI uri) {
		return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + this.apiKey);
	}

	private void awaitHealthy(int healthPort) throws Exception {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
		while (System.nanoTime() < deadline) {
			for (Process process : this.processes) {
				if (!process.isAlive()) {
					throw new IllegalStateException("a Warren process exited at start-up; logs in " + this.workDir);
				}
			}
			try {
				HttpResponse<String> response = http.send(HttpRequest
					.newBuilder(URI.create("http://localhost:" + healthPort + "/actuator/health/readiness"))
					.build(), HttpResponse.BodyHandlers.ofString());
				if (response.statusCode() == 200) {
					return;
				}
			}
			catch (IOException ex) {
				// not listening yet
			}
			TimeUnit.MILLISECONDS.sleep(250);
		}
		throw new IllegalStateException("Warren did not become healthy; logs in " + this.workDir);
	}

	private static Path jar(Path root, String module) throws IOException {
		try (var files = Files.list(root.resolve(Path.of(module, "target")))) {
			return files.filter((file) -> file.getFileName().toString().endsWith("-exec.jar"))
				.findFirst()
				.orElseThrow(() -> new IllegalStateException("no built jar in " + module + "/target"))
				.toAbsolutePath();
		}
	}

	private static int freePort() throws IOException {
		try (var socket = new java.net.ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	private void log(String message) {
		System.err.println("[bench " + this.variant + "] " + message);
	}

}
