package io.warren.master.callbacks;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

/**
 * The callbacks outbox: claims due callbacks for one master at a time and records how
 * each POST went.
 */
@Repository
class CallbackStore {

	private final JdbcClient jdbc;

	CallbackStore(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	/**
	 * Up to {@code limit} due {@code PENDING} callbacks, claimed until {@code leaseEnd}
	 * (their due time is pushed there, so that no other master sends them meanwhile, and
	 * a master that dies while sending leaves them to be sent again then); rows another
	 * master holds are skipped.
	 */
	@Transactional
	public List<Callback> claimDue(int limit, Instant now, Instant leaseEnd) {
		List<Callback> due = this.jdbc
			.sql("SELECT delivery_id, task_id, task_status, attempt, url, tries FROM callbacks WHERE state = 'PENDING' "
					+ "AND next_at <= ? ORDER BY next_at FETCH FIRST " + limit + " ROWS ONLY FOR UPDATE SKIP LOCKED")
			.param(utc(now))
			.query((rs, row) -> new Callback(rs.getObject("delivery_id", UUID.class),
					rs.getObject("task_id", UUID.class), rs.getString("task_status"), rs.getInt("attempt"),
					rs.getString("url"), rs.getInt("tries") + 1))
			.list();
		for (Callback callback : due) {
			this.jdbc.sql("UPDATE callbacks SET next_at = ? WHERE delivery_id = ?")
				.params(utc(leaseEnd), callback.deliveryId())
				.update();
		}
		return due;
	}

	/**
	 * Records one POST of a callback: {@code DELIVERED}, {@code PENDING} again at
	 * {@code nextAt}, or {@code FAILED} when {@code nextAt} is {@code null} and it
	 * failed.
	 */
	@Transactional
	public void record(Callback callback, Instant at, Integer httpStatus, String error, boolean delivered,
			Instant nextAt) {
		String state = delivered ? "DELIVERED" : (nextAt != null) ? "PENDING" : "FAILED";
		int updated = this.jdbc
			.sql("UPDATE callbacks SET state = ?, tries = ?, next_at = ?, delivered_at = ? WHERE delivery_id = ?")
			.params(state, callback.tryNumber(), utc((nextAt != null) ? nextAt : at), delivered ? utc(at) : null,
					callback.deliveryId())
			.update();
		if (updated == 0) {
			// deleted with its task meanwhile
			return;
		}
		this.jdbc.sql("INSERT INTO callback_attempts (delivery_id, try, at, http_status, error) VALUES (?, ?, ?, ?, ?)")
			.params(callback.deliveryId(), callback.tryNumber(), utc(at), httpStatus,
					(error != null && error.length() > 500) ? error.substring(0, 500) : error)
			.update();
	}

	private static OffsetDateTime utc(Instant instant) {
		return (instant != null) ? instant.atOffset(ZoneOffset.UTC) : null;
	}

	/**
	 * A callback to send.
	 *
	 * @param deliveryId its id ({@code X-Warren-Delivery})
	 * @param taskId the task
	 * @param taskStatus the status the task ended in
	 * @param attempt the attempt that ended
	 * @param url where to POST
	 * @param tryNumber this POST's number, from 1
	 */
	record Callback(UUID deliveryId, UUID taskId, String taskStatus, int attempt, String url, int tryNumber) {
	}

}
