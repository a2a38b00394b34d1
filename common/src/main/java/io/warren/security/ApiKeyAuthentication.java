package io.warren.security;

import java.util.Collection;
import java.util.Set;

import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/**
 * A request's API key: before authentication the key presented (or none, when security is
 * off), after it the configured key's name and roles. The name is the principal, and the
 * scope of the caller's idempotency keys.
 */
public final class ApiKeyAuthentication extends AbstractAuthenticationToken {

	/** The principal of every request when security is off: one anonymous scope. */
	public static final String ANONYMOUS_SCOPE = "";

	private final String name;

	private final Set<Role> roles;

	private String presented;

	private ApiKeyAuthentication(String name, Set<Role> roles, String presented, boolean authenticated) {
		super(authorities(roles));
		this.name = name;
		this.roles = Set.copyOf(roles);
		this.presented = presented;
		setAuthenticated(authenticated);
	}

	/** A key presented in a request, not yet checked. */
	static ApiKeyAuthentication presented(String key) {
		return new ApiKeyAuthentication(null, Set.of(), key, false);
	}

	/** A request of someone who may do everything, when security is off. */
	static ApiKeyAuthentication anyone() {
		return new ApiKeyAuthentication(ANONYMOUS_SCOPE, Set.of(Role.values()), null, true);
	}

	/** A request with a configured key. */
	static ApiKeyAuthentication of(ApiKey key) {
		return new ApiKeyAuthentication(key.name(), key.roles(), null, true);
	}

	private static Collection<GrantedAuthority> authorities(Set<Role> roles) {
		return roles.stream().map((role) -> (GrantedAuthority) new SimpleGrantedAuthority(role.authority())).toList();
	}

	/** The key presented, before authentication; null after it. */
	String presentedKey() {
		return this.presented;
	}

	public Set<Role> roles() {
		return this.roles;
	}

	@Override
	public Object getCredentials() {
		return this.presented;
	}

	@Override
	public Object getPrincipal() {
		return this.name;
	}

	@Override
	public String getName() {
		return (this.name != null) ? this.name : "";
	}

	@Override
	public void eraseCredentials() {
		this.presented = null;
		super.eraseCredentials();
	}

}
