package io.warren.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What one benchmark run measures.
 *
 * @param brokerSeconds measured seconds of the bare-broker round trip (after the warm-up)
 * @param fullSeconds seconds of full-speed submission
 * @param rate the fixed submission rate, tasks per second, for latency
 * @param rateSeconds seconds at the fixed rate
 * @param concurrency HTTP requests in flight at full speed
 * @param workers worker processes
 * @param variants store and queue type pairs to run; the first is the one the JSON line
 * reports, the second (with {@code --preload}) the same on a store with history
 * @param perfTest also run RabbitMQ PerfTest for the broker baseline
 * @param profile record the master and the first worker with JFR during the full-speed
 * phase and print where their CPU goes
 * @param peers also run Celery on the same broker (see {@link CeleryPeer})
 * @param rabbitHost broker host
 * @param rabbitPort broker port
 * @param postgresUrl JDBC URL of a PostgreSQL database Warren may create schemas in
 * @param warmUpSeconds seconds of full-speed warm-up before anything is measured
 * @param root the repository's root directory, where the built jars are
 */
record Options(int brokerSeconds, int fullSeconds, int rate, int rateSeconds, int concurrency, int workers,
		List<Variant> variants, boolean perfTest, boolean profile, boolean peers, String rabbitHost, int rabbitPort,
		String postgresUrl, int warmUpSeconds, Path root) {

	/**
	 * One store and queue type, and how many finished tasks the store holds before the
	 * run.
	 */
	record Variant(String store, String queueType, int preload) {

		Variant(String store, String queueType) {
			this(store, queueType, 0);
		}

		@Override
		public String toString() {
			return this.store + "/" + this.queueType + ((this.preload > 0) ? " +" + this.preload : "");
		}

	}

	static Options parse(String[] args) {
		int brokerSeconds = 30;
		int fullSeconds = 30;
		int rate = 1000;
		int rateSeconds = 20;
		int concurrency = 64;
		int workers = 2;
		String store = "h2";
		String queueType = "quorum";
		boolean all = false;
		boolean perfTest = false;
		boolean profile = false;
		int preload = 0;
		boolean peers = false;
		// the JIT compilers of a just-started master spend tens of seconds of CPU on this
		// machine: measured phases must not pay for them
		int warmUp = 20;
		for (int i = 0; i < args.length; i++) {
			String arg = args[i];
			switch (arg) {
				case "--broker-seconds" -> brokerSeconds = Integer.parseInt(args[++i]);
				case "--full-seconds" -> fullSeconds = Integer.parseInt(args[++i]);
				case "--rate" -> rate = Integer.parseInt(args[++i]);
				case "--rate-seconds" -> rateSeconds = Integer.parseInt(args[++i]);
				case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
				case "--workers" -> workers = Integer.parseInt(args[++i]);
				case "--store" -> store = args[++i];
				case "--queue-type" -> queueType = args[++i];
				case "--all" -> all = true;
				case "--perftest" -> perfTest = true;
				case "--profile" -> profile = true;
				case "--preload" -> preload = Integer.parseInt(args[++i]);
				case "--peers" -> peers = true;
				case "--warm-up" -> warmUp = Integer.parseInt(args[++i]);
				case "--quick" -> {
					warmUp = 5;
					brokerSeconds = 10;
					fullSeconds = 10;
					rateSeconds = 10;
				}
				default -> throw new IllegalArgumentException("unknown option " + arg + "\n" + usage());
			}
		}
		List<Variant> variants = new ArrayList<>();
		variants.add(new Variant(store, queueType));
		if (preload > 0) {
			variants.add(new Variant(store, queueType, preload));
		}
		if (all) {
			for (String s : List.of("h2", "postgresql")) {
				for (String q : List.of("quorum", "classic")) {
					Variant variant = new Variant(s, q);
					if (!variants.contains(variant)) {
						variants.add(variant);
					}
				}
			}
		}
		String host = System.getenv().getOrDefault("SPRING_RABBITMQ_HOST", "localhost");
		int port = Integer.parseInt(System.getenv().getOrDefault("SPRING_RABBITMQ_PORT", "5672"));
		String postgres = System.getenv()
			.getOrDefault("WARREN_BENCH_POSTGRES_URL", "jdbc:postgresql://localhost:5432/test");
		return new Options(brokerSeconds, fullSeconds, rate, rateSeconds, concurrency, workers, variants, perfTest,
				profile, peers, host, port, postgres, warmUp,
				Path.of(System.getProperty("warren.root", ".")).toAbsolutePath());
	}

	static String usage() {
		return """
				Usage: scripts/bench.sh [options]
				  --store h2|postgresql     store of the reported variant (default h2)
				  --queue-type quorum|classic  queue type of the reported variant (default quorum)
				  --all                     also run the other stores and queue types (about 10 more minutes)
				  --workers N               worker processes (default 2)
				  --broker-seconds S        bare-broker measurement (default 30)
				  --full-seconds S          full-speed submission (default 30)
				  --rate R --rate-seconds S fixed-rate phase for latency (default 1000/s for 20 s)
				  --concurrency C           HTTP requests in flight at full speed (default 64)
				  --perftest                cross-check the broker baseline with RabbitMQ PerfTest
				  --profile                 record the master and a worker with JFR, print where their CPU goes
				  --preload N               also run the reported variant on a store holding N finished tasks
				                            (1000000: about 6 more minutes)
				  --peers                   also run Celery (Debian's python3-celery) on the same broker
				  --warm-up S               full-speed warm-up before each measurement (default 20)
				  --quick                   5 s warm-up and 10 s phases, for trying the harness out""";
	}

}
