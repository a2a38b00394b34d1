package io.warren.master.task;

/** A request that names a field with a value the API does not accept (400). */
public class InvalidTaskException extends RuntimeException {

	private final String field;

	public InvalidTaskException(String field, String message) {
		super(field + " " + message);
		this.field = field;
	}

	/** The request field or parameter at fault. */
	public String field() {
		return this.field;
	}

}
