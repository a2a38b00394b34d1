package io.warren.master.web;

import java.io.IOException;
import java.time.Duration;

/**
 * A request body did not arrive within {@code warren.master.uploads.timeout}, in full or
 * between two reads (408).
 */
class BodyReadTimeoutException extends IOException {

	BodyReadTimeoutException(Duration timeout, Throwable cause) {
		super("the request body did not arrive within " + timeout.toMillis() + " ms", cause);
	}

}
