-- Live events. Keep in step with ../h2/V6.
-- the number of the task's last status move: 1 when submitted, one more for each move;
-- orders the task's status events across threads and masters (tasks stored before this
-- migration count on from 1)
ALTER TABLE tasks ADD COLUMN seq INTEGER DEFAULT 1 NOT NULL;
