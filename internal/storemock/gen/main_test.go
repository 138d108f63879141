package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/tirevoice/assistant/internal/store"
)

// TestFixturesUpToDate: the committed fixtures are this generator's output.
func TestFixturesUpToDate(t *testing.T) {
	want, err := render(generate())
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../fixtures/dataset.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("fixtures/dataset.json is stale: run go generate ./internal/storemock")
	}
}

// TestFixturesShape checks what the brief for the seed data asks.
func TestFixturesShape(t *testing.T) {
	d := generate()
	if len(d.Tires) < 200 || len(d.Orders) != 50 || len(d.Stations) != 10 || len(d.Bookings) == 0 {
		t.Fatalf("counts %+v", d.Counts())
	}
	perSize := map[string]int{}
	brands, seasons, zero, studded := map[string]bool{}, map[store.Season]bool{}, 0, 0
	for _, tr := range d.Tires {
		perSize[tr.Size()]++
		brands[tr.Brand], seasons[tr.Season] = true, true
		if tr.Stock == 0 {
			zero++
		}
		if tr.Studded {
			studded++
		}
		if tr.Price < 3500 || tr.Price > 35000 {
			t.Errorf("%s price %d", tr.ID, tr.Price)
		}
	}
	for _, s := range []string{"175/70 R13", "185/65 R15", "195/65 R15", "205/55 R16", "215/60 R16", "225/45 R17", "235/55 R18", "265/65 R17"} {
		if perSize[s] < 5 {
			t.Errorf("%s: %d options", s, perSize[s])
		}
	}
	if len(brands) < 12 || len(seasons) != 3 || zero == 0 || studded == 0 {
		t.Errorf("brands %d seasons %d zero-stock %d studded %d", len(brands), len(seasons), zero, studded)
	}
	statuses, perPhone := map[store.OrderStatus]int{}, map[string]int{}
	for _, o := range d.Orders {
		statuses[o.Status]++
		perPhone[o.Phone]++
	}
	if len(statuses) != len(store.OrderStatuses()) {
		t.Errorf("statuses %v", statuses)
	}
	if perPhone["+79161234567"] < 2 {
		t.Errorf("+79161234567 has %d orders", perPhone["+79161234567"])
	}
	cities := map[string]bool{}
	for _, s := range d.Stations {
		cities[s.City] = true
	}
	if len(cities) != 5 {
		t.Errorf("cities %v", cities)
	}
}
