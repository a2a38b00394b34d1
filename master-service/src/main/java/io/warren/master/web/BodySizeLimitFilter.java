package io.warren.master.web;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;

import io.warren.master.config.MasterProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Caps the raw request body at {@code warren.master.max-body-size}
 * ({@code warren.master.batch.max-body-size} for a batch submission): a declared length
 * over the cap is refused before reading, and a body without one stops being read at the
 * cap. Spring's multipart and form limits do not cover JSON bodies. The body must also be
 * well-formed UTF-8, checked as it is read: Jackson's own decoder takes an overlong form
 * such as {@code C0 AF} for {@code /}.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class BodySizeLimitFilter extends OncePerRequestFilter {

	static final String BATCH_PATH = "/api/v1/tasks/batch";

	private final long defaultLimit;

	private final long batchLimit;

	private final JsonMapper json;

	BodySizeLimitFilter(MasterProperties properties, JsonMapper json) {
		this.defaultLimit = properties.maxBodySize().toBytes();
		this.batchLimit = properties.batch().maxBodySize().toBytes();
		this.json = json;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		String path = request.getRequestURI().substring(request.getContextPath().length());
		long limit = BATCH_PATH.equals(path) ? this.batchLimit : this.defaultLimit;
		if (request.getContentLengthLong() > limit) {
			response.setStatus(HttpStatus.CONTENT_TOO_LARGE.value());
			response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
			response.setHeader("Connection", "close");
			this.json.writeValue(response.getOutputStream(), tooLarge(limit));
			return;
		}
		chain.doFilter(new LimitedRequest(request, limit), response);
	}

	static ProblemDetail tooLarge(long limit) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONTENT_TOO_LARGE,
				"the request body is larger than the limit of " + limit + " bytes");
		problem.setTitle("Request body too large");
		return problem;
	}

	private static final class LimitedRequest extends HttpServletRequestWrapper {

		private final long limit;

		private ServletInputStream stream;

		LimitedRequest(HttpServletRequest request, long limit) {
			super(request);
			this.limit = limit;
		}

		@Override
		public ServletInputStream getInputStream() throws IOException {
			if (this.stream == null) {
				this.stream = new LimitedInputStream(super.getInputStream(), this.limit);
			}
			return this.stream;
		}

	}

	private static final class LimitedInputStream extends ServletInputStream {

		private final ServletInputStream delegate;

		private final long limit;

		private long read;

		/** Reports malformed input (the JDK decoder's default for a new decoder). */
		private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();

		private final CharBuffer decoded = CharBuffer.allocate(512);

		/** The start of a sequence that the last read cut in two. */
		private ByteBuffer pending = ByteBuffer.allocate(0);

		LimitedInputStream(ServletInputStream delegate, long limit) {
			this.delegate = delegate;
			this.limit = limit;
		}

		@Override
		public int read() throws IOException {
			int value = this.delegate.read();
			if (value >= 0) {
				count(1);
				checkUtf8(new byte[] { (byte) value }, 0, 1);
			}
			else {
				endOfBody();
			}
			return value;
		}

		@Override
		public int read(byte[] buffer, int offset, int length) throws IOException {
			int count = this.delegate.read(buffer, offset, length);
			if (count > 0) {
				count(count);
				checkUtf8(buffer, offset, count);
			}
			else if (count < 0) {
				endOfBody();
			}
			return count;
		}

		private void checkUtf8(byte[] buffer, int offset, int length) throws BodyNotUtf8Exception {
			ByteBuffer in;
			if (this.pending.hasRemaining()) {
				in = ByteBuffer.allocate(this.pending.remaining() + length);
				in.put(this.pending).put(buffer, offset, length).flip();
			}
			else {
				in = ByteBuffer.wrap(buffer, offset, length);
			}
			CoderResult result;
			do {
				this.decoded.clear();
				result = this.utf8.decode(in, this.decoded, false);
				if (result.isError()) {
					throw new BodyNotUtf8Exception(this.read - in.remaining());
				}
			}
			while (result.isOverflow());
			// what is left is the start of a sequence that the next read completes
			this.pending = in.hasRemaining() ? ByteBuffer.allocate(in.remaining()).put(in).flip() : in;
		}

		private void endOfBody() throws BodyNotUtf8Exception {
			if (this.pending.hasRemaining()) {
				throw new BodyNotUtf8Exception(this.read - this.pending.remaining());
			}
		}

		private void count(int bytes) throws BodyTooLargeException {
			this.read += bytes;
			if (this.read > this.limit) {
				throw new BodyTooLargeException(this.limit);
			}
		}

		@Override
		public boolean isFinished() {
			return this.delegate.isFinished();
		}

		@Override
		public boolean isReady() {
			return this.delegate.isReady();
		}

		@Override
		public void setReadListener(ReadListener listener) {
			this.delegate.setReadListener(listener);
		}

	}

}
