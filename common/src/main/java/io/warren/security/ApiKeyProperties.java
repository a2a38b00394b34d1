package io.warren.security;

import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Who may use the HTTP side of a service.
 *
 * @param enabled whether requests need an API key; {@code false} lets everyone do
 * everything, under one anonymous scope
 * @param apiKeys the keys, comma-separated: a bare key (may do everything) or
 * {@code name:roles:key} with roles {@code submit}, {@code read}, {@code admin} joined by
 * {@code +}; a key may be given as {@code {sha256}} and its SHA-256 in hex
 */
@ConfigurationProperties("warren.security")
public record ApiKeyProperties(@DefaultValue("true") boolean enabled, @DefaultValue List<String> apiKeys) {

}
