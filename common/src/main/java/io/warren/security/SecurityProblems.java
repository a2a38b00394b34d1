package io.warren.security;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.context.SecurityContextHolder;

/** 401 and 403 as problem details (RFC 9457), with the challenge of RFC 6750. */
final class SecurityProblems {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private SecurityProblems() {
	}

	/** No key where one is needed, or a key that is not configured. */
	static void unauthorized(HttpServletRequest request, HttpServletResponse response, AuthenticationException ex)
			throws IOException {
		boolean presented = request.getHeader(HttpHeaders.AUTHORIZATION) != null
				&& ApiKeyAuthenticationConverter.bearer(request) != null;
		response.setHeader(HttpHeaders.WWW_AUTHENTICATE,
				presented ? "Bearer realm=\"warren\", error=\"invalid_token\"" : "Bearer realm=\"warren\"");
		write(request, response, HttpStatus.UNAUTHORIZED, presented ? "the API key is not one of this service's keys"
				: "this needs an API key: send the header Authorization: Bearer <key>");
	}

	/** A key without the role the request needs. */
	static void forbidden(HttpServletRequest request, HttpServletResponse response, AccessDeniedException ex)
			throws IOException {
		Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
		String detail = "this API key may not do this";
		if (authentication instanceof ApiKeyAuthentication key) {
			detail = "the API key " + key.getName() + " may not do this: its roles are "
					+ key.roles().stream().map(Role::label).sorted().collect(Collectors.joining(", "));
		}
		write(request, response, HttpStatus.FORBIDDEN, detail);
	}

	private static void write(HttpServletRequest request, HttpServletResponse response, HttpStatus status,
			String detail) throws IOException {
		Map<String, Object> problem = new LinkedHashMap<>();
		problem.put("type", "about:blank");
		problem.put("title", status.getReasonPhrase());
		problem.put("status", status.value());
		problem.put("detail", detail);
		problem.put("instance", request.getRequestURI());
		response.setStatus(status.value());
		response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
		response.getOutputStream().write(JSON.writeValueAsBytes(problem));
	}

}
