-- Timeouts, cancellation, paused types and the worker registry. Keep in step with
-- ../h2/V5.
-- the task's own timeout, or its type's on the master, when submitted (null: the
-- worker's setting applies)
ALTER TABLE tasks ADD COLUMN timeout_ms BIGINT;
-- set when a cancel was asked for while the task ran: it ends CANCELLED when its worker
-- confirms (or is lost, or hands it back)
ALTER TABLE tasks ADD COLUMN cancel_requested_at TIMESTAMP WITH TIME ZONE;

-- Types whose consumers take no new task on any worker.
CREATE TABLE paused_types (
    type            VARCHAR(64)              NOT NULL PRIMARY KEY,
    paused_at       TIMESTAMP WITH TIME ZONE NOT NULL
);

-- The last heartbeat of each worker; types and running are JSON arrays as sent.
CREATE TABLE workers (
    id              VARCHAR(255)             NOT NULL PRIMARY KEY,
    host            VARCHAR(255),
    version         VARCHAR(64),
    state           VARCHAR(16)              NOT NULL,
    types           TEXT                     NOT NULL,
    running         TEXT                     NOT NULL,
    interval_ms     BIGINT                   NOT NULL,
    started_at      TIMESTAMP WITH TIME ZONE,
    last_seen_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    -- last_seen_at + 3 heartbeat intervals: LOST after it
    lost_after      TIMESTAMP WITH TIME ZONE NOT NULL,
    -- when the worker entered its state (LOST: when it was marked lost)
    state_since     TIMESTAMP WITH TIME ZONE NOT NULL
);
