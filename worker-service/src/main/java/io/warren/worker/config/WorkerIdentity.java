package io.warren.worker.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** This worker's id: {@code warren.worker.id}, or host name and process id. */
public record WorkerIdentity(String id) {

	/** The longest worker id the master stores. */
	static final int MAX_LENGTH = 255;

	public WorkerIdentity {
		if (id.length() > MAX_LENGTH || id.chars().anyMatch(Character::isISOControl)) {
			throw new IllegalStateException("warren.worker.id must be at most " + MAX_LENGTH
					+ " characters without control characters (the master refuses replies from other ids)");
		}
	}

	static WorkerIdentity of(WorkerProperties properties) {
		if (!properties.id().isBlank()) {
			return new WorkerIdentity(properties.id());
		}
		String host;
		try {
			host = InetAddress.getLocalHost().getHostName();
		}
		catch (UnknownHostException ex) {
			host = "unknown-host";
		}
		String pid = "-" + ProcessHandle.current().pid();
		// a host name may be longer than the master stores with the pid
		return new WorkerIdentity(host.substring(0, Math.min(host.length(), MAX_LENGTH - pid.length())) + pid);
	}

}
