-- Paused queues. A paused queue keeps its jobs and accepts new ones; no claim takes its jobs until it is resumed
-- (the claim statements read this table themselves, so a pause holds from its commit on); running jobs finish.
CREATE TABLE queue_pauses (
    queue      text        PRIMARY KEY CHECK (queue ~ '^[A-Za-z0-9_.:-]{1,100}$'),
    paused_at  timestamptz NOT NULL DEFAULT now(),
    paused_by  text        NOT NULL CHECK (length(paused_by) <= 200),
    reason     text                 CHECK (length(reason) <= 1000)
);
