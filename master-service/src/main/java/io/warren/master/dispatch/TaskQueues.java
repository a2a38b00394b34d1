package io.warren.master.dispatch;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.warren.protocol.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.Declarable;
import org.springframework.amqp.core.Queue;
import org.springframework.stereotype.Component;

/**
 * Declares a task type's queue before its first task is published, so that a task whose
 * type has no worker yet waits in the broker instead of being returned.
 */
@Component
class TaskQueues {

	private static final Logger log = LoggerFactory.getLogger(TaskQueues.class);

	private final AmqpAdmin admin;

	private final Topology topology;

	private final Set<String> declared = ConcurrentHashMap.newKeySet();

	TaskQueues(AmqpAdmin admin, Topology topology) {
		this.admin = admin;
		this.topology = topology;
	}

	/** Declares the type's queue and binding unless this master already did. */
	void ensureDeclared(String type) {
		if (this.declared.contains(type)) {
			return;
		}
		for (Declarable declarable : this.topology.forTaskType(type).getDeclarables()) {
			if (declarable instanceof Queue queue) {
				this.admin.declareQueue(queue);
			}
			else if (declarable instanceof Binding binding) {
				this.admin.declareBinding(binding);
			}
		}
		this.declared.add(type);
		log.debug("declared the queue of task type {}", type);
	}

	/** Forgets a declaration, after the broker returned a message as unroutable. */
	void forget(String type) {
		this.declared.remove(type);
	}

}
