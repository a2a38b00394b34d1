package io.warren.master.web;

import java.io.IOException;
import java.io.Writer;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

/**
 * Tomcat refuses some requests before Spring sees them ({@code %2F}, {@code %00} or
 * {@code |} in a path, a malformed request line); this valve makes those answers RFC 9457
 * problem details too, instead of Tomcat's HTML page with its version in it.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

	@Override
	protected void report(Request request, Response response, Throwable throwable) {
		int status = response.getStatus();
		if (status < 400 || response.getContentWritten() > 0) {
			return;
		}
		try {
			response.setContentType("application/problem+json");
			response.setCharacterEncoding("UTF-8");
			Writer writer = response.getReporter();
			if (writer != null) {
				writer.write("{\"type\":\"about:blank\",\"title\":\"" + title(status) + "\",\"status\":" + status
						+ ",\"detail\":\"the server refused the request before reading it (malformed URL or request)\"}");
				response.finishResponse();
			}
		}
		catch (IOException | IllegalStateException ex) {
			// the client is gone or the response is already committed: nothing more to
			// say
		}
	}

	private static String title(int status) {
		return switch (status) {
			case 400 -> "Bad Request";
			case 404 -> "Not Found";
			case 408 -> "Request Timeout";
			case 413 -> "Content Too Large";
			case 414 -> "URI Too Long";
			case 431 -> "Request Header Fields Too Large";
			case 503 -> "Service Unavailable";
			default -> (status >= 500) ? "Server Error" : "Client Error";
		};
	}

}
