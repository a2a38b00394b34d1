-- Idempotency-Key of a submission: the same key again (in the same scope) returns the
-- tasks it created instead of creating more. Keep in step with ../postgresql/V3.
CREATE TABLE idempotency_keys (
    scope           VARCHAR(64)              NOT NULL,
    idem_key        VARCHAR(255)             NOT NULL,
    fingerprint     VARCHAR(64)              NOT NULL,
    task_ids        CHARACTER VARYING        NOT NULL,
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
