package io.warren.master.web;

import io.warren.master.config.MasterProperties;
import io.warren.web.UnreadBodies;
import org.apache.coyote.http11.AbstractHttp11Protocol;

import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.stereotype.Component;

/**
 * While a request body is read, Tomcat waits at most
 * {@code warren.master.uploads.timeout} for its next bytes (its
 * {@code connectionUploadTimeout}, in place of the connection timeout);
 * {@link BodySizeLimitFilter} bounds the whole body by the same time, and
 * {@link UnreadBodies} closes the connection of a body left unread.
 */
@Component
class TomcatUploadTimeout implements WebServerFactoryCustomizer<TomcatServletWebServerFactory> {

	private final int timeoutMillis;

	TomcatUploadTimeout(MasterProperties properties) {
		this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, properties.uploads().timeout().toMillis());
	}

	@Override
	public void customize(TomcatServletWebServerFactory factory) {
		factory.addConnectorCustomizers((connector) -> {
			if (connector.getProtocolHandler() instanceof AbstractHttp11Protocol<?> http) {
				http.setDisableUploadTimeout(false);
				http.setConnectionUploadTimeout(this.timeoutMillis);
			}
		});
	}

}
