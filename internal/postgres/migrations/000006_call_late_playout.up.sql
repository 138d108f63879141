-- Playout that fell behind its schedule (the process or the send to
-- Asterisk stalled): the frames skipped, and the worst lateness in
-- milliseconds, as greeting_latency_ms. It is not counted in underruns,
-- which are silence sent in the middle of an utterance.
ALTER TABLE calls ADD COLUMN late_frames integer NOT NULL DEFAULT 0 CHECK (late_frames >= 0);
ALTER TABLE calls ADD COLUMN max_late_ms double precision NOT NULL DEFAULT 0 CHECK (max_late_ms >= 0);
