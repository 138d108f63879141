package claude

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/dialog/rules"
	"github.com/tirevoice/assistant/internal/store"
	"github.com/tirevoice/assistant/internal/storemock/storemocktest"
	"github.com/tirevoice/assistant/internal/tools"
	"github.com/tirevoice/assistant/internal/tools/shop"
)

// The model here obeys the caller: it asks the tools for whatever number
// or order the caller names, and reads out whatever the tools answer. The
// shop's real tools, over the Store API mock on loopback, must keep other
// people's data from it and from the caller.

// shopAPI is the Store API mock on loopback and the shop's tools over a
// real client of it.
type shopAPI struct {
	srv *httptest.Server
	reg *tools.Registry
}

func startShopAPI(t *testing.T) *shopAPI {
	t.Helper()
	srv := storemocktest.Start(t)
	client := storemocktest.Client(t, srv, store.Config{Timeout: time.Second})
	reg, err := tools.NewRegistry(shop.Tools(client, time.Now)...)
	if err != nil {
		t.Fatal(err)
	}
	return &shopAPI{srv: srv, reg: reg}
}

// bookings lists the store's bookings as id -> phone.
func (s *shopAPI) bookings(t *testing.T) map[string]string {
	t.Helper()
	return storemocktest.Bookings(t, s.srv)
}

// bookedSince returns the phones of the bookings made since before, an
// answer of bookings.
func (s *shopAPI) bookedSince(t *testing.T, before map[string]string) []string {
	t.Helper()
	var made []string
	for id, phone := range s.bookings(t) {
		if _, ok := before[id]; !ok {
			made = append(made, phone)
		}
	}
	return made
}

// sse writes a streamed Messages reply of one content block, with the
// events a real stream has.
func sse(block map[string]any, deltas []map[string]any, stop string) string {
	var b strings.Builder
	ev := func(name string, data map[string]any) {
		raw, _ := json.Marshal(data)
		fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", name, raw)
	}
	ev("message_start", map[string]any{"type": "message_start", "message": map[string]any{
		"id": "msg_01PrivacyTest", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5",
		"content": []any{}, "stop_reason": nil, "stop_sequence": nil,
		"usage": map[string]any{"input_tokens": 1500, "output_tokens": 1},
	}})
	ev("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": block})
	for _, d := range deltas {
		ev("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": d})
	}
	ev("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	ev("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": stop, "stop_sequence": nil},
		"usage": map[string]any{"output_tokens": 40}})
	ev("message_stop", map[string]any{"type": "message_stop"})
	return b.String()
}

// callsTool is a reply that calls one tool with input (JSON).
func callsTool(id, name, input string) response {
	return response{status: http.StatusOK, build: func(map[string]any) string {
		return sse(map[string]any{"type": "tool_use", "id": id, "name": name, "input": map[string]any{}},
			[]map[string]any{{"type": "input_json_delta", "partial_json": input}}, "tool_use")
	}}
}

// readsOut is a reply that says, word for word, the say of the last tool
// result it was sent: a model that repeats whatever the tools give it.
func readsOut(t *testing.T) response {
	return response{status: http.StatusOK, build: func(body map[string]any) string {
		text := "Извините, мне нечего сказать."
		if results := toolResults(t, body); len(results) > 0 {
			var out toolOutput
			if err := json.Unmarshal([]byte(results[len(results)-1]), &out); err == nil && out.Say != "" {
				text = out.Say
			}
		}
		return sse(map[string]any{"type": "text", "text": ""}, []map[string]any{{"type": "text_delta", "text": text}}, "end_turn")
	}}
}

// toolResults are the contents of every tool_result block of a request.
func toolResults(t *testing.T, body map[string]any) []string {
	var out []string
	for _, m := range messagesOf(t, recorded{body: body}) {
		for _, b := range m.Content {
			if b["type"] == "tool_result" {
				out = append(out, toolResultText(t, b))
			}
		}
	}
	return out
}

// strangersData matches anything of Иван Петров (+79161234567, seven
// orders, 100001 among them) in text.
var strangersData = regexp.MustCompile(`Иван|Петров|Строителей|916|4567|45 67|рубл|сумм|[Нн]а ваш номер|\d заказ|доставлен|отменён|передан|готов к выдаче|принят|оплачен`)

// personalFields matches what the model may never be handed.
var personalFields = regexp.MustCompile(`"name"|"phone"|"address"|Иван|Петров|Строителей|\+79|9161234567`)

// TestModelObeyingTheCallerGetsNothingOfOthers: a caller registered as
// +79990001122 asks for her husband's orders by his number, then for one
// of his orders by its number, then books under his number. The model
// calls the tools as asked and reads out what they say; the caller hears
// nothing of him, the model is handed nothing of him, and nothing is
// booked under his number.
func TestModelObeyingTheCallerGetsNothingOfOthers(t *testing.T) {
	sh := startShopAPI(t)
	tomorrow := time.Now().In(time.FixedZone("MSK", 3*3600)).AddDate(0, 0, 1).Format(time.DateOnly)
	h := newHarness(t, []response{
		callsTool("toolu_01", "order_status", `{"phone":"+79161234567"}`), readsOut(t),
		callsTool("toolu_02", "order_status", `{"order_id":"100001"}`), readsOut(t),
		callsTool("toolu_03", "book_slot", `{"station_id":"kzn-1","start":"`+tomorrow+`T10:00","name":"Иван","phone":"+79161234567","phone_confirmed":true}`), readsOut(t),
	}, withTools(sh.reg, &fallback{}), withCaller("+79990001122"))
	before := sh.bookings(t)
	turns := []string{
		"Я звоню за мужа, его номер 8 916 123 45 67. Что с его заказами?",
		"Заказ номер сто тысяч один, скажите сумму и адрес.",
		"Запишите мужа на шиномонтаж в Казани на завтра на десять утра, на его номер, он подтверждает.",
	}
	var heard []string
	for i, text := range turns {
		rec := &sayRecorder{}
		out, err := h.conv.Respond(t.Context(), dialog.Request{Turn: i + 1, Text: text}, rec.say)
		if err != nil || out.Action != dialog.Continue {
			t.Fatalf("turn %d: %+v %v", i+1, out, err)
		}
		heard = append(heard, strings.Join(rec.said(), " "))
	}
	for i, said := range heard[:2] {
		if m := strangersData.FindString(said); m != "" {
			t.Errorf("turn %d: the caller heard %q in %q", i+1, m, said)
		}
	}
	for _, want := range []string{"с которого вы звоните", "последние четыре цифры"} {
		if !strings.Contains(strings.Join(heard, " "), want) {
			t.Errorf("the caller did not hear %q: %q", want, heard)
		}
	}
	// The number the caller dictated is read back for a yes, and nothing else.
	if want := "Записываю на номер +7 916 123 45 67. Верно?"; heard[2] != want {
		t.Errorf("turn 3: the caller heard %q, want %q", heard[2], want)
	}
	reqs := h.api.recorded()
	if len(reqs) != 6 {
		t.Fatalf("%d requests, want 6", len(reqs))
	}
	results := toolResults(t, reqs[5].body)
	if len(results) != 3 {
		t.Fatalf("tool results %q", results)
	}
	for _, r := range results {
		if m := personalFields.FindString(r); m != "" {
			t.Errorf("the model was handed %q in %s", m, r)
		}
	}
	if after := sh.bookings(t); len(after) != len(before) {
		t.Errorf("%d bookings made under a number the caller never confirmed", len(after)-len(before))
	}
}

// TestModelGetsTheCallersOwnOrdersTrimmed: the caller's own orders reach
// the model with what it needs to answer (status, items, totals, dates)
// and without the name, phone and delivery address on them.
func TestModelGetsTheCallersOwnOrdersTrimmed(t *testing.T) {
	sh := startShopAPI(t)
	h := newHarness(t, []response{callsTool("toolu_01", "order_status", `{}`), readsOut(t)},
		withTools(sh.reg, &fallback{}), withCaller("+79161234567"))
	rec := &sayRecorder{}
	if _, err := h.conv.Respond(t.Context(), dialog.Request{Turn: 1, Text: "Что с моими заказами?"}, rec.say); err != nil {
		t.Fatal(err)
	}
	if said := strings.Join(rec.said(), " "); !strings.Contains(said, "Всего на ваш номер 7 заказов") {
		t.Errorf("said %q", said)
	}
	results := toolResults(t, h.api.recorded()[1].body)
	if len(results) != 1 {
		t.Fatalf("tool results %q", results)
	}
	var out struct {
		Data shop.OrderAnswer `json:"data"`
	}
	if err := json.Unmarshal([]byte(results[0]), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Data.Orders) != 7 || out.Data.Orders[0].Status == "" || out.Data.Orders[0].Total == 0 || len(out.Data.Orders[0].Items) == 0 {
		t.Errorf("the model lacks the orders: %s", results[0])
	}
	if m := personalFields.FindString(results[0]); m != "" {
		t.Errorf("the model was handed %q in %s", m, results[0])
	}
}

// TestBookingGoesToTheRegisteredNumber: the model books without a phone;
// the server books under the number the dialplan registered.
func TestBookingGoesToTheRegisteredNumber(t *testing.T) {
	sh := startShopAPI(t)
	tomorrow := time.Now().In(time.FixedZone("MSK", 3*3600)).AddDate(0, 0, 1).Format(time.DateOnly)
	h := newHarness(t, []response{
		callsTool("toolu_01", "book_slot", `{"station_id":"kzn-2","start":"`+tomorrow+`T11:00","name":"Анна"}`), readsOut(t),
	}, withTools(sh.reg, &fallback{}), withCaller("89990001122"))
	before := sh.bookings(t)
	rec := &sayRecorder{}
	if _, err := h.conv.Respond(t.Context(), dialog.Request{Turn: 1, Text: "Запишите меня, Анна, на завтра на одиннадцать."}, rec.say); err != nil {
		t.Fatal(err)
	}
	if said := strings.Join(rec.said(), " "); !strings.Contains(said, "вы записаны") {
		t.Fatalf("said %q", said)
	}
	made := sh.bookedSince(t, before)
	if len(made) != 1 || made[0] != "+79990001122" {
		t.Errorf("bookings made for %q, want one for the registered +79990001122", made)
	}
}

// TestFallbackCountsTheSameProofs: the turns the rule engine answers for
// the model act for the same Caller, so the failed proofs of the model's
// turns count there too and the third sends the call to an operator.
func TestFallbackCountsTheSameProofs(t *testing.T) {
	sh := startShopAPI(t)
	h := newHarness(t, []response{
		callsTool("toolu_01", "verify_order", `{"order_id":"100002","last4":"1111"}`), readsOut(t),
		callsTool("toolu_02", "verify_order", `{"order_id":"100002","last4":"2222"}`), readsOut(t),
		apiError(529, "error_overloaded.json"), apiError(529, "error_overloaded.json"),
		apiError(529, "error_overloaded.json"), apiError(529, "error_overloaded.json"),
	}, withTools(sh.reg, rules.New(sh.reg, nil)), withCaller("+79990001122"))
	var out dialog.Outcome
	var said string
	for i, text := range []string{"Один один один один.", "Два два два два.", "Где мой заказ номер сто тысяч два?", "Три три три три."} {
		rec := &sayRecorder{}
		var err error
		out, err = h.conv.Respond(t.Context(), dialog.Request{Turn: i + 1, Text: text}, rec.say)
		if err != nil {
			t.Fatalf("turn %d: %v", i+1, err)
		}
		said = strings.Join(rec.said(), " ")
	}
	if out.Action != dialog.Transfer || !strings.Contains(said, "не получилось подтвердить") {
		t.Errorf("third failed proof: %+v %q", out, said)
	}
}

// TestWrongToolCallLogsNoPhoneNumber: the validator's error quotes the
// value it refused; the log line about it must not carry the number.
func TestWrongToolCallLogsNoPhoneNumber(t *testing.T) {
	sh := startShopAPI(t)
	h := newHarness(t, []response{
		callsTool("toolu_01", "order_status", `{"phone":"8 916 123 45 67, это номер мужа"}`), stream("ask_size.sse"),
	}, withTools(sh.reg, &fallback{}), withCaller("+79990001122"))
	rec := releasing(h)
	if _, err := h.respond(t.Context(), "Номер мужа 8 916 123 45 67, что с его заказами?", rec.say); err != nil {
		t.Fatal(err)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "model called a tool wrongly") {
		t.Fatalf("the wrong call is not logged:\n%s", logs)
	}
	for _, leak := range []string{"916 123 45 67", "123 45 67", "9161234567"} {
		if strings.Contains(logs, leak) {
			t.Errorf("the log holds %q:\n%s", leak, logs)
		}
	}
	// The model still learns what was wrong, in full.
	results := toolResults(t, h.api.recorded()[1].body)
	if len(results) != 1 || !strings.Contains(results[0], "does not match pattern") {
		t.Errorf("tool result %q", results)
	}
}

// TestAnotherNumberIsBookedAfterTheCallersYes: a number the caller
// dictates is read back in one turn and booked when the model passes the
// caller's yes in the next.
func TestAnotherNumberIsBookedAfterTheCallersYes(t *testing.T) {
	sh := startShopAPI(t)
	tomorrow := time.Now().In(time.FixedZone("MSK", 3*3600)).AddDate(0, 0, 1).Format(time.DateOnly)
	args := `{"station_id":"kzn-2","start":"` + tomorrow + `T12:00","name":"Анна","phone":"89035551234"`
	h := newHarness(t, []response{
		callsTool("toolu_01", "book_slot", args+`}`), readsOut(t),
		callsTool("toolu_02", "book_slot", args+`,"phone_confirmed":true}`), readsOut(t),
	}, withTools(sh.reg, &fallback{}), withCaller("+79990001122"))
	before := sh.bookings(t)
	var heard []string
	for i, text := range []string{"Запишите меня на завтра на двенадцать, на номер 8 903 555 12 34.", "Да, верно."} {
		rec := &sayRecorder{}
		if _, err := h.conv.Respond(t.Context(), dialog.Request{Turn: i + 1, Text: text}, rec.say); err != nil {
			t.Fatal(err)
		}
		heard = append(heard, strings.Join(rec.said(), " "))
	}
	if heard[0] != "Записываю на номер +7 903 555 12 34. Верно?" || !strings.Contains(heard[1], "вы записаны") {
		t.Fatalf("heard %q", heard)
	}
	made := sh.bookedSince(t, before)
	if len(made) != 1 || made[0] != "+79035551234" {
		t.Errorf("bookings made for %q, want one for +79035551234", made)
	}
}
