package io.warren.master.web;

import java.io.IOException;

import io.warren.master.config.MasterProperties;
import jakarta.servlet.ServletException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;
import org.apache.coyote.http11.AbstractHttp11Protocol;

import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.stereotype.Component;

/**
 * How Tomcat treats request bodies that arrive slowly: while one is read, Tomcat waits at
 * most {@code warren.master.uploads.timeout} for its next bytes (its
 * {@code connectionUploadTimeout}, in place of the connection timeout), and a body that
 * {@link BodySizeLimitFilter} abandoned is not read to its end after the answer (Tomcat
 * would otherwise swallow it, a thread waiting on a slow client for as long as it
 * trickles): the connection is closed instead.
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
		factory.addContextValves(new AbandonedBodyValve());
	}

	/** Tells Tomcat not to swallow the rest of an abandoned body. */
	static final class AbandonedBodyValve extends ValveBase {

		AbandonedBodyValve() {
			super(true);
		}

		@Override
		public void invoke(Request request, Response response) throws IOException, ServletException {
			try {
				getNext().invoke(request, response);
			}
			finally {
				if (request.getAttribute(BodySizeLimitFilter.ABANDONED) != null) {
					request.getCoyoteRequest().action(ActionCode.DISABLE_SWALLOW_INPUT, null);
				}
			}
		}

	}

}
