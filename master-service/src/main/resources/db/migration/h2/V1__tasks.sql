-- H2: the embedded default store. Keep in step with ../postgresql/V1__tasks.sql.
CREATE TABLE tasks (
    id              UUID                     NOT NULL PRIMARY KEY,
    type            VARCHAR(64)              NOT NULL,
    status          VARCHAR(16)              NOT NULL,
    priority        SMALLINT                 NOT NULL,
    payload         CHARACTER VARYING        NOT NULL,
    result          CHARACTER VARYING,
    error_code      VARCHAR(64),
    error_message   CHARACTER VARYING,
    attempt         INTEGER                  NOT NULL,
    deliveries      INTEGER                  NOT NULL DEFAULT 0,
    duplicates      INTEGER                  NOT NULL DEFAULT 0,
    worker_id       VARCHAR(255),
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    queued_at       TIMESTAMP WITH TIME ZONE,
    started_at      TIMESTAMP WITH TIME ZONE,
    finished_at     TIMESTAMP WITH TIME ZONE,
    updated_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    publish_after   TIMESTAMP WITH TIME ZONE NOT NULL,
    publish_count   INTEGER                  NOT NULL DEFAULT 0
);
CREATE INDEX tasks_status_id ON tasks (status, id);
CREATE INDEX tasks_type_id ON tasks (type, id);
CREATE INDEX tasks_status_publish_after ON tasks (status, publish_after);

CREATE TABLE task_deliveries (
    task_id         UUID                     NOT NULL,
    attempt         INTEGER                  NOT NULL,
    delivery_id     UUID                     NOT NULL,
    worker_id       VARCHAR(255),
    redelivered     BOOLEAN                  NOT NULL,
    seen_at         TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (task_id, attempt, delivery_id)
);
