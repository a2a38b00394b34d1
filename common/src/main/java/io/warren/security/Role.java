package io.warren.security;

import java.util.Locale;

/**
 * What an API key may do: {@code submit} tasks, {@code read} tasks, or everything
 * ({@code admin}: the API, the actuator endpoints, health details).
 */
public enum Role {

	/** Submit tasks (single and batch). */
	SUBMIT,

	/** Read and list tasks. */
	READ,

	/** Everything, the actuator endpoints included. */
	ADMIN;

	/** The role as written in {@code warren.security.api-keys}. */
	public String label() {
		return name().toLowerCase(Locale.ROOT);
	}

	/** The Spring Security authority of the role. */
	public String authority() {
		return "ROLE_" + name();
	}

}
