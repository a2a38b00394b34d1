package io.warren.worker.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** This worker's id: {@code warren.worker.id}, or host name and process id. */
public record WorkerIdentity(String id) {

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
		return new WorkerIdentity(host + "-" + ProcessHandle.current().pid());
	}

}
