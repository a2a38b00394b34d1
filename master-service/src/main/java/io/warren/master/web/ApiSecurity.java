package io.warren.master.web;

import io.warren.security.ApiAuthorizations;
import io.warren.security.ApiKeyProperties;
import io.warren.security.ApiKeySecurityConfiguration;
import io.warren.security.ApiKeys;
import io.warren.security.Role;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpMethod;

/**
 * Who may use the task API: {@code submit} to submit, retry and cancel, {@code read} to
 * read and list tasks, workers and types and follow events, {@code admin} to delete tasks
 * and pause types ({@code admin} may do everything); the API's own description is public.
 * A master without keys does not start, unless security is switched off explicitly: it
 * holds every task's payload.
 */
@Configuration(proxyBeanMethods = false)
@Import(ApiKeySecurityConfiguration.class)
public class ApiSecurity {

	public ApiSecurity(ApiKeyProperties properties, ApiKeys keys) {
		if (properties.enabled() && keys.isEmpty()) {
			throw new IllegalStateException("the master needs at least one API key: set WARREN_SECURITY_API_KEYS "
					+ "(warren.security.api-keys), such as WARREN_SECURITY_API_KEYS=$(openssl rand -hex 32), or "
					+ "run without authentication with warren.security.enabled=false");
		}
	}

	@Bean
	ApiAuthorizations taskApiAuthorizations() {
		return (rules) -> rules.requestMatchers(HttpMethod.GET, "/api/v1/openapi.yaml")
			.permitAll()
			.requestMatchers(HttpMethod.POST, "/api/v1/tasks", "/api/v1/tasks/batch", "/api/v1/tasks/retry",
					"/api/v1/tasks/*/retry", "/api/v1/tasks/cancel", "/api/v1/tasks/*/cancel")
			.hasRole(Role.SUBMIT.name())
			.requestMatchers(HttpMethod.DELETE, "/api/v1/tasks")
			.hasRole(Role.ADMIN.name())
			.requestMatchers(HttpMethod.POST, "/api/v1/types/*/pause", "/api/v1/types/*/resume")
			.hasRole(Role.ADMIN.name())
			.requestMatchers(HttpMethod.GET, "/api/v1/tasks", "/api/v1/tasks/*", "/api/v1/workers", "/api/v1/workers/*",
					"/api/v1/types", "/api/v1/events")
			.hasRole(Role.READ.name())
			.requestMatchers(HttpMethod.HEAD, "/api/v1/tasks", "/api/v1/tasks/*", "/api/v1/workers",
					"/api/v1/workers/*", "/api/v1/types")
			.hasRole(Role.READ.name());
	}

}
