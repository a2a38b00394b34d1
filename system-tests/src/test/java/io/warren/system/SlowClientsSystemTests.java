package io.warren.system;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.warren.testsupport.WarrenApi;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Clients that send their request body slowly, or not at all, against the real master
 * with few request threads: each holds a thread for a bounded time, together they never
 * hold all of them, and health checks and reads keep answering while they trickle. Each
 * slow client gets a problem (408 past the upload timeout, 503 when every upload slot is
 * taken, 401 at once without a key, its body never read) and its connection is closed.
 * (At full scale, 230 clients a byte every 4 s: scripts/slow-clients.py, figures in
 * docs/operations.md.)
 */
class SlowClientsSystemTests {

	private static final int TRICKLERS = 12;

	private static final int STALLED = 2;

	/** Clients without a key that send no body: refused at once, never waited for. */
	private static final int WITHOUT_KEY = 4;

	@Test
	void slowUploadsAreCutOffAndNeverHoldEveryThreadFromHealthAndReads() throws Exception {
		try (WarrenCluster cluster = WarrenCluster.onH2()) {
			WarrenApi api = cluster.startMaster("server.tomcat.threads.max=8", "server.tomcat.threads.min-spare=2",
					"warren.master.uploads.max-concurrent=4", "warren.master.uploads.timeout=8s");
			int port = cluster.master().port();
			ExecutorService clients = Executors.newFixedThreadPool(TRICKLERS + STALLED + WITHOUT_KEY);
			try {
				List<Future<String>> answers = new ArrayList<>();
				for (int i = 0; i < TRICKLERS + STALLED; i++) {
					boolean stalled = i >= TRICKLERS;
					answers.add(clients.submit(() -> slowUpload(port, stalled, true)));
				}
				List<Future<String>> refused = new ArrayList<>();
				for (int i = 0; i < WITHOUT_KEY; i++) {
					refused.add(clients.submit(() -> slowUpload(port, true, false)));
				}
				// while they trickle (each would need 32 s for its body, and is cut off
				// after
				// 8 s), health and reads answer within a probe's timeout, over plain
				// sockets
				// that give up after it: four threads stay free (without the upload
				// slots,
				// every thread would wait on a slow body)
				WarrenApi probe = api.withTimeout(Duration.ofSeconds(5));
				long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
				int rounds = 0;
				while (System.nanoTime() < until) {
					assertThat(probe.withKey(null).rawGet("/actuator/health").status()).isEqualTo(200);
					assertThat(probe.rawGet("/api/v1/tasks?limit=1").status()).isEqualTo(200);
					rounds++;
				}
				assertThat(rounds).isPositive();
				List<String> statuses = new ArrayList<>();
				for (Future<String> answer : answers) {
					statuses.add(answer.get(30, TimeUnit.SECONDS));
				}
				assertThat(statuses).as("every slow client is answered and cut off")
					.allMatch((status) -> status.startsWith("408 application/problem+json")
							|| status.startsWith("503 application/problem+json"));
				assertThat(statuses).filteredOn((status) -> status.startsWith("408")).isNotEmpty();
				assertThat(statuses).filteredOn((status) -> status.startsWith("503")).isNotEmpty();
				for (Future<String> answer : refused) {
					assertThat(answer.get(30, TimeUnit.SECONDS)).isEqualTo("401 application/problem+json");
				}
			}
			finally {
				clients.shutdownNow();
			}
			// and the master takes tasks as before
			await().atMost(Duration.ofSeconds(30)).until(() -> api.submit("echo", "{}").status() == 202);
		}
	}

	/**
	 * Sends the headers of a 32-byte submission, then its body a byte every second (or
	 * nothing), until the master answers; returns the status and content type.
	 */
	private static String slowUpload(int port, boolean stalled, boolean withKey) throws IOException {
		try (Socket socket = new Socket("127.0.0.1", port)) {
			OutputStream out = socket.getOutputStream();
			String key = withKey ? "Authorization: Bearer " + WarrenApi.TEST_KEY + "\r\n" : "";
			out.write(("POST /api/v1/tasks HTTP/1.1\r\nHost: localhost\r\n" + key
					+ "Content-Type: application/json\r\nContent-Length: 32\r\n\r\n")
				.getBytes(StandardCharsets.ISO_8859_1));
			out.flush();
			PushbackInputStream in = new PushbackInputStream(socket.getInputStream(), 1);
			byte[] body = "{\"type\":\"echo\",\"payload\":12345}".getBytes(StandardCharsets.US_ASCII);
			socket.setSoTimeout(1000);
			for (int i = 0; i < body.length; i++) {
				if (!stalled) {
					try {
						out.write(body[i]);
						out.flush();
					}
					catch (IOException ex) {
						break; // answered and closed meanwhile
					}
				}
				try {
					int first = in.read();
					if (first >= 0) {
						in.unread(first);
					}
					break; // the master answered (or closed)
				}
				catch (SocketTimeoutException ex) {
					// not yet: the next byte
				}
			}
			socket.setSoTimeout(30_000);
			// the answers close the connection: read to its end
			String head = new String(in.readNBytes(4096), StandardCharsets.ISO_8859_1);
			if (head.isEmpty()) {
				return "closed without an answer";
			}
			String status = head.substring(head.indexOf(' ') + 1, head.indexOf(' ') + 4);
			String type = head.lines()
				.filter((line) -> line.toLowerCase(Locale.ROOT).startsWith("content-type:"))
				.map((line) -> line.substring(line.indexOf(':') + 1).trim())
				.findFirst()
				.orElse("none");
			return status + " " + type;
		}
	}

}
