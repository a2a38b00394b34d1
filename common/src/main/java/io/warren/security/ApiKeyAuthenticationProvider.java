package io.warren.security;

import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;

/**
 * Checks a presented API key against the configured ones; with security off, everyone is
 * the anonymous scope with every role.
 */
public final class ApiKeyAuthenticationProvider implements AuthenticationProvider {

	private final ApiKeys keys;

	private final boolean enabled;

	public ApiKeyAuthenticationProvider(ApiKeys keys, boolean enabled) {
		this.keys = keys;
		this.enabled = enabled;
	}

	@Override
	public Authentication authenticate(Authentication authentication) {
		if (!this.enabled) {
			return ApiKeyAuthentication.anyone();
		}
		String presented = ((ApiKeyAuthentication) authentication).presentedKey();
		return this.keys.match((presented != null) ? presented : "")
			.map(ApiKeyAuthentication::of)
			.orElseThrow(() -> new BadCredentialsException("the API key is not one of this service's keys"));
	}

	@Override
	public boolean supports(Class<?> authentication) {
		return ApiKeyAuthentication.class.isAssignableFrom(authentication);
	}

}
