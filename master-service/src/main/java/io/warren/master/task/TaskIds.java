package io.warren.master.task;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;

import org.springframework.stereotype.Component;

/**
 * Makes UUIDv7 task ids (RFC 9562): 48 bits of Unix milliseconds, then a counter seeded
 * at random each millisecond, then random bits. Ids from one master are strictly
 * increasing; ids from several masters sort by time to the millisecond.
 */
@Component
public class TaskIds {

	private static final int COUNTER_BITS = 12;

	private final SecureRandom random = new SecureRandom();

	private final Clock clock;

	private long lastMillis = -1;

	private int counter;

	public TaskIds(Clock clock) {
		this.clock = clock;
	}

	/** The lowest id that can be made at {@code time}: every later id is larger. */
	public static UUID first(java.time.Instant time) {
		return new UUID((time.toEpochMilli() << 16) | (0x7L << 12), 0x8000000000000000L);
	}

	/** The next id. */
	public synchronized UUID next() {
		long millis = this.clock.millis();
		if (millis > this.lastMillis) {
			this.lastMillis = millis;
			this.counter = this.random.nextInt(1 << (COUNTER_BITS - 1));
		}
		else if (++this.counter >= (1 << COUNTER_BITS)) {
			// more ids in one millisecond than the counter holds: borrow the next
			// millisecond
			this.lastMillis++;
			this.counter = 0;
		}
		long high = (this.lastMillis << 16) | (0x7L << 12) | this.counter;
		long low = (this.random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
		return new UUID(high, low);
	}

}
