package io.warren.master.events;

/** Every event stream this master serves is taken (503). */
public class StreamsBusyException extends RuntimeException {

	StreamsBusyException(int max) {
		super("this master serves " + max + " event streams at once (warren.master.events.max-streams); retry later "
				+ "or on another master");
	}

}
