// Command gen writes the Store API mock's seed data set,
// internal/storemock/fixtures/dataset.json. Its output depends on nothing
// but this file: a fixed seed drives a generator of its own (not
// math/rand, whose sequences may change between Go releases), so the same
// source always gives the same bytes. main_test.go checks that the
// committed file is this program's output.
//
// Usage (from internal/storemock, or via go generate there):
//
//	go run ./gen -o fixtures/dataset.json
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/tirevoice/assistant/internal/storemock"
)

func main() {
	out := flag.String("o", "fixtures/dataset.json", "file to write")
	flag.Parse()
	data, err := render(generate())
	if err == nil {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// asOf is the day the data set is written for; the mock moves it to the
// day it starts (see storemock.Dataset).
const asOf = "2026-01-12" // a Monday

// render is the file's bytes: indented JSON and a final newline.
func render(d storemock.Dataset) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func generate() storemock.Dataset {
	r := &rng{state: 20260112}
	stations := genStations()
	tires := genTires(r)
	return storemock.Dataset{
		AsOf:     asOf,
		Tires:    tires,
		Orders:   genOrders(r, tires, stations),
		Stations: stations,
		Bookings: genBookings(r, stations),
	}
}

// rng is SplitMix64: tiny, fixed, good enough for test data.
type rng struct{ state uint64 }

func (r *rng) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}
