package shop

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/routing"
	"github.com/tirevoice/assistant/internal/store"
	"github.com/tirevoice/assistant/internal/storemock/storemocktest"
	"github.com/tirevoice/assistant/internal/tools"
)

// startShop runs the Store API mock on loopback and returns the tools over
// a real client of it, and the server to stop.
func startShop(t *testing.T, opts ...Option) (*tools.Registry, *httptest.Server) {
	t.Helper()
	srv := storemocktest.Start(t)
	client := storemocktest.Client(t, srv, store.Config{Timeout: time.Second, MaxAttempts: 2, Backoff: time.Millisecond})
	reg, err := tools.NewRegistry(Tools(client, time.Now, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return reg, srv
}

func call(t *testing.T, reg *tools.Registry, name, args string) (tools.Result, error) {
	t.Helper()
	return reg.Call(context.Background(), name, json.RawMessage(args))
}

// callAs runs a tool for caller, as a conversation does.
func callAs(t *testing.T, reg *tools.Registry, caller *tools.Caller, name, args string) (tools.Result, error) {
	t.Helper()
	return reg.Call(tools.WithCaller(context.Background(), caller), name, json.RawMessage(args))
}

func tomorrow() string {
	return time.Now().In(time.FixedZone("MSK", 3*3600)).AddDate(0, 0, 1).Format(time.DateOnly)
}

// next is the date of the next wd after today, in Moscow.
func next(wd time.Weekday) string {
	d := time.Now().In(time.FixedZone("MSK", 3*3600)).AddDate(0, 0, 1)
	for d.Weekday() != wd {
		d = d.AddDate(0, 0, 1)
	}
	return d.Format(time.DateOnly)
}

func TestShopTools(t *testing.T) {
	reg, _ := startShop(t)
	tests := []struct {
		name    string
		tool    string
		args    string
		wantErr error
		say     []string // phrases the answer must contain
	}{
		{"search with stock: the first offer and its price first", "search_tires", `{"width":205,"profile":55,"rim":16,"season":"winter"}`, nil,
			[]string{"Зимние есть за 7 490 рублей: Gislaved Soft Frost 200. Ещё "}},
		{"search reads at most three", "search_tires", `{"width":205,"profile":55,"rim":16}`, nil,
			[]string{"Есть за ", " рублей: ", " Ещё ", " и ", "Это самые недорогие из одиннадцати."}},
		{"search with no stock: no, in the genitive", "search_tires", `{"width":315,"profile":35,"rim":22,"season":"summer","brand":"Cordiant"}`, nil,
			[]string{"Нет, летних шин Cordiant этого размера сейчас нет в наличии. Могу поискать другой сезон или другой бренд, или соединить с оператором."}},
		{"a price limit nothing fits: said back, with the cheapest above it", "search_tires", `{"width":205,"profile":55,"rim":16,"season":"winter","max_price":6000}`, nil,
			[]string{"Нет, до шести тысяч рублей зимних шин этого размера нет. Самые недорогие — Gislaved Soft Frost 200 за 7 490 рублей."}},
		{"a price limit that fits", "search_tires", `{"width":205,"profile":55,"rim":16,"season":"winter","max_price":8000}`, nil,
			[]string{"Зимние есть за 7 490 рублей: Gislaved Soft Frost 200."}},
		{"search with an impossible size", "search_tires", `{"width":2050,"profile":55,"rim":16}`, tools.ErrInvalidArgs, nil},
		{"stations in Kazan", "find_stations", `{"city":"Казань"}`, nil, []string{"В Казани две станции: проспект Победы, 91; улица Копылова, 12."}},
		{"stations nowhere", "find_stations", `{"city":"Урюпинск"}`, nil, []string{"В Урюпинске у нас пока нет станций"}},
		{"hours on a Sunday", "find_stations", `{"city":"Казань","date":"` + next(time.Sunday) + `"}`, nil,
			[]string{" в Казани: проспект Победы — с десяти до восемнадцати, улица Копылова — выходной."}},
		{"hours on a Monday", "find_stations", `{"city":"Москва","date":"` + next(time.Monday) + `"}`, nil,
			[]string{" в Москве станции работают с девяти до двадцати одного, Варшавское шоссе — с восьми до двадцати двух."}},
		{"free slots tomorrow", "free_slots", `{"station_id":"kzn-1","date":"` + tomorrow() + `"}`, nil, []string{"Завтра, ", " свободно в "}},
		{"hours today, on the stations' calendar", "find_stations", `{"city":"Новосибирск","date":"today"}`, nil,
			[]string{"Сегодня в Новосибирске станция работает с "}},
		{"hours tomorrow", "find_stations", `{"city":"Казань","date":"tomorrow"}`, nil, []string{"Завтра в Казани"}},
		{"hours on a day that is not a date", "find_stations", `{"city":"Казань","date":"someday"}`, tools.ErrInvalidArgs, nil},
		{"operator: what happens next", "transfer_to_operator", `{"reason":"caller asked"}`, nil, []string{"Оставайтесь на линии, соединяю с оператором."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := call(t, reg, tt.tool, tt.args)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			for _, want := range tt.say {
				if !strings.Contains(res.Say, want) {
					t.Errorf("Say %q lacks %q", res.Say, want)
				}
			}
		})
	}
}

func TestBookingAFreeSlotThenTheSameSlot(t *testing.T) {
	reg, _ := startShop(t)
	res, err := call(t, reg, "free_slots", `{"station_id":"kzn-1","date":"`+tomorrow()+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	slots := res.Data.(map[string]any)["slots"].([]string)
	if len(slots) == 0 {
		t.Fatalf("no free slots tomorrow: %s", res.Say)
	}
	caller := tools.NewCaller("+79031234567")
	args := `{"station_id":"kzn-1","start":"` + tomorrow() + `T` + slots[0] + `","name":"Иван"}`
	res, err = callAs(t, reg, caller, "book_slot", args)
	if err != nil || !strings.Contains(res.Say, "вы записаны") {
		t.Fatalf("booking: %v %q", err, res.Say)
	}
	res, err = callAs(t, reg, caller, "book_slot", args)
	if !errors.Is(err, store.ErrConflict) || !strings.Contains(res.Say, "уже занято") {
		t.Fatalf("second booking of the slot: %v %q", err, res.Say)
	}
}

func TestEndCallAndTransferAskTheCall(t *testing.T) {
	reg, _ := startShop(t)
	if res, _ := call(t, reg, "end_call", `{}`); res.Action != dialog.Hangup {
		t.Errorf("end_call action %v", res.Action)
	}
	if res, _ := call(t, reg, "transfer_to_operator", `{}`); res.Action != dialog.Transfer || res.Topic != routing.TopicGeneral {
		t.Errorf("transfer: action %v, topic %q; want transfer, general", res.Action, res.Topic)
	}
}

// TestTransferTopic: the topic the model names reaches the call's outcome,
// and a topic the routing rule does not know is refused by the schema.
func TestTransferTopic(t *testing.T) {
	reg, _ := startShop(t)
	for _, topic := range routing.Topics {
		res, err := call(t, reg, "transfer_to_operator", `{"reason":"r","topic":"`+string(topic)+`"}`)
		if err != nil || res.Action != dialog.Transfer || res.Topic != topic {
			t.Errorf("topic %s: %v, action %v, topic %q", topic, err, res.Action, res.Topic)
		}
	}
	if _, err := call(t, reg, "transfer_to_operator", `{"topic":"weather"}`); !errors.Is(err, tools.ErrInvalidArgs) {
		t.Errorf("an unknown topic: %v, want ErrInvalidArgs", err)
	}
}

// TestStoreDown: with the store gone, every store tool apologises and
// offers an operator, and reports the store as unavailable.
func TestStoreDown(t *testing.T) {
	reg, srv := startShop(t)
	srv.Close()
	for _, c := range []struct{ tool, args string }{
		{"search_tires", `{"width":205,"profile":55,"rim":16}`},
		{"order_status", `{"order_id":"100001"}`},
		{"order_status", `{}`},
		{"verify_order", `{"order_id":"100001","last4":"4567"}`},
		{"find_stations", `{"city":"Москва"}`},
	} {
		caller := tools.NewCaller("+79161234567")
		res, err := callAs(t, reg, caller, c.tool, c.args)
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s: err = %v, want unavailable", c.tool, err)
		}
		if res.Say != Unavailable {
			t.Errorf("%s: Say = %q", c.tool, res.Say)
		}
		if n := caller.FailedProofs(); n != 0 {
			t.Errorf("%s: the store's failure counted as %d failed proofs", c.tool, n)
		}
	}
}
