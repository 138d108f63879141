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
type file struct {
	Version int          `json:"v"`
	Record  *call.Record `json:"record"`
}

// encode returns the spool file contents for rec. It fails only on values
// JSON cannot hold, such as a time outside years 0-9999.
func encode(rec *call.Record) ([]byte, error) {
	b, err := json.Marshal(file{Version: formatVersion, Record: rec})
	if err != nil {
		return nil, fmt.Errorf("spool: encode call %s: %w", rec.ID, err)
	}
	return b, nil
}

// decode parses spool file contents. Any input that is not one whole JSON
// object of the current version with a record gives an error that wraps
// errCorrupt; it never panics. Unknown fields are ignored, so a file written
// by a newer build that added a field still decodes.
func decode(data []byte) (*call.Record, error) {
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
	return f.Record, nil
}
