-- Finished calls, their turns and the shop tools used in each turn.
-- Durations are milliseconds in double precision: a time.Duration rounded
-- to the microsecond (what the records hold) round-trips exactly, and
-- dashboards can average them as they are.

CREATE TABLE calls (
    id                        uuid PRIMARY KEY,
    caller                    text NOT NULL DEFAULT '',
    called                    text NOT NULL DEFAULT '',
    environment               text NOT NULL DEFAULT '',
    started                   timestamptz NOT NULL,
    ended                     timestamptz NOT NULL,
    rate_hz                   integer NOT NULL DEFAULT 0 CHECK (rate_hz >= 0),
    outcome                   text NOT NULL DEFAULT '',
    disposition               text NOT NULL DEFAULT '',
    reason                    text NOT NULL DEFAULT '',
    failure                   text NOT NULL DEFAULT '',
    greeting_latency_ms       double precision NOT NULL DEFAULT 0,
    barge_ins                 integer NOT NULL DEFAULT 0 CHECK (barge_ins >= 0),
    no_inputs                 integer NOT NULL DEFAULT 0 CHECK (no_inputs >= 0),
    dtmf                      text NOT NULL DEFAULT '',
    underruns                 integer NOT NULL DEFAULT 0 CHECK (underruns >= 0),
    bot_frames_after_barge_in integer NOT NULL DEFAULT 0 CHECK (bot_frames_after_barge_in >= 0),
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now()
);

-- ListCalls: newest first, alone or narrowed by caller, outcome or
-- disposition.
CREATE INDEX calls_started_idx ON calls (started DESC, id DESC);
CREATE INDEX calls_caller_started_idx ON calls (caller, started DESC, id DESC);
CREATE INDEX calls_outcome_started_idx ON calls (outcome, started DESC, id DESC);
CREATE INDEX calls_disposition_started_idx ON calls (disposition, started DESC, id DESC);
-- DeleteCallsBefore: the retention period.
CREATE INDEX calls_ended_idx ON calls (ended);

CREATE TABLE call_turns (
    call_id          uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    n                integer NOT NULL CHECK (n >= 0),
    caller_text      text NOT NULL DEFAULT '',
    bot_text         text[] NOT NULL DEFAULT '{}',
    action           text NOT NULL DEFAULT '',
    interrupted      boolean NOT NULL DEFAULT false,
    failure          text NOT NULL DEFAULT '',
    speech_end       timestamptz, -- NULL: the turn had no caller speech (DTMF "#")
    stt_latency_ms   double precision NOT NULL DEFAULT 0,
    reply_latency_ms double precision NOT NULL DEFAULT 0,
    tts_latency_ms   double precision NOT NULL DEFAULT 0,
    turn_latency_ms  double precision NOT NULL DEFAULT 0, -- 0: no audio played
    PRIMARY KEY (call_id, n)
);

CREATE TABLE call_tool_calls (
    call_id      uuid NOT NULL,
    turn_n       integer NOT NULL,
    seq          integer NOT NULL CHECK (seq >= 0), -- order within the turn, from 0
    name         text NOT NULL,
    -- The arguments as the language model sent them. They are untrusted:
    -- text that is not valid JSON is kept as a JSON string, with
    -- args_invalid set, so the record is never refused for it.
    args         jsonb NOT NULL,
    args_invalid boolean NOT NULL DEFAULT false,
    result       text NOT NULL DEFAULT '',
    error        text NOT NULL DEFAULT '',
    duration_ms  double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (call_id, turn_n, seq),
    FOREIGN KEY (call_id, turn_n) REFERENCES call_turns (call_id, n) ON DELETE CASCADE
);

CREATE INDEX call_tool_calls_name_idx ON call_tool_calls (name);
