package rules

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/tools"
)

// fuzzStates lead a conversation to each question the bot asks, so that
// arbitrary text is tried as the answer to every one of them.
var fuzzStates = [][]string{
	nil,
	{"нужны зимние шины"},
	{"шины на 16"},
	{"205 55 16"},
	{"205 55 16", "летние"},
	{"где мой заказ"},
	{"где мой заказ 100012"},
	{"где мой заказ 100012", "1234"},
	{"запишите на шиномонтаж"},
	{"запишите на шиномонтаж в Москве"},
	{"запишите на шиномонтаж в Москве", "первая"},
	{"запишите на шиномонтаж в Москве", "первая", "завтра"},
	{"запишите на шиномонтаж в Москве", "первая", "завтра", "в 11"},
	{"запишите на шиномонтаж в Москве", "первая", "завтра", "в 11", "Иван"},
	{"запишите на шиномонтаж в Москве", "первая", "завтра", "в 11", "Иван", "8 916 555 44 33"},
	{"что-то непонятное"},
}

// FuzzUnderstand feeds arbitrary caller text to conversations in every
// state: the engine never panics, always says something, and never calls
// a tool with arguments its schema refuses (the real registry validates).
func FuzzUnderstand(f *testing.F) {
	for _, s := range []string{
		"205/55 R16", "двести пять пятьдесят пять эр шестнадцать", "заказ сто тысяч двенадцать", "в Питере",
		"завтра в два часа дня", "Анна", "8 916 555 44 33", "да", "нет", "всё равно", "до десяти тысяч",
		"99999999999999999999", "в 99:99", "31 февраля", "R999", "меня зовут " + string(make([]byte, 200)),
		"\xff\xfe", "ё-моё", "?", "нокиан мишлен пирелли", "в ааааааааааааааааааааааааааааааааааааааааааааааааааааааааааааааааа",
		"по моему номеру", "первая вторая третья", "один три один три", "не помню", "да, верно", "ноль ноль ноль ноль ноль", "номер 1 2 3 4 5 6 7 8 9 0 1 2 3",
	} {
		f.Add(s)
	}
	shop := newFakeShop()
	reg := shop.registry(f)
	f.Fuzz(func(t *testing.T, text string) {
		for _, call := range []dialog.Call{caller, anonymous} {
			for _, prefix := range fuzzStates {
				r := New(reg, func() time.Time { return testNow })
				conv := r.Begin(call)
				for i, s := range append(prefix, text, text) {
					tr := &tools.Trace{}
					said := 0
					out, err := conv.Respond(tools.WithTrace(context.Background(), tr), dialog.Request{Turn: i + 1, Text: s},
						func(context.Context, string) error { said++; return nil })
					if err != nil {
						t.Fatalf("%q after %q: %v", s, prefix, err)
					}
					if said == 0 {
						t.Fatalf("%q after %q: nothing said", s, prefix)
					}
					for _, c := range tr.Calls() {
						if errors.Is(c.Err, tools.ErrInvalidArgs) || errors.Is(c.Err, tools.ErrUnknownTool) {
							t.Fatalf("%q after %q: %s %s: %v", s, prefix, c.Name, c.Args, c.Err)
						}
					}
					if out.Action != dialog.Continue {
						break
					}
				}
			}
		}
	})
}
