package io.warren.security;

import java.util.Set;

/**
 * One configured API key: its name (the scope of its idempotency keys, and what logs and
 * problems call it), its roles and the SHA-256 digest of its secret. The secret itself is
 * not kept.
 *
 * @param name the key's name, given or (for a bare key) derived from its digest
 * @param roles what the key may do; {@code admin} comes with the others
 * @param sha256 SHA-256 of the key's UTF-8 bytes, 64 lowercase hex digits
 */
public record ApiKey(String name, Set<Role> roles, String sha256) {

	public ApiKey {
		roles = Set.copyOf(roles);
	}

	@Override
	public String toString() {
		return "ApiKey[" + this.name + " " + this.roles + "]";
	}

}
