package io.warren.master.web;

import java.io.IOException;

/**
 * As many request bodies as {@code warren.master.uploads.max-concurrent} allows are being
 * received (503 with {@code Retry-After}).
 */
class UploadsBusyException extends IOException {

	UploadsBusyException(int slots) {
		super(slots + " request bodies are being received (warren.master.uploads.max-concurrent); retry shortly");
	}

}
