package io.warren.web;

import java.io.IOException;

import jakarta.servlet.ServletException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;

import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;

/**
 * A request answered before its body was read to the end (refused without a key, with the
 * wrong role or content type, too large, too slow, unknown path) has its connection
 * closed after the answer. Tomcat would otherwise read the rest of the body to reuse the
 * connection ("swallow" it), its request thread waiting on the client for as long as it
 * trickles bytes: a few hundred slow clients would hold every thread. A body read in full
 * changes nothing.
 */
public class UnreadBodies implements WebServerFactoryCustomizer<TomcatServletWebServerFactory> {

	@Override
	public void customize(TomcatServletWebServerFactory factory) {
		// on the engine, around the host: the action marks the exchange as failed, which
		// inside the host would have Tomcat add its error page to the answer
		factory.addEngineValves(new NoSwallowValve());
	}

	/** HTTP/1.1: a request has a body if it has a length other than 0, or a coding. */
	public static boolean hasBody(jakarta.servlet.http.HttpServletRequest request) {
		return request.getContentLengthLong() > 0
				|| (request.getContentLengthLong() < 0 && request.getHeader("Transfer-Encoding") != null);
	}

	static final class NoSwallowValve extends ValveBase {

		NoSwallowValve() {
			super(true);
		}

		@Override
		public void invoke(Request request, Response response) throws IOException, ServletException {
			try {
				getNext().invoke(request, response);
			}
			finally {
				if (hasBody(request) && !finished(request)) {
					// closes the connection after the answer instead of reading on
					if (!response.isCommitted()) {
						response.setHeader("Connection", "close");
					}
					request.getCoyoteRequest().action(ActionCode.DISABLE_SWALLOW_INPUT, null);
				}
			}
		}

		private static boolean finished(Request request) {
			try {
				return request.getInputStream().isFinished();
			}
			catch (IllegalStateException | IOException ex) {
				// read as characters (being read), or no stream: leave it to Tomcat
				return true;
			}
		}

	}

}
