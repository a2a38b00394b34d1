package io.warren.master.web;

import java.io.IOException;

/**
 * A request body that is not well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF), found while it was read (400).
 */
class BodyNotUtf8Exception extends IOException {

	private final long offset;

	BodyNotUtf8Exception(long offset) {
		super("request body is not valid UTF-8 near byte " + offset);
		this.offset = offset;
	}

	long offset() {
		return this.offset;
	}

}
