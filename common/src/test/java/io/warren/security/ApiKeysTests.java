package io.warren.security;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ApiKeysTests {

	private static final String SECRET = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

	@Test
	void bareKeyMayDoEverythingAndIsNamedAfterItsDigest() {
		ApiKeys keys = ApiKeys.parse(List.of(SECRET));

		ApiKey key = keys.match(SECRET).orElseThrow();
		assertThat(key.roles()).isEqualTo(EnumSet.allOf(Role.class));
		assertThat(key.name()).isEqualTo("key-" + ApiKeys.sha256(SECRET).substring(0, 12));
		assertThat(keys.match(SECRET + "x")).isEmpty();
		assertThat(keys.match("")).isEmpty();
		assertThat(keys.match(SECRET.toUpperCase(Locale.ROOT))).isEmpty();
	}

	@Test
	void keyGivenHashedMatchesThePlainKeyUnderTheSameName() {
		ApiKey plain = ApiKeys.parse(List.of(SECRET)).match(SECRET).orElseThrow();
		ApiKey hashed = ApiKeys.parse(List.of(ApiKeys.HASHED_PREFIX + ApiKeys.sha256(SECRET).toUpperCase(Locale.ROOT)))
			.match(SECRET)
			.orElseThrow();

		assertThat(hashed.name()).isEqualTo(plain.name());
		assertThat(hashed.roles()).isEqualTo(plain.roles());
		// the configured digest itself is not a key
		assertThat(ApiKeys.parse(List.of(ApiKeys.HASHED_PREFIX + ApiKeys.sha256(SECRET)))
			.match(ApiKeys.HASHED_PREFIX + ApiKeys.sha256(SECRET))).isEmpty();
	}

	@Test
	void namedKeysCarryTheirRolesAndAdminComesWithEveryRole() {
		ApiKeys keys = ApiKeys
			.parse(List.of("ci:submit+read:ci-secret-0123456789", " web : submit :web:key:with:colons",
					"ops:admin:" + ApiKeys.HASHED_PREFIX + ApiKeys.sha256("ops-secret-0123456789")));

		assertThat(keys.match("ci-secret-0123456789").orElseThrow().roles()).containsExactlyInAnyOrder(Role.SUBMIT,
				Role.READ);
		assertThat(keys.match("web:key:with:colons").orElseThrow().roles()).containsExactly(Role.SUBMIT);
		assertThat(keys.all()).extracting(ApiKey::name).containsExactly("ci", "web", "ops");
		assertThat(keys.match("ops-secret-0123456789").orElseThrow().roles()).isEqualTo(EnumSet.allOf(Role.class));
		assertThat(keys.all().get(0).toString()).doesNotContain("ci-secret");
		// white space around a key is not part of it: a Bearer token never has any
		assertThat(ApiKeys.parse(List.of("spaced:read: spaced-secret-0123456789 ")).match("spaced-secret-0123456789"))
			.isPresent();
	}

	@Test
	void malformedEntriesAreRefusedWithoutShowingTheSecret() {
		assertRefused("", "entry 1 of warren.security.api-keys is empty");
		assertRefused("ci:submit", "is not name:roles:key");
		assertRefused("ci:submit:", "is not name:roles:key");
		assertRefused("c i:submit:top-secret-value", "a key's name is 1 to 64");
		assertRefused("ci:write:top-secret-value", "unknown role 'write'");
		assertRefused("ci::top-secret-value", "unknown role ''");
		assertRefused("ci:read:{sha256}abc", "64 hex digits");
		assertRefused("{sha256}" + "g".repeat(64), "64 hex digits");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ApiKeys.parse(List.of("a:read:top-secret-value", "a:submit:other-secret-value")))
			.withMessageContaining("entry 2")
			.withMessageContaining("the name a is used twice");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ApiKeys
				.parse(List.of("top-secret-value", ApiKeys.HASHED_PREFIX + ApiKeys.sha256("top-secret-value"))))
			.withMessageContaining("the same key as an earlier entry")
			.withMessageNotContaining("top-secret-value");
	}

	private static void assertRefused(String entry, String message) {
		assertThatIllegalArgumentException().isThrownBy(() -> ApiKeys.parse(List.of(entry)))
			.withMessageContaining(message)
			.withMessageNotContaining("top-secret-value");
	}

}
