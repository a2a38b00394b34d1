package io.warren.master.task;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * Times in requests: ISO-8601 with their offset, within the years both stores hold (1 to
 * 9999); anything else is a 400 problem naming the field.
 */
final class IsoTimes {

	private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");

	private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

	private IsoTimes() {
	}

	/** The time {@code value} names, or {@code null} if it is empty. */
	static Instant parse(String field, String value) {
		if (value == null || value.isEmpty()) {
			return null;
		}
		Instant time;
		try {
			time = OffsetDateTime.parse(value).toInstant();
		}
		catch (DateTimeParseException ex) {
			throw new InvalidTaskException(field,
					"must be an ISO-8601 time with its offset, such as 2026-12-24T18:00:00Z");
		}
		if (time.isBefore(EARLIEST) || time.isAfter(LATEST)) {
			throw new InvalidTaskException(field, "must be between years 1 and 9999");
		}
		return time;
	}

}
