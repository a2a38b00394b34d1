package io.warren.master.task;

import io.warren.master.config.MasterSettings;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** Which callback URLs a submission may give. */
class CallbackUrlsTests {

	private final CallbackUrls loopbackOnly = new CallbackUrls(MasterSettings.with("callbacks.secret=s3cret"));

	private final CallbackUrls ownHosts = new CallbackUrls(MasterSettings.with("callbacks.secret=s3cret",
			"callbacks.allowed-hosts=hooks.example.com, *.shop.example, Localhost"));

	@Test
	void loopbackIsAllowedByDefaultOnAnyPortAndScheme() {
		for (String url : new String[] { "http://localhost/hook", "https://localhost:8443/a?b=c", "http://127.0.0.1:1/",
				"http://[::1]:9000/hook", "HTTP://LocalHost/hook" }) {
			assertThat(this.loopbackOnly.check(url, "callbackUrl")).isEqualTo(url);
		}
	}

	@Test
	void otherHostsSchemesAndShapesAreRefusedNamingTheField() {
		for (String url : new String[] { "http://example.com/hook", "http://localhost.example.com/", "ftp://localhost/",
				"file:///etc/passwd", "http://user:pw@localhost/", "//localhost/hook", "http:///hook", "not a url",
				"http://127.0.0.2/", "http://0.0.0.0/", "javascript:alert(1)", "http://localhost/\u0000" }) {
			assertThatExceptionOfType(InvalidTaskException.class).as(url)
				.isThrownBy(() -> this.loopbackOnly.check(url, "tasks[3].callbackUrl"))
				.satisfies((ex) -> assertThat(ex.field()).isEqualTo("tasks[3].callbackUrl"));
		}
	}

	@Test
	void configuredHostsReplaceLoopbackAndAWildcardTakesSubdomainsOnly() {
		assertThat(this.ownHosts.check("https://hooks.example.com/warren", "callbackUrl")).isNotNull();
		assertThat(this.ownHosts.check("https://eu.shop.example:444/w", "callbackUrl")).isNotNull();
		assertThat(this.ownHosts.check("http://localhost/w", "callbackUrl")).isNotNull();
		for (String url : new String[] { "https://shop.example/w", "https://evilshop.example/w",
				"https://hooks.example.com.evil.net/", "http://127.0.0.1/w", "https://example.com/w" }) {
			assertThatExceptionOfType(InvalidTaskException.class).as(url)
				.isThrownBy(() -> this.ownHosts.check(url, "callbackUrl"));
		}
	}

	@Test
	void withoutASecretNoCallbackIsTakenAndNoneIsFine() {
		CallbackUrls unsigned = new CallbackUrls(MasterSettings.with());
		assertThatExceptionOfType(InvalidTaskException.class)
			.isThrownBy(() -> unsigned.check("http://localhost/hook", "callbackUrl"))
			.withMessageContaining("warren.master.callbacks.secret");
		assertThat(unsigned.check(null, "callbackUrl")).isNull();
		assertThatExceptionOfType(InvalidTaskException.class)
			.isThrownBy(() -> this.loopbackOnly.check("http://localhost/" + "x".repeat(2100), "callbackUrl"));
	}

}
