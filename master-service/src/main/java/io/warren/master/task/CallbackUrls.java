package io.warren.master.task;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

import io.warren.master.config.MasterProperties;

/**
 * Which {@code callbackUrl} a submission may give: an absolute http or https URL without
 * user info, at most 2,048 characters, whose host is in
 * {@code warren.master.callbacks.allowed-hosts} (any port), on a master that has a
 * signing secret. The check is by host name: it keeps submitters from making the master
 * POST anywhere else, and is only as good as the allowed names' DNS.
 */
class CallbackUrls {

	static final int MAX_LENGTH = 2048;

	private final List<String> allowedHosts;

	private final boolean signing;

	CallbackUrls(MasterProperties properties) {
		this.allowedHosts = properties.callbacks().allowedHosts();
		this.signing = properties.callbacks().secret() != null;
	}

	/** The URL as given, if allowed; a 400 problem naming {@code field} otherwise. */
	String check(String url, String field) {
		if (url == null) {
			return null;
		}
		if (!this.signing) {
			throw new InvalidTaskException(field,
					"cannot be used: this master has no callback secret (warren.master.callbacks.secret)");
		}
		if (url.length() > MAX_LENGTH) {
			throw new InvalidTaskException(field, "must be at most " + MAX_LENGTH + " characters");
		}
		URI uri;
		try {
			uri = new URI(url);
		}
		catch (URISyntaxException ex) {
			throw new InvalidTaskException(field, "is not a URL");
		}
		String scheme = (uri.getScheme() != null) ? uri.getScheme().toLowerCase(Locale.ROOT) : "";
		if (!scheme.equals("http") && !scheme.equals("https")) {
			throw new InvalidTaskException(field, "must be an http or https URL");
		}
		if (uri.getRawUserInfo() != null || uri.getHost() == null) {
			throw new InvalidTaskException(field, "must name a host, without user info");
		}
		String host = uri.getHost().toLowerCase(Locale.ROOT);
		if (host.startsWith("[") && host.endsWith("]")) {
			host = host.substring(1, host.length() - 1);
		}
		if (!allowed(host)) {
			throw new InvalidTaskException(field, "names host " + host
					+ ", which is not in warren.master.callbacks.allowed-hosts " + this.allowedHosts);
		}
		return url;
	}

	private boolean allowed(String host) {
		for (String allowed : this.allowedHosts) {
			if (allowed.equals(host) || (allowed.startsWith("*.") && host.endsWith(allowed.substring(1)))) {
				return true;
			}
		}
		return false;
	}

}
