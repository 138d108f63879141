package rules

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/store"
	"github.com/tirevoice/assistant/internal/storemock/storemocktest"
	"github.com/tirevoice/assistant/internal/tools"
	"github.com/tirevoice/assistant/internal/tools/shop"
)

// realShop is the shop's real tools over a real client of the Store API
// mock on loopback: the engine and the tools that guard personal data,
// together.
func realShop(t *testing.T) *tools.Registry {
	t.Helper()
	client := storemocktest.Client(t, storemocktest.Start(t), store.Config{Timeout: time.Second})
	all := append(shop.Tools(client, time.Now), tools.Tool{
		Name:   "search_kb",
		Schema: json.RawMessage(schemas["search_kb"]),
		Run: func(context.Context, json.RawMessage) (tools.Result, error) {
			return tools.Result{Say: kbNoMatchSay}, nil
		},
	})
	reg, err := tools.NewRegistry(all...)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// someoneElses matches what a stranger must not hear of Иван Петров's
// orders (+79161234567, 100001 among them) or of 100002's owner
// (+79115551313): names, numbers, amounts, statuses, how many there are.
var someoneElses = regexp.MustCompile(`Иван|Петров|916|4567|1313|рубл|сумм|[Нн]а ваш номер|\d заказ|доставлен|отменён|возврат|готов к выдаче|передан|принят|оплачен`)

// TestStrangerHearsNothingOfOthersOrders plays the calls of issue 9 through
// the rule engine and the real tools.
func TestStrangerHearsNothingOfOthersOrders(t *testing.T) {
	reg := realShop(t)
	tests := []struct {
		name   string
		caller string
		turns  []string
		last   dialog.Action
		hear   string // in the last reply
	}{
		{"someone else's phone, then their order, then guesses", "+79990001122", []string{
			"Хочу узнать статус заказа, мой телефон 8 916 123 45 67",
			"заказ номер сто тысяч два",
			"один два три четыре",
			"я звоню за мужа, его номер 8 916 123 45 67",
			"ноль ноль ноль ноль",
		}, dialog.Transfer, "Оставайтесь на линии, соединяю с оператором"},
		{"a withheld number asks for its own orders, then someone's", "anonymous", []string{
			"Где мои заказы по моему номеру?",
			"Где мой заказ номер сто тысяч один?",
		}, dialog.Continue, "последние четыре цифры"},
		{"an unknown order", "+79990001122", []string{
			"Где мой заказ номер девятьсот девяносто девять тысяч девятьсот девяносто девять?",
		}, dialog.Continue, "последние четыре цифры"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conv := New(reg, nil).Begin(dialog.Call{ID: "c-privacy", Caller: tt.caller})
			var out dialog.Outcome
			var reply string
			for i, text := range tt.turns {
				var said []string
				var err error
				out, err = conv.Respond(context.Background(), dialog.Request{Turn: i + 1, Text: text}, func(_ context.Context, s string) error {
					said = append(said, s)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				reply = strings.Join(said, " ")
				if m := someoneElses.FindString(reply); m != "" {
					t.Errorf("turn %d %q: the caller hears %q in %q", i+1, text, m, reply)
				}
			}
			if out.Action != tt.last || !strings.Contains(reply, tt.hear) {
				t.Errorf("last reply %q, action %v; want %q, %v", reply, out.Action, tt.hear, tt.last)
			}
		})
	}
}

// TestProofThroughTheEngine: the owner of an order calling from another
// number hears it once they give the last four digits of its phone.
func TestProofThroughTheEngine(t *testing.T) {
	reg := realShop(t)
	conv := New(reg, nil).Begin(dialog.Call{ID: "c-proof"})
	var reply string
	for i, text := range []string{"Где мой заказ номер сто тысяч два?", "тринадцать тринадцать"} {
		var said []string
		if _, err := conv.Respond(context.Background(), dialog.Request{Turn: i + 1, Text: text}, func(_ context.Context, s string) error {
			said = append(said, s)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		reply = strings.Join(said, " ")
	}
	if !strings.Contains(reply, "Заказ номер 100002 доставлен. Сумма") {
		t.Errorf("after the proof: %q", reply)
	}
}

// TestReadBackThroughTheEngine: a withheld caller's dictated number is read
// back by the tool and booked only after the caller's yes, in the next turn.
func TestReadBackThroughTheEngine(t *testing.T) {
	reg := realShop(t)
	conv := New(reg, nil).Begin(dialog.Call{ID: "c-booking", Caller: "anonymous"})
	turns := []struct{ caller, hear string }{
		{"Запишите на шиномонтаж в Новосибирске на завтра в одиннадцать утра", "Как вас зовут?"},
		{"Анна", "номер телефона"},
		{"8 903 555 12 34", "Записываю на номер +7 903 555 12 34. Верно?"},
		{"да", "Готово, Анна, вы записаны завтра,"},
	}
	for i, tt := range turns {
		var said []string
		if _, err := conv.Respond(context.Background(), dialog.Request{Turn: i + 1, Text: tt.caller}, func(_ context.Context, s string) error {
			said = append(said, s)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if reply := strings.Join(said, " "); !strings.Contains(reply, tt.hear) {
			t.Fatalf("turn %d %q: %q, want %q", i+1, tt.caller, reply, tt.hear)
		}
	}
}
