-- Result callbacks. Keep in step with ../postgresql/V7.
-- where the master POSTs the task's record when it ends (null: nowhere)
ALTER TABLE tasks ADD COLUMN callback_url VARCHAR(2048);

-- One row per callback to send: written in the transaction that ended the task (an
-- outbox, so that a master restart forgets none), claimed by one master at a time.
CREATE TABLE callbacks (
    delivery_id     UUID                     NOT NULL PRIMARY KEY,
    task_id         UUID                     NOT NULL,
    -- the terminal status this callback reports
    task_status     VARCHAR(16)              NOT NULL,
    attempt         INTEGER                  NOT NULL,
    url             VARCHAR(2048)            NOT NULL,
    -- PENDING, DELIVERED or FAILED (attempts used up)
    state           VARCHAR(16)              NOT NULL,
    tries           INTEGER                  NOT NULL,
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    -- when a PENDING callback is due (pushed ahead while a master sends it)
    next_at         TIMESTAMP WITH TIME ZONE NOT NULL,
    delivered_at    TIMESTAMP WITH TIME ZONE
);
CREATE INDEX callbacks_state_next ON callbacks (state, next_at);
CREATE INDEX callbacks_task ON callbacks (task_id);

-- Every POST of a callback and how it went.
CREATE TABLE callback_attempts (
    delivery_id     UUID                     NOT NULL,
    try             INTEGER                  NOT NULL,
    at              TIMESTAMP WITH TIME ZONE NOT NULL,
    -- the receiver's HTTP status, or null when no answer came
    http_status     INTEGER,
    error           VARCHAR(500),
    PRIMARY KEY (delivery_id, try)
);
