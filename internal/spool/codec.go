package spool

import (
	"encoding/json"
	"fmt"

	"github.com/tirevoice/assistant/internal/call"
)

// formatVersion is written into every spool file. Decode refuses other
// versions, so a future format change cannot be misread as this one.
const formatVersion = 1

// file is the JSON form of a spool file. The record is call.Record as
// encoding/json writes it: every exported field under its Go name, times in
// RFC 3339 with nanoseconds (the monotonic reading is dropped), durations in
// nanoseconds. Renaming a field of call.Record would make files written
// before the rename lose it: TestDecodeGolden guards against that.
//
// Checkpoint marks the record of a call still in progress when it was
// written (its outcome already says interrupted). The field was added
// without a new version: a build that does not know it reads the file as
// a finished record, which is what such a file is once its writer died.
type file struct {
	Version    int          `json:"v"`
	Checkpoint bool         `json:"checkpoint,omitempty"`
	Record     *call.Record `json:"record"`
}

// encode returns the spool file contents for the final record rec. It
// fails only on values JSON cannot hold, such as a time outside years
// 0-9999.
func encode(rec *call.Record) ([]byte, error) { return encodeFile(rec, false) }

// encodeFile returns the spool file contents for rec, marked as a
// checkpoint or not.
func encodeFile(rec *call.Record, checkpoint bool) ([]byte, error) {
	b, err := json.Marshal(file{Version: formatVersion, Checkpoint: checkpoint, Record: rec})
	if err != nil {
		return nil, fmt.Errorf("spool: encode call %s: %w", rec.ID, err)
	}
	return b, nil
}

// decode parses spool file contents and returns the record.
func decode(data []byte) (*call.Record, error) {
	f, err := decodeFile(data)
	if err != nil {
		return nil, err
	}
	return f.Record, nil
}

// decodeFile parses spool file contents. Any input that is not one whole
// JSON object of the current version with a record gives an error that
// wraps errCorrupt; it never panics. Unknown fields are ignored, so a file
// written by a newer build that added a field still decodes.
func decodeFile(data []byte) (*file, error) {
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	switch {
	case f.Version != formatVersion:
		return nil, fmt.Errorf("%w: format version %d, want %d", errCorrupt, f.Version, formatVersion)
	case f.Record == nil:
		return nil, fmt.Errorf("%w: no record", errCorrupt)
	}
	return &f, nil
}
