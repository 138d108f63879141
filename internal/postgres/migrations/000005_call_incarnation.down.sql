-- Calls stored under a derived id stay, as separate calls.
DROP INDEX IF EXISTS calls_call_uuid_idx;
ALTER TABLE calls DROP COLUMN IF EXISTS instance;
ALTER TABLE calls DROP COLUMN IF EXISTS call_uuid;
