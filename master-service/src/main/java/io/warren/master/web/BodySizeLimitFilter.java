package io.warren.master.web;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Semaphore;

import io.warren.master.config.MasterProperties;
import io.warren.web.UnreadBodies;
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
 * <p>
 * The body is received in full when the handler first reads it (after authentication),
 * within {@code warren.master.uploads.timeout}, by at most
 * {@code warren.master.uploads.max-concurrent} requests at once: a client that trickles
 * its body holds a request thread for a bounded time, and slow clients together never
 * hold all of them, so health checks and reads still find one. Without a free slot the
 * request is refused at once (503); the parse then reads from memory.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class BodySizeLimitFilter extends OncePerRequestFilter {

	static final String BATCH_PATH = "/api/v1/tasks/batch";

	private final long defaultLimit;

	private final long batchLimit;

	private final JsonMapper json;

	private final Semaphore slots;

	private final int slotCount;

	private final Duration timeout;

	BodySizeLimitFilter(MasterProperties properties, JsonMapper json) {
		this.defaultLimit = properties.maxBodySize().toBytes();
		this.batchLimit = properties.batch().maxBodySize().toBytes();
		this.json = json;
		this.slotCount = properties.uploads().maxConcurrent();
		this.slots = new Semaphore(this.slotCount);
		this.timeout = properties.uploads().timeout();
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
		chain.doFilter(new LimitedRequest(request, limit, this), response);
	}

	static ProblemDetail tooLarge(long limit) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONTENT_TOO_LARGE,
				"the request body is larger than the limit of " + limit + " bytes");
		problem.setTitle("Request body too large");
		return problem;
	}

	private static final class LimitedRequest extends HttpServletRequestWrapper {

		private final long limit;

		private final BodySizeLimitFilter filter;

		private ServletInputStream stream;

		LimitedRequest(HttpServletRequest request, long limit, BodySizeLimitFilter filter) {
			super(request);
			this.limit = limit;
			this.filter = filter;
		}

		@Override
		public ServletInputStream getInputStream() throws IOException {
			if (this.stream == null) {
				this.stream = new LimitedInputStream(this, super.getInputStream(), this.limit, this.filter);
			}
			return this.stream;
		}

	}

	private static final class LimitedInputStream extends ServletInputStream {

		private static final int CHUNK = 8192;

		private final HttpServletRequest request;

		private final ServletInputStream delegate;

		private final long limit;

		private final BodySizeLimitFilter filter;

		private long read;

		/** Reports malformed input (the JDK decoder's default for a new decoder). */
		private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();

		private final CharBuffer decoded = CharBuffer.allocate(512);

		/** The start of a sequence that the last read cut in two. */
		private ByteBuffer pending = ByteBuffer.allocate(0);

		/** The whole body, once received. */
		private ByteArrayInputStream body;

		/** Why the body could not be received. */
		private IOException failure;

		LimitedInputStream(HttpServletRequest request, ServletInputStream delegate, long limit,
				BodySizeLimitFilter filter) {
			this.request = request;
			this.delegate = delegate;
			this.limit = limit;
			this.filter = filter;
		}

		@Override
		public int read() throws IOException {
			receive();
			return this.body.read();
		}

		@Override
		public int read(byte[] buffer, int offset, int length) throws IOException {
			receive();
			return this.body.read(buffer, offset, length);
		}

		/** Receives the whole body once, in a slot and within the deadline. */
		private void receive() throws IOException {
			if (this.body != null) {
				return;
			}
			if (!UnreadBodies.hasBody(this.request)) {
				// nothing to wait for (the actuator reads an optional body on every
				// request)
				this.body = new ByteArrayInputStream(new byte[0]);
				return;
			}
			if (this.failure != null) {
				// a second read after a failed one: the same failure, never the rest
				throw this.failure;
			}
			if (!this.filter.slots.tryAcquire()) {
				throw new UploadsBusyException(this.filter.slotCount);
			}
			try {
				long deadline = System.nanoTime() + this.filter.timeout.toNanos();
				// sized by the declared length, when there is one: no growing copies
				long declared = this.request.getContentLengthLong();
				ByteArrayOutputStream received = new ByteArrayOutputStream(
						(declared > 0) ? (int) Math.min(declared, this.limit) : CHUNK);
				byte[] chunk = new byte[CHUNK];
				int count;
				while ((count = next(chunk)) >= 0) {
					count(count);
					checkUtf8(chunk, 0, count);
					received.write(chunk, 0, count);
					if (System.nanoTime() - deadline > 0) {
						throw new BodyReadTimeoutException(this.filter.timeout, null);
					}
				}
				endOfBody();
				this.body = new ByteArrayInputStream(received.toByteArray());
			}
			catch (IOException ex) {
				this.failure = ex;
				throw ex;
			}
			finally {
				this.filter.slots.release();
			}
		}

		/** The next bytes; a wait longer than the upload timeout is a timeout. */
		private int next(byte[] chunk) throws IOException {
			try {
				return this.delegate.read(chunk, 0, chunk.length);
			}
			catch (IOException ex) {
				for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
					if (cause instanceof SocketTimeoutException) {
						throw new BodyReadTimeoutException(this.filter.timeout, ex);
					}
				}
				throw ex;
			}
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
			return (this.body != null) ? this.body.available() == 0 : this.delegate.isFinished();
		}

		@Override
		public boolean isReady() {
			return (this.body != null) || this.delegate.isReady();
		}

		@Override
		public void setReadListener(ReadListener listener) {
			this.delegate.setReadListener(listener);
		}

	}

}
