-- The task types ever submitted, one row each: read by the gauges and the type policy
-- instead of a DISTINCT over every task, which grows with history. Same on H2 and
-- PostgreSQL.
CREATE TABLE task_types (
    type            VARCHAR(64)              NOT NULL PRIMARY KEY
);
INSERT INTO task_types (type) SELECT DISTINCT type FROM tasks;
