package shop

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/storemock/storemocktest"
	"github.com/tirevoice/assistant/internal/tools"
)

// In the store mock's fixtures +79161234567 (Иван Петров) has seven
// orders, 100001 among them; 100002 is +79115551313's; +79990001122 has
// none.
const (
	ivan     = "+79161234567"
	stranger = "+79990001122"
)

// personal matches what no answer about someone else's order may hold:
// Иван's name, address, number (in any grouping) or its last digits, and
// any amount.
var personal = regexp.MustCompile(`Иван|Петров|Строителей|916|4567|45 67|рубл|сумм`)

// noPersonalData fails if the JSON of data names a person: no name, phone
// or address field, and nothing of the fixtures' people.
func noPersonalData(t *testing.T, data any) {
	t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`"name"`, `"phone"`, `"address"`, "Иван", "Петров", "Строителей", "+7916", "9161234567", "+7911"} {
		if strings.Contains(string(raw), bad) {
			t.Errorf("Data holds %s: %s", bad, raw)
		}
	}
}

func answerOf(t *testing.T, res tools.Result) OrderAnswer {
	t.Helper()
	a, ok := res.Data.(OrderAnswer)
	if !ok {
		t.Fatalf("Data is %T, want OrderAnswer", res.Data)
	}
	return a
}

func TestOrderStatusTellsOnlyTheCallersOrders(t *testing.T) {
	reg, _ := startShop(t)
	tests := []struct {
		name    string
		caller  string // registered number; "" withheld
		args    string
		say     []string // the answer holds these
		orders  int      // orders in Data
		need    string
		private bool // nothing of Иван's may be said
	}{
		{"own orders", ivan, `{}`, []string{"Заказ номер 1000", ". Всего на ваш номер 7 заказов, я назвала последние."}, 7, "", false},
		{"own number said in another form", ivan, `{"phone":"8 916 123-45-67"}`, []string{"Всего на ваш номер 7 заказов"}, 7, "", false},
		{"someone else's number", stranger, `{"phone":"8 916 123 45 67"}`, []string{"только заказы того номера, с которого вы звоните"}, 0, NeedOrderID, true},
		{"no orders on the caller's number", stranger, `{}`, []string{"заказов не найдено"}, 0, NeedOrderID, true},
		{"withheld number", "", `{}`, []string{"не вижу номера"}, 0, NeedOrderID, true},
		{"withheld number asks for someone's orders", "anonymous", `{"phone":"+79161234567"}`, []string{"не вижу номера"}, 0, NeedOrderID, true},
		{"own order by number", ivan, `{"order_id":"100001"}`, []string{"Заказ номер 100001 доставлен. Сумма", "рублей"}, 1, "", false},
		{"someone else's order by number", stranger, `{"order_id":"100001"}`, []string{"убедиться, что он ваш", "последние четыре цифры"}, 0, NeedProof, true},
		{"an order by number on a withheld number", "", `{"order_id":"100001"}`, []string{"последние четыре цифры"}, 0, NeedProof, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := callAs(t, reg, tools.NewCaller(tt.caller), "order_status", tt.args)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.say {
				if !strings.Contains(res.Say, want) {
					t.Errorf("Say %q lacks %q", res.Say, want)
				}
			}
			if tt.private && personal.MatchString(res.Say) {
				t.Errorf("Say %q tells about someone else: %q", res.Say, personal.FindString(res.Say))
			}
			a := answerOf(t, res)
			if len(a.Orders) != tt.orders || a.Need != tt.need {
				t.Errorf("Data: %d orders, need %q; want %d, %q", len(a.Orders), a.Need, tt.orders, tt.need)
			}
			noPersonalData(t, res.Data)
		})
	}
}

// TestOrderViewHasWhatTheCallerNeeds: the model still gets the status,
// items, total and dates of the caller's own orders.
func TestOrderViewHasWhatTheCallerNeeds(t *testing.T) {
	reg, _ := startShop(t)
	res, err := callAs(t, reg, tools.NewCaller(ivan), "order_status", `{"order_id":"100001"}`)
	if err != nil {
		t.Fatal(err)
	}
	v := answerOf(t, res).Orders[0]
	if v.ID != "100001" || v.Status == "" || v.Total <= 0 || len(v.Items) == 0 || v.Items[0].Description == "" || v.Created == "" {
		t.Errorf("view %+v", v)
	}
}

// TestUnknownAndForeignOrdersSoundAlike: whether an order number exists
// is itself not told; the answers differ only in the number said back.
func TestUnknownAndForeignOrdersSoundAlike(t *testing.T) {
	reg, _ := startShop(t)
	caller := tools.NewCaller(stranger)
	foreign, err1 := callAs(t, reg, caller, "order_status", `{"order_id":"100002"}`)
	unknown, err2 := callAs(t, reg, caller, "order_status", `{"order_id":"999999"}`)
	if err1 != nil || err2 != nil {
		t.Fatalf("errors %v, %v: an unknown order must not fail differently", err1, err2)
	}
	if strings.ReplaceAll(unknown.Say, "999999", "100002") != foreign.Say {
		t.Errorf("unknown order: %q\nforeign order: %q", unknown.Say, foreign.Say)
	}
	u, f := answerOf(t, unknown), answerOf(t, foreign)
	u.OrderID = f.OrderID
	if uj, fj := mustJSON(t, u), mustJSON(t, f); uj != fj {
		t.Errorf("unknown order Data %s, foreign order Data %s", uj, fj)
	}
	// The wrong proof of either sounds the same too.
	foreign, _ = callAs(t, reg, caller, "verify_order", `{"order_id":"100002","last4":"0000"}`)
	unknown, _ = callAs(t, reg, caller, "verify_order", `{"order_id":"999999","last4":"0000"}`)
	if foreign.Say != unknown.Say {
		t.Errorf("wrong proofs: %q and %q", foreign.Say, unknown.Say)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestProofOpensTheOrderForTheCall(t *testing.T) {
	var failed, locked int
	reg, _ := startShop(t, CountProofs(func() { failed++ }, func() { locked++ }))
	caller := tools.NewCaller("anonymous")
	res, _ := callAs(t, reg, caller, "order_status", `{"order_id":"100002"}`)
	if answerOf(t, res).Need != NeedProof {
		t.Fatalf("no proof asked: %q", res.Say)
	}
	res, err := callAs(t, reg, caller, "verify_order", `{"order_id":"100002","last4":"1234"}`)
	if err != nil || !strings.Contains(res.Say, "Цифры не совпадают") || answerOf(t, res).AttemptsLeft != 2 || personal.MatchString(res.Say) {
		t.Fatalf("a wrong proof: %v %q %+v", err, res.Say, res.Data)
	}
	res, err = callAs(t, reg, caller, "verify_order", `{"order_id":"100002","last4":"1313"}`)
	if err != nil || !strings.Contains(res.Say, "заказ подтверждён. Заказ номер 100002 доставлен. Сумма") || len(answerOf(t, res).Orders) != 1 {
		t.Fatalf("the right proof: %v %q", err, res.Say)
	}
	noPersonalData(t, res.Data)
	// Proved once, the order is read out for the rest of the call.
	res, _ = callAs(t, reg, caller, "order_status", `{"order_id":"100002"}`)
	if !strings.Contains(res.Say, "Заказ номер 100002 доставлен. Сумма") {
		t.Errorf("the proved order again: %q", res.Say)
	}
	// Not for another call, and not another order.
	if res, _ = callAs(t, reg, tools.NewCaller("anonymous"), "order_status", `{"order_id":"100002"}`); answerOf(t, res).Need != NeedProof {
		t.Errorf("another call hears the order: %q", res.Say)
	}
	if res, _ = callAs(t, reg, caller, "order_status", `{"order_id":"100001"}`); answerOf(t, res).Need != NeedProof {
		t.Errorf("another order is read out: %q", res.Say)
	}
	if failed != 1 || locked != 0 || caller.FailedProofs() != 1 {
		t.Errorf("counted %d failed, %d locked out; the caller failed %d", failed, locked, caller.FailedProofs())
	}
}

func TestThreeFailedProofsGoToAnOperator(t *testing.T) {
	var failed, locked int
	reg, srv := startShop(t, CountProofs(func() { failed++ }, func() { locked++ }))
	caller := tools.NewCaller(stranger)
	// An unknown order fails like a wrong proof of a real one.
	for i, args := range []string{
		`{"order_id":"100002","last4":"1111"}`,
		`{"order_id":"999999","last4":"1313"}`,
		`{"order_id":"100002","last4":"2222"}`,
	} {
		res, err := callAs(t, reg, caller, "verify_order", args)
		if err != nil {
			t.Fatal(err)
		}
		last := i == MaxFailedProofs-1
		if (res.Action == dialog.Transfer) != last {
			t.Fatalf("proof %d: action %v, say %q", i+1, res.Action, res.Say)
		}
		if last && !strings.Contains(res.Say, "Оставайтесь на линии, соединяю с оператором") {
			t.Errorf("lockout says %q", res.Say)
		}
	}
	if failed != 3 || locked != 1 {
		t.Errorf("counted %d failed, %d locked out; want 3, 1", failed, locked)
	}
	// Locked out: even the right digits, or asking again, go to an
	// operator, without asking the store.
	srv.Close()
	for _, c := range []struct{ tool, args string }{
		{"verify_order", `{"order_id":"100002","last4":"1313"}`},
		{"order_status", `{"order_id":"100002"}`},
	} {
		res, err := callAs(t, reg, caller, c.tool, c.args)
		if err != nil || res.Action != dialog.Transfer {
			t.Errorf("%s after the lockout: %v, action %v, %q", c.tool, err, res.Action, res.Say)
		}
	}
	if failed != 3 || locked != 1 {
		t.Errorf("after the lockout: counted %d failed, %d locked out", failed, locked)
	}
}

func TestVerifyNeedsTheCall(t *testing.T) {
	reg, _ := startShop(t)
	if _, err := call(t, reg, "verify_order", `{"order_id":"100002","last4":"1313"}`); !errors.Is(err, tools.ErrNoCaller) {
		t.Errorf("verify_order without a caller: %v", err)
	}
}

func bookedID(t *testing.T, res tools.Result) string {
	t.Helper()
	a, ok := res.Data.(BookingAnswer)
	if !ok {
		t.Fatalf("Data is %T", res.Data)
	}
	if a.Booked {
		return a.ID
	}
	return ""
}

func TestBookingIsForTheCallersNumber(t *testing.T) {
	reg, srv := startShop(t)
	slot := func(hour string) string {
		return `"station_id":"kzn-1","start":"` + tomorrow() + `T` + hour + `","name":"Анна"`
	}
	caller := tools.NewCaller(stranger)
	caller.NextTurn()

	// No number given: the caller's own, from the registration.
	res, err := callAs(t, reg, caller, "book_slot", `{`+slot("10:00")+`}`)
	id := bookedID(t, res)
	if err != nil || id == "" {
		t.Fatalf("own number: %v %q", err, res.Say)
	}
	if got := storemocktest.Bookings(t, srv)[id]; got != stranger {
		t.Errorf("booked for %q, want the caller's %s", got, stranger)
	}
	noPersonalData(t, res.Data)

	// Another number is read back, not booked, even if the model says it
	// is confirmed in the same turn.
	before := len(storemocktest.Bookings(t, srv))
	res, err = callAs(t, reg, caller, "book_slot", `{`+slot("11:00")+`,"phone":"89035551234"}`)
	if err != nil || bookedID(t, res) != "" || res.Data.(BookingAnswer).Need != NeedPhoneConfirmation ||
		res.Say != "Записываю на номер +7 903 555 12 34. Верно?" {
		t.Fatalf("another number: %v %q %+v", err, res.Say, res.Data)
	}
	res, _ = callAs(t, reg, caller, "book_slot", `{`+slot("11:00")+`,"phone":"89035551234","phone_confirmed":true}`)
	if bookedID(t, res) != "" {
		t.Fatalf("confirmed in the turn of the read-back: booked")
	}
	// Confirmed in a later turn, for a different number than read back:
	// read back again.
	caller.NextTurn()
	res, _ = callAs(t, reg, caller, "book_slot", `{`+slot("11:00")+`,"phone":"+79035559999","phone_confirmed":true}`)
	if bookedID(t, res) != "" || !strings.Contains(res.Say, "+7 903 555 99 99") {
		t.Fatalf("a number that was not read back: %q", res.Say)
	}
	if n := len(storemocktest.Bookings(t, srv)); n != before {
		t.Fatalf("%d bookings made without a confirmation", n-before)
	}
	// The caller heard it and says yes in the next turn.
	caller.NextTurn()
	res, err = callAs(t, reg, caller, "book_slot", `{`+slot("11:00")+`,"phone":"+7 903 555-99-99","phone_confirmed":true}`)
	id = bookedID(t, res)
	if err != nil || id == "" {
		t.Fatalf("confirmed number: %v %q", err, res.Say)
	}
	if got := storemocktest.Bookings(t, srv)[id]; got != "+79035559999" {
		t.Errorf("booked for %q", got)
	}

	// A withheld number: a contact number is asked for, then read back.
	anon := tools.NewCaller("")
	anon.NextTurn()
	res, _ = callAs(t, reg, anon, "book_slot", `{`+slot("12:00")+`}`)
	if res.Data.(BookingAnswer).Need != NeedPhone || res.Say != sayAskPhone {
		t.Errorf("withheld, no number: %q %+v", res.Say, res.Data)
	}
	res, _ = callAs(t, reg, anon, "book_slot", `{`+slot("12:00")+`,"phone":"+79035551234"}`)
	if res.Data.(BookingAnswer).Need != NeedPhoneConfirmation {
		t.Errorf("withheld, a number: %q", res.Say)
	}
	// Without the call's state no other number is ever booked.
	res, _ = call(t, reg, "book_slot", `{`+slot("12:00")+`,"phone":"+79035551234","phone_confirmed":true}`)
	if bookedID(t, res) != "" {
		t.Errorf("booked with no caller in the context")
	}
}

func TestSpeakPhone(t *testing.T) {
	for in, want := range map[string]string{"+79035551234": "+7 903 555 12 34", "+4930123456": "+4930123456"} {
		if got := speakPhone(in); got != want {
			t.Errorf("speakPhone(%q) = %q, want %q", in, got, want)
		}
	}
}
