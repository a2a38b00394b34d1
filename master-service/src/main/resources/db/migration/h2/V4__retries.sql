-- Retries, delayed tasks and the attempt history. Keep in step with ../postgresql/V4.
-- A waiting task (SCHEDULED, RETRYING) is due at publish_after.
ALTER TABLE tasks ADD COLUMN max_attempts INTEGER;
ALTER TABLE tasks ADD COLUMN budget_from INTEGER NOT NULL DEFAULT 1;
-- a delivery its worker handed back unfinished (released notice): not a death, so not
-- counted towards warren.master.max-deliveries
ALTER TABLE task_deliveries ADD COLUMN released BOOLEAN NOT NULL DEFAULT FALSE;

-- One row per ended attempt of a task that went on to another (retry, manual retry);
-- the current attempt is on the task's row.
CREATE TABLE task_attempts (
    task_id         UUID                     NOT NULL,
    attempt         INTEGER                  NOT NULL,
    outcome         VARCHAR(16)              NOT NULL,
    worker_id       VARCHAR(255),
    started_at      TIMESTAMP WITH TIME ZONE,
    finished_at     TIMESTAMP WITH TIME ZONE,
    error_code      VARCHAR(64),
    error_message   CHARACTER VARYING,
    deliveries      INTEGER                  NOT NULL,
    duplicates      INTEGER                  NOT NULL,
    PRIMARY KEY (task_id, attempt)
);
