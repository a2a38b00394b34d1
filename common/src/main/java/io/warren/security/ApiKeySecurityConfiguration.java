package io.warren.security;

import java.util.List;

import io.warren.web.UnreadBodies;
import jakarta.servlet.DispatcherType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.AuthenticationFilter;
import org.springframework.security.web.access.intercept.AuthorizationFilter;

/**
 * API keys on the HTTP side of a Warren service, with Spring Security: stateless,
 * {@code Authorization: Bearer <key>}, 401 and 403 as problem details. Public: the health
 * status (no details) and the liveness and readiness probes. The actuator needs
 * {@code admin}; a service adds the roles of its own endpoints with an
 * {@link ApiAuthorizations} bean; anything else needs a valid key.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@EnableConfigurationProperties(ApiKeyProperties.class)
@EnableWebSecurity
public class ApiKeySecurityConfiguration {

	private static final Logger log = LoggerFactory.getLogger(ApiKeySecurityConfiguration.class);

	/** Refused requests do not hold a thread reading the rest of their body. */
	@Bean
	UnreadBodies unreadBodies() {
		return new UnreadBodies();
	}

	@Bean
	ApiKeys apiKeys(ApiKeyProperties properties) {
		ApiKeys keys = properties.enabled() ? ApiKeys.parse(properties.apiKeys()) : ApiKeys.parse(List.of());
		if (properties.enabled() && keys.isEmpty()) {
			log.warn("no API keys (warren.security.api-keys): only the health status and the probes are served; "
					+ "Prometheus and the other actuator endpoints answer 401");
		}
		return keys;
	}

	@Bean
	ApiKeyAuthenticationProvider apiKeyAuthenticationProvider(ApiKeys keys, ApiKeyProperties properties) {
		return new ApiKeyAuthenticationProvider(keys, properties.enabled());
	}

	@Bean
	SecurityFilterChain apiKeySecurityFilterChain(HttpSecurity http, ApiKeyAuthenticationProvider provider,
			ApiKeyProperties properties, @Value("${management.endpoints.web.base-path:/actuator}") String actuator,
			ObjectProvider<ApiAuthorizations> serviceRules) throws Exception {
		AuthenticationFilter keys = new AuthenticationFilter(new ProviderManager(provider),
				new ApiKeyAuthenticationConverter(properties.enabled()));
		keys.setSuccessHandler((request, response, authentication) -> {
			// go on down the chain (the default method does), no redirect
		});
		keys.setFailureHandler(SecurityProblems::unauthorized);
		String health = actuator + "/health";
		http.csrf(AbstractHttpConfigurer::disable)
			.httpBasic(AbstractHttpConfigurer::disable)
			.formLogin(AbstractHttpConfigurer::disable)
			.logout(AbstractHttpConfigurer::disable)
			.requestCache(AbstractHttpConfigurer::disable)
			.sessionManagement((sessions) -> sessions.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
			.exceptionHandling((exceptions) -> exceptions.authenticationEntryPoint(SecurityProblems::unauthorized)
				.accessDeniedHandler(SecurityProblems::forbidden))
			.addFilterBefore(keys, AuthorizationFilter.class)
			.authorizeHttpRequests((rules) -> {
				// the container's error page for a request already answered or refused,
				// and
				// the dispatch that ends an asynchronous request (a wait, an event
				// stream)
				// already authorized when it began
				rules.dispatcherTypeMatchers(DispatcherType.ERROR, DispatcherType.ASYNC).permitAll();
				rules.requestMatchers(health, health + "/liveness", health + "/readiness").permitAll();
				serviceRules.orderedStream().forEach((service) -> service.authorize(rules));
				rules.requestMatchers(actuator, actuator + "/**").hasRole(Role.ADMIN.name());
				rules.anyRequest().authenticated();
			});
		return http.build();
	}

}
