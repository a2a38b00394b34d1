package io.warren.security;

import java.util.Locale;

import jakarta.servlet.http.HttpServletRequest;

import org.springframework.http.HttpHeaders;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.authentication.AuthenticationConverter;

/**
 * Reads the key of {@code Authorization: Bearer <key>}; a request without one (or with
 * another scheme) goes on unauthenticated, so that public endpoints answer it and the
 * others ask for a key. With security off, every request is someone who may do
 * everything.
 */
final class ApiKeyAuthenticationConverter implements AuthenticationConverter {

	private static final String BEARER = "bearer ";

	private final boolean enabled;

	ApiKeyAuthenticationConverter(boolean enabled) {
		this.enabled = enabled;
	}

	@Override
	public Authentication convert(HttpServletRequest request) {
		if (!this.enabled) {
			return ApiKeyAuthentication.presented(null);
		}
		String key = bearer(request);
		return (key != null) ? ApiKeyAuthentication.presented(key) : null;
	}

	/** The token of a Bearer {@code Authorization} header, or null. */
	static String bearer(HttpServletRequest request) {
		String header = request.getHeader(HttpHeaders.AUTHORIZATION);
		if (header == null || header.length() < BEARER.length()
				|| !header.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER)) {
			return null;
		}
		return header.substring(BEARER.length()).strip();
	}

}
