package io.warren.master.task;

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
	 * Throws {@link InvalidTaskException} or {@link TaskTypeRefusedException} unless
	 * {@code type} may be submitted.
	 */
	public void check(String type) {
		if (!TaskTypes.isValid(type)) {
			throw new InvalidTaskException("type", "must match " + TaskTypes.NAME.pattern());
		}
		if (!this.allowed.isEmpty() && !this.allowed.contains(type)) {
			throw new TaskTypeRefusedException("task type '" + type + "' is not in warren.master.allowed-types");
		}
		Set<String> types = knownTypes();
		if (!types.contains(type)) {
			synchronized (this) {
				if (types.size() >= this.maxTypes) {
					throw new TaskTypeRefusedException("the master already has " + types.size()
							+ " task types, the most warren.master.max-task-types allows");
				}
				this.store.registerType(type);
				types.add(type);
			}
		}
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
