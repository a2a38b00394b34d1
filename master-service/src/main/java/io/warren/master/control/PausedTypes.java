package io.warren.master.control;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The paused task types, in the store: every master and every worker see the same. */
@Repository
public class PausedTypes {

	private final JdbcClient jdbc;

	PausedTypes(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	/** Pauses a type (again: no change); returns since when it is paused. */
	public Instant pause(String type, Instant now) {
		try {
			this.jdbc.sql("INSERT INTO paused_types (type, paused_at) VALUES (?, ?)")
				.params(type, now.atOffset(ZoneOffset.UTC))
				.update();
			return now;
		}
		catch (DuplicateKeyException ex) {
			return all().getOrDefault(type, now);
		}
	}

	/** Resumes a type; whether it was paused. */
	public boolean resume(String type) {
		return this.jdbc.sql("DELETE FROM paused_types WHERE type = ?").params(type).update() > 0;
	}

	/** Every paused type, with since when, by name. */
	public Map<String, Instant> all() {
		Map<String, Instant> paused = new LinkedHashMap<>();
		this.jdbc.sql("SELECT type, paused_at FROM paused_types ORDER BY type").query((rs) -> {
			paused.put(rs.getString("type"), rs.getObject("paused_at", OffsetDateTime.class).toInstant());
		});
		return paused;
	}

}
