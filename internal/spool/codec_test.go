package spool

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/call"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestRoundTripEveryField fills every field of call.Record, however deep,
// by reflection, so that a field added later is covered without anyone
// remembering this test: if the spool's encoding ever drops it, the
// comparison fails.
func TestRoundTripEveryField(t *testing.T) {
	var rec call.Record
	n := 0
	populate(t, reflect.ValueOf(&rec).Elem(), "Record", &n)

	data, err := encode(&rec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decode(data)
	if err != nil {
		t.Fatal(err)
	}
	// Times are compared as instants: the encoding drops the monotonic
	// reading (by design) and may give back another *time.Location for
	// the same offset.
	want := rec
	want.Turns = cloneTurns(rec.Turns)
	normTimes(reflect.ValueOf(&want).Elem())
	normTimes(reflect.ValueOf(got).Elem())
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("round trip changed the record:\n got %+v\nwant %+v", *got, want)
	}
}

var timeType = reflect.TypeFor[time.Time]()

// populate sets every field reachable from v to a distinct non-zero value.
// It fails on what it cannot set (an unexported field, which JSON would
// drop) and on kinds it does not know: extend it, never skip a field.
func populate(t *testing.T, v reflect.Value, path string, n *int) {
	t.Helper()
	*n++
	if v.Type() == timeType {
		// time.Now carries a monotonic reading and the local zone, as the
		// records of real calls do.
		v.Set(reflect.ValueOf(time.Now().Add(time.Duration(*n) * time.Hour)))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				t.Fatalf("%s.%s is unexported: the spool would drop it", path, f.Name)
			}
			populate(t, v.Field(i), path+"."+f.Name, n)
		}
	case reflect.String:
		v.SetString(fmt.Sprintf("%s #%d «ёж» \"q\"\n", path, *n))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64: // time.Duration too
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.25)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range s.Len() {
			populate(t, s.Index(i), fmt.Sprintf("%s[%d]", path, i), n)
		}
		v.Set(s)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		populate(t, v.Elem(), path, n)
	default:
		t.Fatalf("%s: populate does not handle kind %s yet: extend it (and normTimes)", path, v.Kind())
	}
}

// normTimes rewrites every time.Time reachable from v (addressable) as the
// same instant in UTC without a monotonic reading.
func normTimes(v reflect.Value) {
	if v.Type() == timeType {
		v.Set(reflect.ValueOf(v.Interface().(time.Time).UTC().Round(0)))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			normTimes(v.Field(i))
		}
	case reflect.Slice:
		for i := range v.Len() {
			normTimes(v.Index(i))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			normTimes(v.Elem())
		}
	}
}

// cloneTurns copies turns deeply enough for normTimes not to touch the
// original.
func cloneTurns(ts []call.Turn) []call.Turn {
	out := append([]call.Turn(nil), ts...)
	for i := range out {
		out[i].BotText = append([]string(nil), ts[i].BotText...)
		out[i].Tools = append([]call.ToolCall(nil), ts[i].Tools...)
	}
	return out
}

// goldenRecord is the record of testdata/record-v1.json.
func goldenRecord() *call.Record {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 123456789, time.UTC)
	return &call.Record{
		ID: "5f0c6b1e-8a2d-4c3b-9e7f-1a2b3c4d5e6f", Caller: "+79160000000", Called: "+74950000000",
		Environment: "staging", Rate: 16000, Started: t0, Ended: t0.Add(95 * time.Second),
		Outcome: "operator", Disposition: call.DispositionOperator, Reason: "caller pressed 0",
		Failure: "stt: deadline exceeded", GreetingLatency: 180 * time.Millisecond,
		Turns: []call.Turn{{
			N: 1, CallerText: "есть летние шины 205/55 R16?", BotText: []string{"Секунду.", "Есть четыре модели."},
			Action: "continue", Interrupted: true, Failure: "tts",
			Tools: []call.ToolCall{{Name: "search_tires", Args: `{"size":"205/55 R16","season":"summer"}`,
				Result: "4 модели", Error: "", Duration: 42 * time.Millisecond}},
			SpeechEnd: t0.Add(5 * time.Second), STTLatency: 300 * time.Millisecond, ReplyLatency: 400 * time.Millisecond,
			TTSLatency: 150 * time.Millisecond, TurnLatency: 900 * time.Millisecond,
		}},
		BargeIns: 1, NoInputs: 2, DTMF: "0", Underruns: 3, BotFramesAfterBargeIn: 1,
	}
}

// TestDecodeGolden reads a file written by this format's first version.
// It decodes strictly: a field of call.Record renamed or removed since
// would silently vanish from files waiting in a spool across an upgrade,
// so such a change must keep the old JSON name.
func TestDecodeGolden(t *testing.T) {
	path := filepath.Join("testdata", "record-v1.json")
	if *update {
		data, err := encode(goldenRecord())
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := json.Indent(&b, data, "", "  "); err != nil {
			t.Fatal(err)
		}
		b.WriteByte('\n')
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("a field of the golden file is no longer known (renamed or removed?): %v", err)
	}
	got, err := decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if want := goldenRecord(); !reflect.DeepEqual(got, want) {
		t.Errorf("golden file decodes to\n%+v\nwant\n%+v", got, want)
	}
}

func TestDecodeRejects(t *testing.T) {
	valid, err := encode(goldenRecord())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data string
	}{
		{"empty", ""},
		{"not json", "{not json"},
		{"truncated", string(valid[:len(valid)-1])},
		{"trailing data", string(valid) + "{}"},
		{"array", "[]"},
		{"null", "null"},
		{"no version", `{"record":{"ID":"a"}}`},
		{"future version", `{"v":2,"record":{"ID":"a"}}`},
		{"no record", `{"v":1}`},
		{"null record", `{"v":1,"record":null}`},
		{"wrong type", `{"v":1,"record":{"ID":7}}`},
		{"bad time", `{"v":1,"record":{"ID":"a","Started":"yesterday"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := decode([]byte(tc.data))
			if !errors.Is(err, errCorrupt) {
				t.Errorf("decode = %+v, %v; want an error wrapping errCorrupt", rec, err)
			}
		})
	}
}

func TestEncodeRefusesWhatJSONCannotHold(t *testing.T) {
	rec := &call.Record{ID: "a", Started: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := encode(rec); err == nil {
		t.Error("a year past 9999 encoded")
	}
}

// TestCheckpointMark: a checkpoint file says so; a final record's file
// does not carry the field at all, so files of finished calls stay as the
// first version wrote them.
func TestCheckpointMark(t *testing.T) {
	rec := goldenRecord()
	for _, checkpoint := range []bool{false, true} {
		data, err := encodeFile(rec, checkpoint)
		if err != nil {
			t.Fatal(err)
		}
		f, err := decodeFile(data)
		if err != nil || f.Checkpoint != checkpoint || !reflect.DeepEqual(f.Record, rec) {
			t.Errorf("checkpoint %v: decoded %+v, %v", checkpoint, f, err)
		}
		if has := bytes.Contains(data, []byte(`"checkpoint"`)); has != checkpoint {
			t.Errorf("checkpoint %v: file %s", checkpoint, data)
		}
	}
}
