package io.warren.security;

import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AuthorizeHttpRequestsConfigurer;

/**
 * The roles a service's own endpoints need, added to the rules every Warren service has
 * (public health and probes, the actuator for {@code admin}, anything else for any key).
 */
@FunctionalInterface
public interface ApiAuthorizations {

	void authorize(AuthorizeHttpRequestsConfigurer<HttpSecurity>.AuthorizationManagerRequestMatcherRegistry rules);

}
