package io.warren.testsupport;

import java.time.Duration;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Waits on conditions for up to a minute, polling every 50 ms: generous for a loaded CI
 * machine, and never a cost when the condition holds early. An await fails on its own
 * condition only: Awaitility would otherwise also fail it on any uncaught exception of
 * any thread, and the outage tests make client threads throw on purpose. Registered for
 * every test class through JUnit's extension auto-detection.
 */
public class AwaitilityDefaults implements BeforeAllCallback {

	@Override
	public void beforeAll(ExtensionContext context) {
		Awaitility.setDefaultTimeout(Duration.ofSeconds(60));
		Awaitility.setDefaultPollInterval(Duration.ofMillis(50));
		Awaitility.doNotCatchUncaughtExceptionsByDefault();
	}

}
