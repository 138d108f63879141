-- Which environment this database belongs to, so that a command meant for
-- staging or dev (seeding test data, say) can refuse to touch production.
-- At most one row: the primary key is a constant.
CREATE TABLE environment_mark (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    environment text NOT NULL CHECK (environment IN ('production', 'staging', 'dev', 'test')),
    marked_at   timestamptz NOT NULL DEFAULT now()
);
