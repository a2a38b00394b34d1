package io.warren.testsupport;

import java.util.Collection;
import java.util.function.Supplier;

import org.springframework.beans.factory.DisposableBean;

/**
 * Deletes a test context's Warren topology when the context closes, after its listener
 * containers have stopped: deleted earlier, the queues would be declared again by the
 * containers' recovery and left behind on the broker.
 */
public final class BrokerCleanup implements DisposableBean {

	private final String prefix;

	private final Supplier<Collection<String>> taskTypes;

	public BrokerCleanup(String prefix, Supplier<Collection<String>> taskTypes) {
		this.prefix = prefix;
		this.taskTypes = taskTypes;
	}

	@Override
	public void destroy() {
		TestBroker.deleteWarren(this.prefix, this.taskTypes.get());
	}

}
