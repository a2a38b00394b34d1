package io.warren.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** CPU time of local processes, from /proc (Linux); used to charge CPU to each task. */
final class CpuMeter {

	private static final long TICKS_PER_SECOND = ticksPerSecond();

	private CpuMeter() {
	}

	/** CPU seconds used so far by each named process that can be read. */
	static Map<String, Double> snapshot(Map<String, Long> processes) {
		return snapshot(processes, false);
	}

	/**
	 * CPU seconds used so far by each named process and its descendants alive now (a
	 * Celery worker's pool processes).
	 */
	static Map<String, Double> snapshotTrees(Map<String, Long> processes) {
		return snapshot(processes, true);
	}

	private static Map<String, Double> snapshot(Map<String, Long> processes, boolean withDescendants) {
		Map<String, Double> seconds = new LinkedHashMap<>();
		processes.forEach((name, pid) -> {
			Double used = cpuSeconds(pid);
			if (used == null) {
				return;
			}
			double total = used;
			if (withDescendants) {
				for (ProcessHandle child : ProcessHandle.of(pid)
					.map((handle) -> handle.descendants().toList())
					.orElse(List.of())) {
					Double childUsed = cpuSeconds(child.pid());
					total += (childUsed != null) ? childUsed : 0;
				}
			}
			seconds.put(name, total);
		});
		return seconds;
	}

	/** The broker's process on this machine, if it runs here. */
	static Long brokerPid() {
		return ProcessHandle.allProcesses()
			.filter((process) -> process.info().command().map((c) -> c.contains("beam.smp")).orElse(false))
			.map(ProcessHandle::pid)
			.findFirst()
			.orElse(null);
	}

	private static Double cpuSeconds(long pid) {
		try {
			String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
			String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
			// fields after the command: state is [0], utime is [11], stime is [12]
			return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / (double) TICKS_PER_SECOND;
		}
		catch (IOException | RuntimeException ex) {
			return null;
		}
	}

	private static long ticksPerSecond() {
		try {
			Process process = new ProcessBuilder("getconf", "CLK_TCK").start();
			return Long.parseLong(new String(process.getInputStream().readAllBytes()).trim());
		}
		catch (IOException | RuntimeException ex) {
			return 100;
		}
	}

}
