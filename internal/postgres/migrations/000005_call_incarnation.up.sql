-- A call is one AudioSocket connection, named by its UUID, the instance
-- that took it and when it started. The UUID alone does not name it:
-- Asterisk, or a broken or hostile peer, may send one again, and that call
-- must not overwrite the earlier one's record. So call_uuid holds the
-- UUID the call arrived with, and id is that UUID for the first call to
-- use it, and for any later call a UUID derived from the UUID, the
-- instance and the start (see Calls.SaveCall). A checkpoint and the final
-- record of one call have the same instance and start, and replace each
-- other.
ALTER TABLE calls ADD COLUMN call_uuid uuid;
ALTER TABLE calls ADD COLUMN instance text NOT NULL DEFAULT '';
UPDATE calls SET call_uuid = id;
ALTER TABLE calls ALTER COLUMN call_uuid SET NOT NULL;

-- Every call that arrived with a UUID.
CREATE INDEX calls_call_uuid_idx ON calls (call_uuid);
