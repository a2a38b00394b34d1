package io.warren.protocol;

import java.util.regex.Pattern;

/** The rule every task type name follows; it keeps queue names and routing keys safe. */
public final class TaskTypes {

	/** Lower-case letters, digits, dot, underscore and dash; 1 to 64 characters. */
	public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

	private TaskTypes() {
	}

	/** Whether {@code type} is a valid task type name. */
	public static boolean isValid(String type) {
		return type != null && NAME.matcher(type).matches();
	}

}
