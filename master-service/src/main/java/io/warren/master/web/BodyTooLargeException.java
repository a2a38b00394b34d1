package io.warren.master.web;

import java.io.IOException;

/** A request body grew past the configured cap while it was read (413). */
class BodyTooLargeException extends IOException {

	private final long limit;

	BodyTooLargeException(long limit) {
		super("request body larger than " + limit + " bytes");
		this.limit = limit;
	}

	long limit() {
		return this.limit;
	}

}
