package io.warren.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API keys of {@code warren.security.api-keys}, and the one way a presented key is
 * checked against them. Each entry is either a bare key, which may do everything, or
 * {@code name:roles:key} with roles joined by {@code +} (such as
 * {@code ci:submit+read:9f86d0...}). A key written {@code {sha256}<64 hex digits>} is
 * given as the SHA-256 digest of the real key. Only digests are kept; a presented key is
 * hashed once (SHA-256, not a slow password hash: keys are long random strings, not
 * passwords) and compared with every configured digest in constant time.
 */
public final class ApiKeys {

	private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);

	/** The prefix of a key given as its SHA-256 digest. */
	public static final String HASHED_PREFIX = "{sha256}";

	private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

	private static final Pattern HEX_DIGEST = Pattern.compile("[0-9a-fA-F]{64}");

	/** Shorter plain keys start, with a warning: they can be guessed. */
	private static final int SHORT_KEY = 16;

	private static final String PROPERTY = "warren.security.api-keys";

	private final List<ApiKey> keys;

	private ApiKeys(List<ApiKey> keys) {
		this.keys = List.copyOf(keys);
	}

	/**
	 * Parses the entries of {@code warren.security.api-keys}; throws
	 * {@link IllegalArgumentException} naming the entry (by position and name, never by
	 * its secret) if one is malformed, or if two share a name or a key.
	 */
	public static ApiKeys parse(List<String> entries) {
		List<ApiKey> keys = new ArrayList<>();
		Set<String> names = new HashSet<>();
		Set<String> digests = new HashSet<>();
		for (int i = 0; i < entries.size(); i++) {
			ApiKey key = parseEntry(entries.get(i).strip(), i + 1);
			if (!digests.add(key.sha256())) {
				throw new IllegalArgumentException(
						"entry " + (i + 1) + " of " + PROPERTY + " is the same key as an earlier entry");
			}
			if (!names.add(key.name())) {
				throw new IllegalArgumentException(
						"entry " + (i + 1) + " of " + PROPERTY + ": the name " + key.name() + " is used twice");
			}
			keys.add(key);
		}
		return new ApiKeys(keys);
	}

	private static ApiKey parseEntry(String entry, int position) {
		String where = "entry " + position + " of " + PROPERTY;
		if (entry.isEmpty()) {
			throw new IllegalArgumentException(where + " is empty");
		}
		if (entry.startsWith(HASHED_PREFIX) || entry.indexOf(':') < 0) {
			String digest = digestOf(entry, where);
			return new ApiKey("key-" + digest.substring(0, 12), EnumSet.allOf(Role.class), digest);
		}
		String[] parts = entry.split(":", 3);
		parts[0] = parts[0].strip();
		if (parts.length < 3 || parts[2].isBlank()) {
			throw new IllegalArgumentException(
					where + " has a ':' but is not name:roles:key (a bare key may not contain ':' or ',')");
		}
		if (!NAME.matcher(parts[0]).matches()) {
			throw new IllegalArgumentException(
					where + ": a key's name is 1 to 64 letters, digits, '.', '_' or '-', not '" + parts[0] + "'");
		}
		Set<Role> roles = EnumSet.noneOf(Role.class);
		for (String role : parts[1].split("\\+", -1)) {
			roles.add(role(role, where + " (" + parts[0] + ")"));
		}
		if (roles.contains(Role.ADMIN)) {
			roles = EnumSet.allOf(Role.class);
		}
		// as presented keys are: a Bearer token has no surrounding white space
		return new ApiKey(parts[0], roles, digestOf(parts[2].strip(), where + " (" + parts[0] + ")"));
	}

	private static Role role(String text, String where) {
		for (Role role : Role.values()) {
			if (role.label().equals(text.strip().toLowerCase(Locale.ROOT))) {
				return role;
			}
		}
		throw new IllegalArgumentException(
				where + ": unknown role '" + text + "' (roles are submit, read and admin, " + "joined by '+')");
	}

	private static String digestOf(String secret, String where) {
		if (secret.startsWith(HASHED_PREFIX)) {
			String hex = secret.substring(HASHED_PREFIX.length());
			if (!HEX_DIGEST.matcher(hex).matches()) {
				throw new IllegalArgumentException(
						where + ": a hashed key is " + HASHED_PREFIX + " and 64 hex digits (its SHA-256)");
			}
			return hex.toLowerCase(Locale.ROOT);
		}
		if (secret.length() < SHORT_KEY) {
			log.warn("{} is only {} characters long; use a long random key (such as openssl rand -hex 32)", where,
					secret.length());
		}
		return sha256(secret);
	}

	/** The SHA-256 of a key's UTF-8 bytes, as 64 lowercase hex digits. */
	public static String sha256(String key) {
		try {
			return HexFormat.of()
				.formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("every Java platform has SHA-256", ex);
		}
	}

	/**
	 * The configured key a presented key is, if any. Every configured digest is compared,
	 * each in constant time, whatever matched before.
	 */
	public Optional<ApiKey> match(String presented) {
		byte[] digest = sha256(presented).getBytes(StandardCharsets.US_ASCII);
		ApiKey found = null;
		for (ApiKey key : this.keys) {
			if (MessageDigest.isEqual(key.sha256().getBytes(StandardCharsets.US_ASCII), digest) && found == null) {
				found = key;
			}
		}
		return Optional.ofNullable(found);
	}

	public boolean isEmpty() {
		return this.keys.isEmpty();
	}

	public List<ApiKey> all() {
		return this.keys;
	}

}
