package io.warren.master.task;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.warren.master.config.MasterProperties;
import io.warren.protocol.TaskTypes;

import org.springframework.stereotype.Component;

/**
 * Decides which task types may be submitted. Each new type creates a durable queue on the
 * broker, so an allow-list and a cap on distinct types keep junk from piling up there.
 */
@Component
public class TaskTypePolicy {

	private final Set<String> allowed;

	private final int maxTypes;

	private final TaskStore store;

	private volatile Set<String> known;

	public TaskTypePolicy(MasterProperties properties, TaskStore store) {
		this.allowed = properties.allowedTypes();
		this.maxTypes = properties.maxTaskTypes();
		this.store = store;
	}

	/**
	 * Checks the types of one submission together; returns those not submitted before,
	 * which the submission registers in its own transaction (see {@link #remember}).
	 * Throws {@link InvalidTaskException} (field {@code type}) or
	 * {@link TaskTypeRefusedException} unless all may be submitted.
	 */
	Set<String> checkAll(List<String> types) {
		Set<String> known = knownTypes();
		Set<String> fresh = new java.util.LinkedHashSet<>();
		for (String type : types) {
			if (!TaskTypes.isValid(type)) {
				throw new InvalidTaskException("type", "must match " + TaskTypes.NAME.pattern());
			}
			if (!this.allowed.isEmpty() && !this.allowed.contains(type)) {
				throw new TaskTypeRefusedException("task type '" + type + "' is not in warren.master.allowed-types");
			}
			if (!known.contains(type)) {
				fresh.add(type);
			}
		}
		if (!fresh.isEmpty() && known.size() + fresh.size() > this.maxTypes) {
			throw new TaskTypeRefusedException("the master already has " + known.size()
					+ " task types, the most warren.master.max-task-types allows");
		}
		return fresh;
	}

	/** Types registered with a committed submission. */
	void remember(Set<String> types) {
		knownTypes().addAll(types);
	}

	private Set<String> knownTypes() {
		Set<String> types = this.known;
		if (types == null) {
			synchronized (this) {
				if (this.known == null) {
					Set<String> loaded = ConcurrentHashMap.newKeySet();
					loaded.addAll(this.store.types());
					this.known = loaded;
				}
				types = this.known;
			}
		}
		return types;
	}

}
