package io.warren.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.convert.DurationStyle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * docker-compose.yml, the Dockerfile, Prometheus and Grafana files, checked without a
 * Docker engine: what {@code docker compose up --scale worker=N} needs of them, and
 * {@code docker compose config} where a Compose binary is installed.
 */
class DeploymentFilesTests {

	private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

	/**
	 * Time a stopping worker takes besides the drain: at most 3 s for the confirms of the
	 * results it already sent, then 3 s to hand back unfinished tasks and exit.
	 */
	private static final Duration BESIDES_THE_DRAIN = Duration.ofSeconds(6);

	private final Map<String, Object> compose = yaml("docker-compose.yml");

	@Test
	void composeRunsBrokerDatabaseMasterWorkersAndMonitoring() {
		assertThat(services()).containsKeys("rabbitmq", "postgres", "master", "worker", "prometheus", "grafana");
		Map<String, Object> master = service("master");
		assertThat(environment(master)).containsEntry("SPRING_DATASOURCE_URL",
				"jdbc:postgresql://postgres:5432/warren");
		assertThat(map(master.get("depends_on"))).containsOnlyKeys("rabbitmq", "postgres");
		assertThat(map(service("worker").get("depends_on"))).containsKey("rabbitmq");
		for (String name : List.of("master", "worker")) {
			map(service(name).get("depends_on"))
				.forEach((dependency, condition) -> assertThat(map(condition)).as("%s waits for %s", name, dependency)
					.containsEntry("condition", "service_healthy"));
		}
		for (String name : List.of("rabbitmq", "postgres", "master", "worker")) {
			assertThat(service(name)).as("%s has a health check", name).containsKey("healthcheck");
		}
	}

	@Test
	void workersCanBeScaledAndAreNeverKilledWhileDraining() {
		Map<String, Object> worker = service("worker");
		assertThat(worker).as("a fixed name or host port would stop --scale")
			.doesNotContainKeys("container_name", "ports", "hostname");
		Duration drain = DurationStyle.detectAndParse(environment(worker).get("WARREN_WORKER_DRAINTIMEOUT"));
		Duration grace = DurationStyle.detectAndParse((String) worker.get("stop_grace_period"));
		assertThat(grace).as("stop grace period against drain time, acks and hand-back")
			.isGreaterThan(drain.plus(BESIDES_THE_DRAIN));
	}

	@Test
	void brokerRunsWithItsOwnUserAndTheManagementAndPrometheusPlugins() throws IOException {
		List<String> values = new ArrayList<>();
		collectStrings(this.compose, values);
		assertThat(values).as("no service uses the guest user").noneMatch((value) -> value.equalsIgnoreCase("guest"));
		Map<String, String> broker = environment(service("rabbitmq"));
		assertThat(broker.get("RABBITMQ_DEFAULT_USER")).isEqualTo("warren");
		assertThat(environment(service("master")).get("SPRING_RABBITMQ_USERNAME")).isEqualTo("warren");
		assertThat(environment(service("worker")).get("SPRING_RABBITMQ_USERNAME")).isEqualTo("warren");
		assertThat(Files.readString(ROOT.resolve("docker/rabbitmq/enabled_plugins"))).contains("rabbitmq_management",
				"rabbitmq_prometheus");
		assertThat(list(service("rabbitmq").get("volumes"))).anyMatch((volume) -> volume.toString()
			.startsWith("./docker/rabbitmq/enabled_plugins:/etc/rabbitmq/enabled_plugins"));
	}

	@Test
	void imageIsMultiStageWithBootsLayerTools() throws IOException {
		String dockerfile = Files.readString(ROOT.resolve("docker/Dockerfile"));
		assertThat(dockerfile.lines().filter((line) -> line.startsWith("FROM "))).hasSizeGreaterThanOrEqualTo(2);
		assertThat(dockerfile).contains("-Djarmode=tools", "extract --layers --launcher")
			.contains("org.springframework.boot.loader.launch.JarLauncher")
			.doesNotContain("layertools");
		for (String service : List.of("master", "worker")) {
			Map<String, Object> build = map(service(service).get("build"));
			assertThat(build).containsEntry("dockerfile", "docker/Dockerfile");
			assertThat(Files.isDirectory(ROOT.resolve(map(build.get("args")).get("SERVICE").toString()))).isTrue();
		}
	}

	@Test
	void prometheusFindsEveryWorkerThroughDns() {
		Map<String, Object> prometheus = yaml("docker/prometheus/prometheus.yml");
		Map<String, Object> workers = list(prometheus.get("scrape_configs")).stream()
			.map(DeploymentFilesTests::map)
			.filter((job) -> job.get("job_name").equals("warren-worker"))
			.findFirst()
			.orElseThrow();
		assertThat(workers).containsEntry("metrics_path", "/actuator/prometheus");
		Map<String, Object> discovery = map(list(workers.get("dns_sd_configs")).get(0));
		assertThat(list(discovery.get("names"))).containsExactly("worker");
		assertThat(discovery).containsEntry("port", 8081);
	}

	@Test
	void servicesAndPrometheusShareTheApiKeySecretAndListenInTheirContainers() throws IOException {
		String secret = "warren.security.api-keys";
		assertThat(map(map(this.compose.get("secrets")).get(secret))).containsEntry("file", "./warren-api-key");
		for (String name : List.of("master", "worker", "prometheus")) {
			assertThat(list(service(name).get("secrets"))).as(name).containsExactly(secret);
		}
		for (String name : List.of("master", "worker")) {
			// the secret's file name is the property it sets
			assertThat(environment(service(name)).get("SPRING_CONFIG_IMPORT")).as(name)
				.isEqualTo("optional:configtree:/run/secrets/");
		}
		assertThat(Files.readString(ROOT.resolve(".gitignore"))).contains("warren-api-key");
		assertThat(Files.readString(ROOT.resolve("docker/Dockerfile"))).as("the services bind to loopback by default")
			.contains("ENV SERVER_ADDRESS=0.0.0.0");
		Map<String, Object> prometheus = yaml("docker/prometheus/prometheus.yml");
		List<Map<String, Object>> warrenJobs = list(prometheus.get("scrape_configs")).stream()
			.map(DeploymentFilesTests::map)
			.filter((job) -> job.get("job_name").toString().startsWith("warren-"))
			.toList();
		assertThat(warrenJobs).hasSize(2);
		for (Map<String, Object> job : warrenJobs) {
			assertThat(map(job.get("authorization"))).as(job.get("job_name").toString())
				.containsEntry("type", "Bearer")
				.containsEntry("credentials_file", "/run/secrets/" + secret);
		}
	}

	@Test
	void grafanaDashboardIsProvisionedOnTheProvisionedDataSource() throws IOException {
		Map<String, Object> datasources = yaml("docker/grafana/provisioning/datasources/prometheus.yml");
		Object uid = map(list(datasources.get("datasources")).get(0)).get("uid");
		JsonNode dashboard = JsonMapper.builder()
			.build()
			.readTree(ROOT.resolve(MonitoringSystemTests.DASHBOARD).toFile());
		List<String> titles = new ArrayList<>();
		for (JsonNode panel : dashboard.get("panels")) {
			assertThat(panel.get("datasource").get("uid").asString()).isEqualTo(uid);
			titles.add(panel.get("title").asString());
		}
		assertThat(titles).anyMatch((title) -> title.startsWith("Throughput"))
			.anyMatch((title) -> title.startsWith("Failures"))
			.anyMatch((title) -> title.startsWith("Queue depth"))
			.anyMatch((title) -> title.contains("latency"))
			.anyMatch((title) -> title.startsWith("Workers up"));
		Map<String, Object> provider = map(
				list(yaml("docker/grafana/provisioning/dashboards/warren.yml").get("providers")).get(0));
		String path = map(provider.get("options")).get("path").toString();
		assertThat(list(service("grafana").get("volumes")))
			.anyMatch((volume) -> volume.toString().equals("./docker/grafana/dashboards:" + path + ":ro"));
	}

	@Test
	void composeBinaryAcceptsTheFile() throws Exception {
		List<String> command = composeCommand();
		assumeTrue(command != null, "no docker-compose or docker compose installed: static checks only");
		command.addAll(List.of("-f", ROOT.resolve("docker-compose.yml").toString(), "config", "-q"));
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
		String output = new String(process.getInputStream().readAllBytes());
		assertThat(process.exitValue()).as(output).isZero();
	}

	private static List<String> composeCommand() throws InterruptedException {
		if (runs("docker-compose", "version")) {
			return new ArrayList<>(List.of("docker-compose"));
		}
		if (runs("docker", "compose", "version")) {
			return new ArrayList<>(List.of("docker", "compose"));
		}
		return null;
	}

	private static boolean runs(String... command) throws InterruptedException {
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			process.getInputStream().readAllBytes();
			return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
		}
		catch (IOException ex) {
			return false;
		}
	}

	private Map<String, Object> services() {
		return map(this.compose.get("services"));
	}

	private Map<String, Object> service(String name) {
		return map(services().get(name));
	}

	private static Map<String, String> environment(Map<String, Object> service) {
		Map<String, String> environment = new java.util.HashMap<>();
		map(service.get("environment")).forEach((key, value) -> {
			if (key.equals("<<")) {
				map(value)
					.forEach((inheritedKey, inherited) -> environment.put(inheritedKey, String.valueOf(inherited)));
			}
			else {
				environment.put(key, String.valueOf(value));
			}
		});
		return environment;
	}

	private static void collectStrings(Object node, List<String> values) {
		if (node instanceof Map<?, ?> map) {
			map.values().forEach((value) -> collectStrings(value, values));
		}
		else if (node instanceof List<?> list) {
			list.forEach((value) -> collectStrings(value, values));
		}
		else if (node != null) {
			String text = node.toString();
			// ${VAR:-default}: the default is the value a user gets
			values.add(text.replaceAll("\\$\\{[A-Z_]+:-([^}]*)}", "$1"));
		}
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> map(Object value) {
		return (value != null) ? (Map<String, Object>) value : Map.of();
	}

	@SuppressWarnings("unchecked")
	private static List<Object> list(Object value) {
		return (value != null) ? (List<Object>) value : List.of();
	}

	private static Map<String, Object> yaml(String path) {
		try {
			return new Yaml().load(Files.readString(ROOT.resolve(path)));
		}
		catch (IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
	}

}
