package spool

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// File names in Dir. A record is "<seq>-<call id>.json" with seq a
// zero-padded decimal sequence number, so that names sort oldest first and
// stay unique; the call id part is only for a human looking at the folder.
// Put writes to a temporary file first and renames it, so a record file is
// always whole: a temporary file left by a crash is deleted by Open.
const (
	seqDigits     = 20 // enough for any uint64
	recordSuffix  = ".json"
	errorSuffix   = ".err" // next to a file in failed/: why it is there
	tmpPrefix     = ".put-"
	failedDirName = "failed"
	maxIDInName   = 64 // bytes of the call id kept in a file name
)

// fileName is the name of the record with sequence number seq.
func fileName(seq uint64, id string) string {
	return fmt.Sprintf("%0*d-%s%s", seqDigits, seq, nameSafe(id), recordSuffix)
}

// nameSafe keeps letters, digits and '-' of id (a UUID is left whole) and
// replaces the rest with '_', so that no call id can name a path.
func nameSafe(id string) string {
	if len(id) > maxIDInName {
		id = id[:maxIDInName]
	}
	b := []byte(id)
	for i, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// parseSeq returns the sequence number a name starts with.
func parseSeq(name string) (uint64, bool) {
	if len(name) < seqDigits+1 || name[seqDigits] != '-' {
		return 0, false
	}
	seq, err := strconv.ParseUint(name[:seqDigits], 10, 64)
	return seq, err == nil
}

// writeFileSync makes dir/name hold data durably, or not exist: it writes
// a temporary file in dir, syncs it, renames it into place and syncs dir.
func writeFileSync(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	dst := filepath.Join(dir, name)
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		// The rename may not survive a crash: take it back, so that a
		// record Put reported as not kept does not reappear on the next
		// start.
		os.Remove(dst)
		return err
	}
	return nil
}

// syncDir makes the entries of dir (creations, renames) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// readFile reads path, refusing files over limit bytes: such a file is not
// a record of ours, and is not loaded into memory.
func readFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: larger than %d bytes", errCorrupt, limit)
	}
	return data, nil
}

// freeName returns name, or name with a suffix if dir already has a file of
// that name, so that setting a file aside never overwrites another.
func freeName(dir, name string) string {
	for i := 0; ; i++ {
		n := name
		if i > 0 {
			n = fmt.Sprintf("%s.%d", name, i)
		}
		if _, err := os.Lstat(filepath.Join(dir, n)); err != nil {
			return n // free, or unreadable: the rename will tell
		}
	}
}
