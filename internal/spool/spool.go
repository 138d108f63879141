// Package spool keeps finished call records on local disk until the
// database has them.
//
// A call's record must never be lost, not even to SIGKILL, and must never
// be written on the audio path. While a call runs, its session hands each
// checkpoint of the record (after every turn; its outcome says
// interrupted) to Checkpoint, which keeps it on disk but not for the sink;
// at the end it hands the final record to Put, which makes it durable and
// replaces the checkpoint. Run writes the waiting records to a Sink (the
// database) in the background, oldest first, backing off while the sink
// fails; Flush writes what it can at shutdown. What is not written stays on
// disk for the next Open, checkpoints too: a process killed mid-call
// leaves its calls' last checkpoints, which the next Open queues as the
// records of those calls. A file is removed only after the sink accepted
// its record, so a crash (or a save whose outcome is unknown, such as a
// timeout) can make a record be written again: the sink must be idempotent
// by call (call.Record.Key) and turn number.
//
// Files are per call: a call's newer file (a checkpoint, or its final
// record) replaces its older one, and a record of another call with the
// same id (a UUID used again) never does.
//
// One Spool owns its directory; two processes must not share one.
package spool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tirevoice/assistant/internal/call"
)

// Sink is where records go: the database.
type Sink interface {
	// SaveCall stores rec. It must be idempotent by call (rec.Key())
	// and turn number. An error wrapped with Permanent means rec will
	// never be accepted; any other error is retried later.
	SaveCall(ctx context.Context, rec *call.Record) error
}

// Config configures a Spool. Zero values take the defaults.
type Config struct {
	Dir         string        // spool directory, created 0700 if missing; refused records go to Dir/failed. Required.
	MaxRecords  int           // records waiting at most; default 10000
	MaxBytes    int64         // bytes of waiting record files and checkpoints at most; default 256 MiB
	RetryMin    time.Duration // delay after the first failed save; default 500 ms
	RetryMax    time.Duration // longest delay between failed saves; default 30 s
	SaveTimeout time.Duration // limit of one save attempt; default 5 s
	Logger      *slog.Logger  // default: discard

	// Metric hooks; nil ones are not counted.
	Waiting prometheus.Gauge   // records waiting on disk
	Written prometheus.Counter // records the sink accepted
	Failed  prometheus.Counter // records lost (spool full, disk error) or set aside in Dir/failed (refused by the sink, unreadable)
}

// Defaults of Config.
const (
	DefaultMaxRecords  = 10000
	DefaultMaxBytes    = 256 << 20
	DefaultRetryMin    = 500 * time.Millisecond
	DefaultRetryMax    = 30 * time.Second
	DefaultSaveTimeout = 5 * time.Second
)

func (c Config) withDefaults() (Config, error) {
	if c.Dir == "" {
		return c, errors.New("spool: Config.Dir is empty")
	}
	for _, f := range []struct {
		name string
		neg  bool
	}{
		{"MaxRecords", c.MaxRecords < 0}, {"MaxBytes", c.MaxBytes < 0}, {"RetryMin", c.RetryMin < 0},
		{"RetryMax", c.RetryMax < 0}, {"SaveTimeout", c.SaveTimeout < 0},
	} {
		if f.neg {
			return c, fmt.Errorf("spool: Config.%s is negative", f.name)
		}
	}
	if c.MaxRecords == 0 {
		c.MaxRecords = DefaultMaxRecords
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.RetryMin == 0 {
		c.RetryMin = DefaultRetryMin
	}
	if c.RetryMax == 0 {
		c.RetryMax = max(DefaultRetryMax, c.RetryMin)
	}
	if c.SaveTimeout == 0 {
		c.SaveTimeout = DefaultSaveTimeout
	}
	if c.RetryMin > c.RetryMax {
		return c, fmt.Errorf("spool: RetryMin %v is above RetryMax %v", c.RetryMin, c.RetryMax)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Spool is a bounded, durable queue of call records in a directory, and
// the writer that empties it into a Sink. Its methods are safe for
// concurrent use.
type Spool struct {
	cfg       Config
	sink      Sink
	log       *slog.Logger
	failedDir string

	// putMu serialises Put, so that the bounds, the order of sequence
	// numbers and the replacement of a call's earlier record are exact.
	// Put holds it while it writes and syncs the file.
	putMu sync.Mutex
	// saving holds one token: whoever holds it (Run or Flush) is the only
	// one talking to the sink, so no record is saved twice concurrently.
	saving chan struct{}
	// wake tells Run that Put added work. Capacity 1: a wake-up that Run
	// has not taken yet covers any number of Puts.
	wake chan struct{}

	mu    sync.Mutex
	seq   uint64   // last sequence number used, here or in failed/
	queue []*entry // waiting records, in the order they will be tried
	byKey map[string]*entry
	bytes int64 // sum of the sizes in queue
	// held are the checkpoints of calls in progress, by key: on disk, not
	// for the sink. heldBytes is the sum of their sizes.
	held      map[string]*entry
	heldBytes int64
	recovered int // checkpoints of an earlier run that Open queued
}

// entry is a waiting record or a held checkpoint; its contents are on
// disk only.
type entry struct {
	key  string // call.Record.Key
	id   string // the call id, for log lines
	name string // file name in Dir
	size int64
	// checkpoint: the file is a checkpoint (held, or queued by Open as
	// the record of a call an earlier run did not finish).
	checkpoint bool
	// inFlight: a save of it is under way. Guarded by Spool.mu.
	inFlight bool
	// replaced: a newer Put of the same call took its place while it was
	// in flight; the saver removes its file when the save ends. Guarded by
	// Spool.mu.
	replaced bool
}

// Open opens the spool in cfg.Dir, creating the directory if needed, and
// loads the records a previous run left there, oldest first, with the
// checkpoints of the calls it did not finish (see Recovered). A file that
// does not decode is set aside in Dir/failed (and counted as Failed);
// temporary files of Puts interrupted by a crash are deleted. Nothing is
// written to the sink until Run or Flush.
func Open(cfg Config, sink Sink) (*Spool, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("spool: nil sink")
	}
	failedDir := filepath.Join(cfg.Dir, failedDirName)
	for _, d := range []string{cfg.Dir, failedDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
	}
	s := &Spool{
		cfg:       cfg,
		sink:      sink,
		log:       cfg.Logger,
		failedDir: failedDir,
		saving:    make(chan struct{}, 1),
		wake:      make(chan struct{}, 1),
		byKey:     map[string]*entry{},
		held:      map[string]*entry{},
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// load fills the queue from Dir.
func (s *Spool) load() error {
	// Sequence numbers continue past every name in failed/ too, so a file
	// set aside never takes the name of an earlier one.
	failed, err := os.ReadDir(s.failedDir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	for _, de := range failed {
		if strings.HasPrefix(de.Name(), tmpPrefix) {
			os.Remove(filepath.Join(s.failedDir, de.Name())) // a reason file cut short by a crash
			continue
		}
		if seq, ok := parseSeq(de.Name()); ok {
			s.seq = max(s.seq, seq)
		}
	}
	des, err := os.ReadDir(s.cfg.Dir) // sorted by name: oldest first
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	for _, de := range des {
		name := de.Name()
		path := filepath.Join(s.cfg.Dir, name)
		switch {
		case strings.HasPrefix(name, tmpPrefix):
			// A Put that never returned: its caller was not told the
			// record was kept.
			if err := os.Remove(path); err != nil {
				s.log.Warn("leftover temporary spool file not removed", "file", name, "err", err)
			}
			continue
		case !de.Type().IsRegular():
			continue // failed/, or something that is not ours
		case !strings.HasSuffix(name, recordSuffix):
			s.log.Warn("file in the spool folder is not a call record; left alone", "file", name)
			continue
		}
		seq, ok := parseSeq(name)
		if !ok {
			s.setAside(name, "", fmt.Errorf("%w: unexpected file name", errCorrupt))
			continue
		}
		s.seq = max(s.seq, seq)
		data, err := readFile(path, s.readLimit())
		var f *file
		if err == nil {
			f, err = decodeFile(data)
		}
		switch {
		case errors.Is(err, errCorrupt):
			s.setAside(name, "", err)
			continue
		case err != nil:
			// Not the file's fault: leave it for the next start.
			s.log.Error("spooled call record unreadable; left for the next start", "file", name, "err", err)
			continue
		}
		e := &entry{key: keyOf(f.Record), id: f.Record.ID, name: name, size: int64(len(data)), checkpoint: f.Checkpoint}
		if old := s.byKey[e.key]; old != nil {
			// The same call written twice (a checkpoint, then the final
			// record), and a crash came before the older file was
			// removed: the newer one is the record.
			s.unlink(old)
			s.remove(old.name)
		}
		s.link(e)
	}
	for _, e := range s.queue {
		if e.checkpoint {
			s.recovered++
		}
	}
	s.setWaiting()
	s.log.Info("spooled call records loaded", "dir", s.cfg.Dir, "waiting", len(s.queue), "bytes", s.bytes,
		"interrupted_calls", s.recovered)
	return nil
}

// Recovered returns how many of the records Open loaded are checkpoints:
// calls an earlier run of the process was holding when it died, now
// queued as they were last checkpointed (outcome interrupted).
func (s *Spool) Recovered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recovered
}

// readLimit is the largest file read as a record. Put never writes one
// over MaxBytes, but a record kept under a larger MaxBytes of an earlier
// run is still read, up to the default.
func (s *Spool) readLimit() int64 { return max(s.cfg.MaxBytes, DefaultMaxBytes) }

// Len returns the number of records waiting to be written.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Put keeps rec, a call's final record, durably until the sink has it,
// and wakes Run. It does not talk to the sink and does not keep rec: it
// encodes it, writes the file and syncs it (a few milliseconds on a local
// disk). It replaces the call's checkpoint, and a record of the same call
// (rec.Key()) that is already waiting.
//
// On error the record was not kept: it is counted as Failed and logged.
// At the bounds the error wraps ErrFull, and nothing already waiting is
// dropped.
func (s *Spool) Put(rec *call.Record) error {
	if rec == nil {
		return errors.New("spool: Put of a nil record")
	}
	data, err := encode(rec)
	if err != nil {
		return s.lost(rec.ID, err)
	}
	size := int64(len(data))

	s.putMu.Lock()
	defer s.putMu.Unlock()

	key := keyOf(rec)
	s.mu.Lock()
	n, bytes := len(s.queue), s.bytes+s.heldBytes
	if old := s.byKey[key]; old != nil {
		n, bytes = n-1, bytes-old.size // the same call: it takes the old one's place
	}
	if cp := s.held[key]; cp != nil {
		bytes -= cp.size // replaced too
	}
	if n+1 > s.cfg.MaxRecords || bytes+size > s.cfg.MaxBytes {
		err := fullError(len(s.queue), s.bytes+s.heldBytes, s.cfg)
		s.mu.Unlock()
		return s.lost(rec.ID, err)
	}
	s.seq++
	name := fileName(s.seq, rec.ID)
	s.mu.Unlock()

	if err := writeFileSync(s.cfg.Dir, name, data); err != nil {
		return s.lost(rec.ID, fmt.Errorf("spool: write %s: %w", name, err))
	}

	e := &entry{key: key, id: rec.ID, name: name, size: size}
	var drop *entry
	s.mu.Lock()
	if old := s.byKey[key]; old != nil {
		// Looked up again: the writer may have finished with it meanwhile.
		s.unlink(old)
		if old.inFlight {
			old.replaced = true
		} else {
			drop = old
		}
	}
	cp := s.unhold(key)
	s.link(e)
	s.setWaiting()
	s.mu.Unlock()
	// Removed after the final record is durable: a crash in between
	// leaves both, and Open keeps the newer.
	if drop != nil {
		s.remove(drop.name)
	}
	if cp != nil {
		s.remove(cp.name)
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// Checkpoint keeps rec, the record so far of a call in progress, durably
// on disk, where the next Open finds it if the process dies before the
// call's Put; Run does not write it to the sink. It replaces the call's
// previous checkpoint, and Put replaces it. Like Put it writes and syncs a
// file, so it must not run on the audio path; a checkpoint of a call whose
// final record is already waiting is ignored. The caller sets the
// checkpoint's outcome (interrupted) and end time: the file is the record
// the call will have if its process dies.
//
// On error (the spool at MaxBytes, a disk error) the checkpoint was not
// kept, the call's previous one stays, and a warning is logged; nothing
// is lost yet, so nothing is counted as Failed.
func (s *Spool) Checkpoint(rec *call.Record) error {
	if rec == nil {
		return errors.New("spool: Checkpoint of a nil record")
	}
	data, err := encodeFile(rec, true)
	if err != nil {
		return s.notKept(rec.ID, err)
	}
	size := int64(len(data))
	key := keyOf(rec)
	if key == "" {
		return s.notKept(rec.ID, errors.New("spool: checkpoint of a call without an id"))
	}

	s.putMu.Lock()
	defer s.putMu.Unlock()

	s.mu.Lock()
	if s.byKey[key] != nil {
		s.mu.Unlock()
		return nil // the final record is in: the call is over
	}
	bytes := s.bytes + s.heldBytes
	if old := s.held[key]; old != nil {
		bytes -= old.size
	}
	if bytes+size > s.cfg.MaxBytes {
		err := fullError(len(s.queue), s.bytes+s.heldBytes, s.cfg)
		s.mu.Unlock()
		return s.notKept(rec.ID, err)
	}
	s.seq++
	name := fileName(s.seq, rec.ID)
	s.mu.Unlock()

	if err := writeFileSync(s.cfg.Dir, name, data); err != nil {
		return s.notKept(rec.ID, fmt.Errorf("spool: write %s: %w", name, err))
	}
	s.mu.Lock()
	old := s.unhold(key)
	s.held[key] = &entry{key: key, id: rec.ID, name: name, size: size, checkpoint: true}
	s.heldBytes += size
	s.mu.Unlock()
	if old != nil {
		s.remove(old.name)
	}
	return nil
}

// keyOf is the key of rec's call, or "" when it has no id: such records
// replace nothing and are each kept.
func keyOf(rec *call.Record) string {
	if rec.ID == "" {
		return ""
	}
	return rec.Key()
}

// unhold takes the checkpoint of key, if any, out of held and returns it.
// The caller holds mu.
func (s *Spool) unhold(key string) *entry {
	e := s.held[key]
	if e != nil {
		delete(s.held, key)
		s.heldBytes -= e.size
	}
	return e
}

// notKept logs a checkpoint Checkpoint could not keep, and returns err.
func (s *Spool) notKept(id string, err error) error {
	s.log.Warn("call checkpoint not kept; the previous one stays", "call_id", id, "err", err)
	return err
}

// lost counts and logs a record Put could not keep, and returns err. The
// log line names the call, never the caller's number or what was said.
func (s *Spool) lost(id string, err error) error {
	inc(s.cfg.Failed)
	s.log.Error("call record lost", "call_id", id, "err", err)
	return err
}

// Run writes waiting records to the sink until ctx ends: oldest first, as
// fast as the sink takes them. After a failed save it waits (RetryMin,
// doubling up to RetryMax, with jitter) before the next attempt, and the
// record goes to the back of the queue, so that one record the sink keeps
// failing on does not hold back the others; new Puts do not cut the wait
// short. A record refused with a Permanent error is set aside in
// Dir/failed. Run returns when ctx ends, after the save in flight, if any,
// has finished (at most SaveTimeout later).
func (s *Spool) Run(ctx context.Context) {
	bo := backoff{min: s.cfg.RetryMin, max: s.cfg.RetryMax}
	for {
		if s.Len() == 0 {
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
				continue
			}
		}
		if !s.takeTurn(ctx) {
			return
		}
		// A save under way is left to finish when ctx ends, so that a
		// record the sink got is not written again by Flush.
		res, err := s.saveNext(context.WithoutCancel(ctx))
		<-s.saving
		switch res {
		case saved, refused:
			if bo.failing() {
				bo.reset()
				s.log.Info("call records are written again", "waiting", s.Len())
			}
		case failed:
			d := bo.next()
			s.log.Warn("call record not written; will retry", "waiting", s.Len(), "retry_in", d, "err", err)
			if !sleep(ctx, d) {
				return
			}
		}
	}
}

// Flush writes the waiting records now, whatever Run's backoff, until none
// is left or ctx ends, and returns how many are left. Between failed saves
// it backs off as Run does (from RetryMin), so a shutdown does not hammer a
// database that is down. What remains stays on disk for the next Open; the
// error then says why, and wraps ctx's error. It is safe to call while Run
// runs (they take turns with the sink) and after Run has returned.
func (s *Spool) Flush(ctx context.Context) (remaining int, err error) {
	bo := backoff{min: s.cfg.RetryMin, max: s.cfg.RetryMax}
	var last error // of the last failed save
	for {
		if !s.takeTurn(ctx) {
			return s.flushStopped(ctx, last)
		}
		res, err := s.saveNext(ctx)
		<-s.saving
		switch res {
		case empty:
			return 0, nil
		case saved, refused:
			bo.reset()
		case failed:
			last = err
			if !sleep(ctx, bo.next()) {
				return s.flushStopped(ctx, last)
			}
		}
	}
}

func (s *Spool) flushStopped(ctx context.Context, last error) (int, error) {
	n := s.Len()
	switch {
	case n == 0:
		return 0, nil
	case last != nil:
		return n, fmt.Errorf("spool: %d records not written: %w (last save: %w)", n, context.Cause(ctx), last)
	}
	return n, fmt.Errorf("spool: %d records not written: %w", n, context.Cause(ctx))
}

// takeTurn waits for the saving token. It reports false, without the
// token, once ctx has ended.
func (s *Spool) takeTurn(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false // select would pick at random when both are ready
	}
	select {
	case <-ctx.Done():
		return false
	case s.saving <- struct{}{}:
		return true
	}
}

// sleep waits d, or less if ctx ends first; it reports whether ctx is
// still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// result is what became of the record saveNext took.
type result int

const (
	empty      result = iota // nothing was waiting
	saved                    // the sink has it; its file is gone
	refused                  // the sink refused it for good; set aside
	unreadable               // its file is corrupt (set aside) or gone; the sink was not asked
	failed                   // the save failed; it waits at the back of the queue
)

// saveNext saves the record at the head of the queue. The caller holds the
// saving token. The error is the one of a failed save.
func (s *Spool) saveNext(ctx context.Context) (result, error) {
	s.mu.Lock()
	if len(s.queue) == 0 {
		s.mu.Unlock()
		return empty, nil
	}
	e := s.queue[0]
	e.inFlight = true
	s.mu.Unlock()

	data, err := readFile(filepath.Join(s.cfg.Dir, e.name), s.readLimit())
	var rec *call.Record
	if err == nil {
		rec, err = decode(data)
	}
	switch {
	case errors.Is(err, errCorrupt):
		if s.done(e, false) {
			s.setAside(e.name, e.id, err)
		}
		return unreadable, nil
	case errors.Is(err, os.ErrNotExist):
		// Removed behind our back: nothing left to save.
		s.done(e, false)
		s.log.Error("spooled call record file disappeared", "call_id", e.id, "file", e.name)
		return unreadable, nil
	case err != nil:
		// A read error that may pass (too many open files, say).
		if !s.done(e, true) {
			s.remove(e.name)
		}
		return failed, fmt.Errorf("call %s: %w", e.id, err)
	}

	sctx, cancel := context.WithTimeout(ctx, s.cfg.SaveTimeout)
	err = s.sink.SaveCall(sctx, rec)
	cancel()

	res := saved
	switch {
	case IsPermanent(err):
		res = refused
	case err != nil:
		res, err = failed, fmt.Errorf("call %s: %w", e.id, err)
	}
	switch current := s.done(e, res == failed); {
	case !current:
		s.remove(e.name) // replaced by a newer Put, which will be saved in turn
	case res == saved:
		s.remove(e.name)
		inc(s.cfg.Written)
	case res == refused:
		s.setAside(e.name, e.id, err)
	}
	if res == failed {
		return res, err
	}
	return res, nil
}

// done ends e's save. If e is still the call's current record it is taken
// out of the queue, or moved to its back when retry is set, and done
// reports true; it reports false if a newer Put replaced e meanwhile.
func (s *Spool) done(e *entry, retry bool) (current bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.inFlight = false
	if e.replaced {
		return false
	}
	s.unlink(e)
	if retry {
		s.link(e)
	}
	s.setWaiting()
	return true
}

// link appends e to the queue. The caller holds mu.
func (s *Spool) link(e *entry) {
	s.queue = append(s.queue, e)
	s.bytes += e.size
	if e.key != "" {
		s.byKey[e.key] = e
	}
}

// unlink takes e out of the queue. The caller holds mu.
func (s *Spool) unlink(e *entry) {
	if i := slices.Index(s.queue, e); i >= 0 {
		s.queue = slices.Delete(s.queue, i, i+1)
		s.bytes -= e.size
	}
	if s.byKey[e.key] == e {
		delete(s.byKey, e.key)
	}
}

// setWaiting reports the queue length. The caller holds mu, so that
// reports are not reordered.
func (s *Spool) setWaiting() {
	if s.cfg.Waiting != nil {
		s.cfg.Waiting.Set(float64(len(s.queue)))
	}
}

// remove deletes a record file the sink has (or that a newer one
// replaced). The directory is not synced: if a crash undoes the removal,
// the record is written again on the next start, which the sink's
// idempotency makes harmless.
func (s *Spool) remove(name string) {
	if err := os.Remove(filepath.Join(s.cfg.Dir, name)); err != nil {
		s.log.Warn("written call record file not removed", "file", name, "err", err)
	}
}

// setAside moves the file name of Dir to Dir/failed, with the reason in a
// file next to it, counts it as Failed and logs it. The record is kept for
// a human to look at; the spool never tries it again. If the move fails
// the file stays where it is and is tried again on the next start.
func (s *Spool) setAside(name, id string, why error) {
	defer inc(s.cfg.Failed) // last, so that a test seeing the count sees the files moved
	dst := freeName(s.failedDir, name)
	note := fmt.Sprintf("%s\n%s\n", time.Now().UTC().Format(time.RFC3339), why)
	if err := writeFileSync(s.failedDir, dst+errorSuffix, []byte(note)); err != nil {
		s.log.Warn("reason of a set-aside call record not written", "file", dst+errorSuffix, "err", err)
	}
	err := os.Rename(filepath.Join(s.cfg.Dir, name), filepath.Join(s.failedDir, dst))
	if err == nil {
		err = errors.Join(syncDir(s.failedDir), syncDir(s.cfg.Dir))
	}
	if err != nil {
		s.log.Error("call record could not be set aside; left for the next start", "call_id", id, "file", name, "reason", why, "err", err)
		return
	}
	s.log.Error("call record set aside", "call_id", id, "file", filepath.Join(failedDirName, dst), "err", why)
}

func inc(c prometheus.Counter) {
	if c != nil {
		c.Inc()
	}
}
