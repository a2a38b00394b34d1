package io.warren.master.web;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import io.warren.master.config.MasterSettings;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequestWrapper;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The UTF-8 check of request bodies as the network delivers them: in pieces that cut
 * sequences anywhere.
 */
class BodySizeLimitFilterTests {

	private final BodySizeLimitFilter filter = new BodySizeLimitFilter(MasterSettings.with(),
			JsonMapper.builder().build());

	@Test
	void sequencesCutByEveryReadBoundaryAreAccepted() throws Exception {
		byte[] body = "{\"t\":\"a\u00e9\u20ac\ud83d\ude00z\"}".getBytes(StandardCharsets.UTF_8);
		for (int piece = 1; piece <= 4; piece++) {
			assertThat(read(body, piece)).isEqualTo(body);
		}
	}

	@Test
	void malformedUtf8IsRefusedAtItsOffsetHoweverItArrives() {
		byte[] overlong = { '{', '"', 't', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}' };
		byte[] surrogate = { '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"' };
		byte[] cutAtTheEnd = { '"', 'a', (byte) 0xF0, (byte) 0x9F, (byte) 0x98 };
		for (int piece = 1; piece <= 3; piece++) {
			int size = piece;
			assertThatExceptionOfType(BodyNotUtf8Exception.class).isThrownBy(() -> read(overlong, size))
				.satisfies((ex) -> assertThat(ex.offset()).isEqualTo(6));
			assertThatExceptionOfType(BodyNotUtf8Exception.class).isThrownBy(() -> read(surrogate, size))
				.satisfies((ex) -> assertThat(ex.offset()).isEqualTo(1));
			assertThatExceptionOfType(BodyNotUtf8Exception.class).isThrownBy(() -> read(cutAtTheEnd, size))
				.satisfies((ex) -> assertThat(ex.offset()).isEqualTo(2));
		}
	}

	/** Reads the body through the filter, delivered {@code piece} bytes per read. */
	private byte[] read(byte[] body, int piece) throws Exception {
		MockHttpServletRequest request = new MockHttpServletRequest("POST", "/api/v1/tasks");
		byte[][] read = new byte[1][];
		IOException[] failure = new IOException[1];
		this.filter.doFilter(new Trickling(request, body, piece), new MockHttpServletResponse(), (req, res) -> {
			try {
				read[0] = req.getInputStream().readAllBytes();
			}
			catch (IOException ex) {
				failure[0] = ex;
			}
		});
		if (failure[0] != null) {
			throw failure[0];
		}
		return read[0];
	}

	private static final class Trickling extends HttpServletRequestWrapper {

		private final byte[] body;

		private final int piece;

		Trickling(MockHttpServletRequest request, byte[] body, int piece) {
			super(request);
			this.body = body;
			this.piece = piece;
		}

		@Override
		public long getContentLengthLong() {
			return this.body.length;
		}

		@Override
		public ServletInputStream getInputStream() {
			ByteArrayInputStream in = new ByteArrayInputStream(this.body);
			int most = this.piece;
			return new ServletInputStream() {

				@Override
				public int read() {
					return in.read();
				}

				@Override
				public int read(byte[] buffer, int offset, int length) {
					return in.read(buffer, offset, Math.min(length, most));
				}

				@Override
				public boolean isFinished() {
					return this.available() == 0;
				}

				@Override
				public int available() {
					return in.available();
				}

				@Override
				public boolean isReady() {
					return true;
				}

				@Override
				public void setReadListener(ReadListener listener) {
					throw new UnsupportedOperationException("blocking reads only");
				}

			};
		}

	}

}
