package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/routing"
	"github.com/tirevoice/assistant/internal/store"
	"github.com/tirevoice/assistant/internal/tools"
)

// step is one caller turn and what must happen.
type step struct {
	caller         string // what the recogniser heard; "" with unintelligible
	unintelligible bool
	calls          []string      // tool calls in order: `name {"arg":...}`; nil for none
	hear           []string      // phrases the bot's reply must contain
	not            []string      // phrases it must not contain
	action         dialog.Action // Continue unless said
	topic          routing.Topic // with action Transfer: the routing topic
}

// talk runs steps through one conversation of call and checks each turn.
func talk(t *testing.T, shop *fakeShop, call dialog.Call, steps []step) {
	t.Helper()
	conv := New(shop.registry(t), func() time.Time { return testNow }).Begin(call)
	for i, st := range steps {
		tr := &tools.Trace{}
		ctx := tools.WithTrace(context.Background(), tr)
		var said []string
		out, err := conv.Respond(ctx, dialog.Request{CallID: call.ID, Turn: i + 1, Text: st.caller, Unintelligible: st.unintelligible},
			func(_ context.Context, s string) error {
				said = append(said, s)
				return nil
			})
		reply := strings.Join(said, " ")
		if err != nil {
			t.Fatalf("turn %d %q: %v", i+1, st.caller, err)
		}
		var calls []string
		for _, c := range tr.Calls() {
			if c.Err != nil && strings.Contains(c.Err.Error(), "invalid arguments") {
				t.Errorf("turn %d %q: %s called with invalid arguments: %v", i+1, st.caller, c.Name, c.Err)
			}
			calls = append(calls, c.Name+" "+string(c.Args))
		}
		if !sameCalls(calls, st.calls) {
			t.Errorf("turn %d %q: calls\n  %q\nwant\n  %q", i+1, st.caller, calls, st.calls)
		}
		for _, h := range st.hear {
			if !strings.Contains(reply, h) {
				t.Errorf("turn %d %q: reply %q lacks %q", i+1, st.caller, reply, h)
			}
		}
		for _, h := range st.not {
			if strings.Contains(reply, h) {
				t.Errorf("turn %d %q: reply %q has %q", i+1, st.caller, reply, h)
			}
		}
		if out.Action != st.action {
			t.Errorf("turn %d %q: action %v, want %v (reply %q)", i+1, st.caller, out.Action, st.action, reply)
		}
		if out.Topic != st.topic {
			t.Errorf("turn %d %q: topic %q, want %q", i+1, st.caller, out.Topic, st.topic)
		}
		checkSpoken(t, said)
		if n := len([]rune(reply)); n > maxReplyRunes {
			t.Errorf("turn %d %q: a reply of %d characters (at most %d): %q", i+1, st.caller, n, maxReplyRunes, reply)
		}
	}
}

// maxReplyRunes bounds a turn: about 12 s of a voice at 18 characters a
// second, the slowest rate the mock codec is meant to go down to.
const maxReplyRunes = 220

// checkSpoken: every piece is short plain spoken text.
func checkSpoken(t *testing.T, said []string) {
	t.Helper()
	if len(said) == 0 {
		t.Errorf("the bot said nothing")
	}
	for _, s := range said {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, "*#`_[]<>|\n") || len([]rune(s)) > 400 {
			t.Errorf("not a spoken piece: %q", s)
		}
	}
}

// sameCalls compares tool calls by name and arguments as JSON values.
func sameCalls(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		gn, ga, _ := strings.Cut(got[i], " ")
		wn, wa, _ := strings.Cut(want[i], " ")
		var g, w any
		if gn != wn || json.Unmarshal([]byte(ga), &g) != nil || json.Unmarshal([]byte(wa), &w) != nil || !reflect.DeepEqual(g, w) {
			return false
		}
	}
	return true
}

var (
	caller    = dialog.Call{ID: "c1", Caller: "+79161234567"}
	anonymous = dialog.Call{ID: "c2"}
)

func TestConversations(t *testing.T) {
	tests := []struct {
		name  string
		call  dialog.Call
		setup func(*fakeShop)
		steps []step
	}{
		{"complete size in one turn: the first offer and its price first, no size recap", caller, nil, []step{
			{caller: "Здравствуйте! Нужны зимние шины 205/55 R16.",
				calls: []string{`search_tires {"width":205,"profile":55,"rim":16,"season":"winter"}`},
				hear:  []string{"Зимние есть за 5 400 рублей: Cordiant Winter Drive 2.", "Чем ещё могу помочь?"}, not: []string{"размер"}},
			{caller: "Нет, спасибо.", calls: []string{`end_call {"reason":"caller said goodbye"}`},
				hear: []string{"до свидания"}, action: dialog.Hangup},
		}},
		{"size over two turns keeps the season", caller, nil, []step{
			{caller: "нужны зимние шины", hear: []string{"размер", "двести пять пятьдесят пять эр шестнадцать"}},
			{caller: "205 55 16", calls: []string{`search_tires {"width":205,"profile":55,"rim":16,"season":"winter"}`}, hear: []string{"Зимние есть"},
				not: []string{"Это на размер"}},
		}},
		{"size in words, studs and a brand", caller, nil, []step{
			{caller: "Подберите шипованные нокиан двести пять на пятьдесят пять радиус шестнадцать до десяти тысяч",
				calls: []string{`search_tires {"width":205,"profile":55,"rim":16,"season":"winter","studded":true,"brand":"Nokian","max_price":10000}`},
				hear:  []string{"Зимние есть"}},
		}},
		{"rim first, then width and profile, then the season asked once: the size said back", caller, nil, []step{
			{caller: "Мне шины на 16", hear: []string{"ширину и профиль"}},
			{caller: "двести пять пятьдесят пять", hear: []string{"На какой сезон"}},
			{caller: "всё равно", calls: []string{`search_tires {"width":205,"profile":55,"rim":16}`},
				hear: []string{"Есть за 5 400 рублей: Cordiant Winter Drive 2. Это на размер двести пять пятьдесят пять эр шестнадцать."}},
		}},
		{"ordinal rim and a follow-up season", caller, nil, []step{
			{caller: "Есть резина на шестнадцатый радиус?", hear: []string{"ширину и профиль"}},
			{caller: "205 на 55", hear: []string{"На какой сезон"}},
			{caller: "летние", calls: []string{`search_tires {"width":205,"profile":55,"rim":16,"season":"summer"}`}, hear: []string{"Летние есть"}},
			{caller: "А зимние есть?", calls: []string{`search_tires {"width":205,"profile":55,"rim":16,"season":"winter"}`}, hear: []string{"Зимние есть"},
				not: []string{"Это на размер"}},
		}},
		{"a corrected rim is said back", caller, nil, []step{
			{caller: "зимние 205/55 R16", calls: []string{`search_tires {"width":205,"profile":55,"rim":16,"season":"winter"}`}, hear: []string{"Зимние есть"}},
			{caller: "а на 17?", calls: []string{`search_tires {"width":205,"profile":55,"rim":17,"season":"winter"}`},
				hear: []string{"Нет, зимних шин этого размера сейчас нет в наличии. Это на размер двести пять пятьдесят пять эр семнадцать."}},
		}},
		{"a price limit nothing fits: said back, the cheapest above it offered", caller, nil, []step{
			{caller: "Зимние 205/55 R16 не дороже пяти тысяч", calls: []string{`search_tires {"width":205,"profile":55,"rim":16,"season":"winter","max_price":5000}`},
				hear: []string{"Нет, до пяти тысяч рублей зимних шин этого размера нет. Самые недорогие — Cordiant Winter Drive 2 за 5 400 рублей.", "Чем ещё могу помочь?"}},
		}},
		{"a caller who does not know the size hears where to find it", caller, nil, []step{
			{caller: "нужна резина на зиму", hear: []string{"размер"}},
			{caller: "не знаю", calls: []string{`search_kb {"query":"как узнать размер шин"}`}, hear: []string{"боковине"}},
			{caller: "а, вижу: 205/55 R16", calls: []string{`search_tires {"width":205,"profile":55,"rim":16,"season":"winter"}`}},
		}},
		{"no stock: no, in the genitive", caller, nil, []step{
			{caller: "Летние шины 315/35 R22", calls: []string{`search_tires {"width":315,"profile":35,"rim":22,"season":"summer"}`},
				hear: []string{"Нет, летних шин этого размера сейчас нет в наличии.", "оператором"}, not: []string{"Чем ещё"}},
			{caller: "а всесезонные?", calls: []string{`search_tires {"width":315,"profile":35,"rim":22,"season":"all_season"}`},
				hear: []string{"всесезонных шин", "нет в наличии"}},
			{caller: "да, соедините", calls: []string{`transfer_to_operator {"reason":"caller accepted an operator","topic":"tires"}`},
				hear: []string{"Оставайтесь на линии, соединяю с оператором."}, action: dialog.Transfer, topic: routing.TopicTires},
		}},
		{"order by number in digits: the status first", caller, nil, []step{
			{caller: "Где мой заказ 100012?", calls: []string{`order_status {"order_id":"100012"}`},
				hear: []string{"Заказ номер 100012 передан в доставку.", "Чем ещё могу помочь?"}},
		}},
		{"order by number in words, proved on a withheld number", anonymous, nil, []step{
			{caller: "Хочу узнать статус заказа", hear: []string{"номер заказа"}, not: []string{"с которого"}},
			{caller: "сто тысяч двенадцать", calls: []string{`order_status {"order_id":"100012"}`},
				hear: []string{"убедиться, что он ваш", "последние четыре цифры"}, not: []string{"передан", "рублей"}},
			{caller: "четыре пять шесть семь", calls: []string{`verify_order {"order_id":"100012","last4":"4567"}`},
				hear: []string{"заказ подтверждён", "передан в доставку", "Чем ещё могу помочь?"}},
			{caller: "А что с заказом 100012?", calls: []string{`order_status {"order_id":"100012"}`}, hear: []string{"передан в доставку"}},
		}},
		{"another order number instead of the proof", caller, nil, []step{
			{caller: "номер заказа 100099", calls: []string{`order_status {"order_id":"100099"}`}, hear: []string{"последние четыре цифры"},
				not: []string{"не найден"}},
			{caller: "один ноль ноль ноль один два", calls: []string{`order_status {"order_id":"100012"}`}, hear: []string{"передан в доставку"}},
		}},
		{"a wrong proof is asked again, a misheard one repeated", anonymous, nil, []step{
			{caller: "Где мой заказ 100012?", calls: []string{`order_status {"order_id":"100012"}`}, hear: []string{"последние четыре цифры"}},
			{caller: "один два три четыре", calls: []string{`verify_order {"order_id":"100012","last4":"1234"}`},
				hear: []string{"Цифры не совпадают", "ещё раз"}, not: []string{"передан"}},
			{caller: "э-э", hear: []string{"не поняла", "последние четыре цифры"}},
			{caller: "8 916 123 45 67", calls: []string{`verify_order {"order_id":"100012","last4":"4567"}`}, hear: []string{"передан в доставку"}},
		}},
		{"three wrong proofs go to an operator", anonymous, nil, []step{
			{caller: "Где мой заказ 100012?", calls: []string{`order_status {"order_id":"100012"}`}},
			{caller: "1111", calls: []string{`verify_order {"order_id":"100012","last4":"1111"}`}, hear: []string{"Цифры не совпадают"}},
			{caller: "2222", calls: []string{`verify_order {"order_id":"100012","last4":"2222"}`}, hear: []string{"Цифры не совпадают"}},
			{caller: "3333", calls: []string{`verify_order {"order_id":"100012","last4":"3333"}`},
				hear: []string{"не получилось подтвердить", "Оставайтесь на линии, соединяю с оператором"}, action: dialog.Transfer, topic: routing.TopicOrders},
		}},
		{"a caller who does not know the proof is offered an operator", anonymous, nil, []step{
			{caller: "Где мой заказ 100012?", calls: []string{`order_status {"order_id":"100012"}`}},
			{caller: "не помню", hear: []string{"не могу назвать данные заказа", "оператором?"}},
			{caller: "да", calls: []string{`transfer_to_operator {"reason":"caller accepted an operator","topic":"orders"}`}, action: dialog.Transfer, topic: routing.TopicOrders},
		}},
		{"order by the caller's phone", caller, nil, []step{
			{caller: "Проверьте мой заказ по моему номеру", calls: []string{`order_status {}`}, hear: []string{"доставлен"}},
		}},
		{"orders of a dictated phone go to the tool, which refuses another number", dialog.Call{ID: "c3", Caller: "+79990001122"}, nil, []step{
			{caller: "Хочу узнать статус заказа, мой телефон 8 916 123 45 67", calls: []string{`order_status {"phone":"+79161234567"}`},
				hear: []string{"только заказы того номера, с которого вы звоните", "номер заказа"}, not: []string{"доставлен", "рублей"}},
			{caller: "заказ номер сто тысяч один", calls: []string{`order_status {"order_id":"100001"}`},
				hear: []string{"последние четыре цифры"}, not: []string{"доставлен", "рублей"}},
		}},
		{"order: the caller agrees to search by phone", caller, nil, []step{
			{caller: "Что с моим заказом?", hear: []string{"номер заказа", "с которого вы звоните"}},
			{caller: "давайте по телефону", calls: []string{`order_status {}`}, hear: []string{"доставлен"}},
		}},
		{"order by phone with no caller number", anonymous, nil, []step{
			{caller: "Узнать заказ по номеру телефона", calls: []string{`order_status {}`}, hear: []string{"не вижу номера", "номер заказа"}},
			{caller: "100012", calls: []string{`order_status {"order_id":"100012"}`}, hear: []string{"последние четыре цифры"}},
		}},
		{"stations in a city, then booking the one named", caller, nil, []step{
			{caller: "Где у вас шиномонтаж в Казани?", calls: []string{`find_stations {"city":"Казань"}`},
				hear: []string{"В Казани две станции: проспект Победы, 91; улица Копылова, 12.", "Записать вас на шиномонтаж?"}},
			{caller: "Давайте на Победы", hear: []string{"запишу на шиномонтаж", "На какой день"}},
			{caller: "завтра", calls: []string{`free_slots {"station_id":"kzn-1","date":"` + tomorrow + `"}`},
				hear: []string{"Записываю на завтра, двадцать шестое ноября. Свободно в десять, одиннадцать и двенадцать. Какое время вам удобно?"},
				not:  []string{"на станцию"}},
			{caller: "в одиннадцать", hear: []string{"Записываю на завтра, двадцать шестое ноября, в одиннадцать, станция проспект Победы, 91.", "Как вас зовут?"}},
			{caller: "Анна", calls: []string{`book_slot {"station_id":"kzn-1","start":"` + tomorrow + `T11:00","name":"Анна"}`},
				hear: []string{"Готово, Анна, вы записаны завтра, двадцать шестого ноября, в одиннадцать", "Чем ещё могу помочь?"}},
			{caller: "Спасибо, всё", calls: []string{`end_call {"reason":"caller said goodbye"}`}, action: dialog.Hangup},
		}},
		{"booking for tomorrow in a city: the day said back, the station with the nearest free time offered",
			caller, func(s *fakeShop) {
				s.taken["msk-1 "+tomorrow+"T10:00"], s.taken["msk-1 "+tomorrow+"T11:00"] = true, true
			}, []step{
				{caller: "Запишите меня на завтра в Москве", calls: []string{`find_stations {"city":"Москва"}`,
					`free_slots {"station_id":"msk-1","date":"` + tomorrow + `"}`, `free_slots {"station_id":"msk-2","date":"` + tomorrow + `"}`,
					`free_slots {"station_id":"msk-3","date":"` + tomorrow + `"}`},
					hear: []string{"Записываю на завтра, двадцать шестое ноября, на станцию Варшавское шоссе, 118. Свободно в десять, одиннадцать и двенадцать. Какое время вам удобно?"}},
				{caller: "а на Профсоюзной?", calls: []string{`free_slots {"station_id":"msk-1","date":"` + tomorrow + `"}`},
					hear: []string{"Записываю на завтра, двадцать шестое ноября. Свободно в двенадцать, четырнадцать и пятнадцать."}},
				{caller: "в двенадцать", hear: []string{"на завтра, двадцать шестое ноября, в двенадцать, станция улица Профсоюзная, 56.", "Как вас зовут?"}},
			}},
		{"booking in one breath: the station that has the time, phone asked", anonymous, nil, []step{
			{caller: "Запишите меня на шиномонтаж в Москве на послезавтра в 14:00", calls: []string{`find_stations {"city":"Москва"}`,
				`free_slots {"station_id":"msk-1","date":"2025-11-27"}`},
				hear: []string{"Записываю на послезавтра, двадцать седьмое ноября, в четырнадцать, станция улица Профсоюзная, 56.", "Как вас зовут?"}},
			{caller: "Меня зовут Пётр", hear: []string{"номер телефона"}},
			{caller: "8 916 555 44 33", calls: []string{`book_slot {"station_id":"msk-1","start":"2025-11-27T14:00","name":"Петр","phone":"+79165554433"}`},
				hear: []string{"Записываю на номер", "Верно?"}, not: []string{"вы записаны"}},
			{caller: "да", calls: []string{`book_slot {"station_id":"msk-1","start":"2025-11-27T14:00","name":"Петр","phone":"+79165554433","phone_confirmed":true}`},
				hear: []string{"вы записаны послезавтра, двадцать седьмого ноября, в четырнадцать"}},
		}},
		{"a station named in the first breath", caller, nil, []step{
			{caller: "Запишите меня на Варшавке в Москве на послезавтра", calls: []string{`find_stations {"city":"Москва"}`,
				`free_slots {"station_id":"msk-2","date":"2025-11-27"}`},
				hear: []string{"Записываю на послезавтра, двадцать седьмое ноября. Свободно в"}, not: []string{"на станцию"}},
		}},
		{"a number read back wrong is asked again", anonymous, nil, []step{
			{caller: "Запишите на шиномонтаж в Новосибирске на завтра в 11", calls: []string{
				`find_stations {"city":"Новосибирск"}`, `free_slots {"station_id":"nsk-1","date":"` + tomorrow + `"}`}, hear: []string{"Как вас зовут?"}},
			{caller: "Ольга", hear: []string{"номер телефона"}},
			{caller: "8 916 555 44 33", calls: []string{`book_slot {"station_id":"nsk-1","start":"` + tomorrow + `T11:00","name":"Ольга","phone":"+79165554433"}`},
				hear: []string{"Верно?"}},
			{caller: "нет", hear: []string{"номер телефона"}, not: []string{"вы записаны"}},
			{caller: "8 916 555 44 34", calls: []string{`book_slot {"station_id":"nsk-1","start":"` + tomorrow + `T11:00","name":"Ольга","phone":"+79165554434"}`},
				hear: []string{"Верно?"}},
			{caller: "да, верно", calls: []string{`book_slot {"station_id":"nsk-1","start":"` + tomorrow + `T11:00","name":"Ольга","phone":"+79165554434","phone_confirmed":true}`},
				hear: []string{"вы записаны завтра, двадцать шестого ноября, в одиннадцать"}},
		}},
		{"a side question in the middle of a booking", caller, nil, []step{
			{caller: "запишите на шиномонтаж в Новосибирске на завтра в 11", calls: []string{
				`find_stations {"city":"Новосибирск"}`, `free_slots {"station_id":"nsk-1","date":"` + tomorrow + `"}`},
				hear: []string{"Станционная", "Как вас зовут?"}},
			{caller: "а сколько стоит шиномонтаж?", calls: []string{`search_kb {"query":"а сколько стоит шиномонтаж"}`},
				hear: []string{"2 400 рублей", "Как вас зовут?"}, not: []string{"Чем ещё"}},
			{caller: "Игорь", calls: []string{`book_slot {"station_id":"nsk-1","start":"` + tomorrow + `T11:00","name":"Игорь"}`},
				hear: []string{"вы записаны завтра, двадцать шестого ноября, в одиннадцать"}},
		}},
		{"no brand after no stock", caller, nil, []step{
			{caller: "летние пирелли 205/55 R16", calls: []string{`search_tires {"width":205,"profile":55,"rim":16,"season":"summer","brand":"Pirelli"}`},
				hear: []string{"нет в наличии"}},
			{caller: "а без бренда?", calls: []string{`search_tires {"width":205,"profile":55,"rim":16,"season":"summer"}`}, hear: []string{"Летние есть"}},
		}},
		{"booking a taken slot", caller, func(s *fakeShop) { s.raced["nsk-1 "+tomorrow+"T10:00"] = true }, []step{
			{caller: "Хочу переобуться в Новосибирске", calls: []string{`find_stations {"city":"Новосибирск"}`},
				hear: []string{"Хорошо, запишу на шиномонтаж в Новосибирске.", "На какой день"}},
			{caller: "завтра в десять утра", calls: []string{`free_slots {"station_id":"nsk-1","date":"` + tomorrow + `"}`},
				hear: []string{"улица Станционная, 38", "Как вас зовут?"}},
			{caller: "Иван", calls: []string{
				`book_slot {"station_id":"nsk-1","start":"` + tomorrow + `T10:00","name":"Иван"}`,
				`free_slots {"station_id":"nsk-1","date":"` + tomorrow + `"}`},
				hear: []string{"уже занято", "Ближайшее свободное время — в одиннадцать, двенадцать и четырнадцать.", "Какое время"}},
			{caller: "давайте в 12", calls: []string{`book_slot {"station_id":"nsk-1","start":"` + tomorrow + `T12:00","name":"Иван"}`},
				hear: []string{"Готово, Иван, вы записаны завтра, двадцать шестого ноября, в двенадцать"}},
		}},
		{"a busy time is answered with the nearest free ones", caller, func(s *fakeShop) { s.taken["kzn-2 "+tomorrow+"T14:00"] = true }, []step{
			{caller: "запись на шиномонтаж", hear: []string{"Хорошо, запишу на шиномонтаж. В каком городе"}},
			{caller: "Казань", calls: []string{`find_stations {"city":"Казань"}`}, hear: []string{"Хорошо, запишу на шиномонтаж в Казани. На какой день"}},
			{caller: "на Копылова, завтра в два часа дня", calls: []string{`free_slots {"station_id":"kzn-2","date":"` + tomorrow + `"}`},
				hear: []string{"Записываю на завтра, двадцать шестое ноября. В четырнадцать занято, ближайшее свободное время — в одиннадцать, двенадцать и пятнадцать."}},
			{caller: "второе", hear: []string{"Как вас зовут?"}},
			{caller: "Ольга", calls: []string{`book_slot {"station_id":"kzn-2","start":"` + tomorrow + `T12:00","name":"Ольга"}`}},
		}},
		{"the day of a booking is said back when it comes first", anonymous, nil, []step{
			{caller: "Хочу записаться на шиномонтаж на завтра", hear: []string{"Хорошо, запишу на шиномонтаж на завтра, двадцать шестое ноября. В каком городе"}},
			{caller: "в Новосибирске", calls: []string{`find_stations {"city":"Новосибирск"}`, `free_slots {"station_id":"nsk-1","date":"` + tomorrow + `"}`},
				hear: []string{"Записываю на завтра, двадцать шестое ноября, на станцию улица Станционная, 38. Свободно в"}},
		}},
		{"three knowledge-base questions", caller, nil, []step{
			{caller: "Сколько стоит доставка?", calls: []string{`search_kb {"query":"сколько стоит доставка"}`}, hear: []string{"Доставка по Москве", "Чем ещё"}},
			{caller: "А какое давление должно быть в шинах", calls: []string{`search_kb {"query":"а какое давление должно быть в шинах"}`}, hear: []string{"наклейке"}},
			{caller: "Есть у вас хранение шин?", calls: []string{`search_kb {"query":"есть у вас хранение шин"}`}, hear: []string{"3 000 рублей за сезон"}},
			{caller: "Сколько стоит шиномонтаж?", calls: []string{`search_kb {"query":"сколько стоит шиномонтаж"}`}, hear: []string{"2 400 рублей"}},
		}},
		{"is there delivery: yes first, then the city asked", anonymous, nil, []step{
			{caller: "А доставка у вас есть?", hear: []string{"Да, доставляем по всей России. В какой город нужна доставка?"}},
			{caller: "в Казань", calls: []string{`search_kb {"query":"доставка в регионы, Казань"}`},
				hear: []string{"Да, в Казань доставляем. Курьер привезёт заказ на следующий день"}, not: []string{"по всей России"}},
		}},
		{"is there delivery to a city named", anonymous, nil, []step{
			{caller: "Вы доставляете в Нижний Новгород?", calls: []string{`search_kb {"query":"доставка в регионы, Нижний Новгород"}`},
				hear: []string{"Да, в Нижний Новгород доставляем."}},
		}},
		{"hours today: the city asked, then that day's hours", anonymous, nil, []step{
			{caller: "До скольки вы сегодня работаете?", hear: []string{"Часы у станций разные. В каком вы городе?"}},
			{caller: "в Москве", calls: []string{`find_stations {"city":"Москва","date":"today"}`},
				hear: []string{"Сегодня в Москве станции работают с девяти до двадцати одного."}},
		}},
		{"hours on a named day in a known city", caller, nil, []step{
			{caller: "Где у вас шиномонтаж в Казани?", calls: []string{`find_stations {"city":"Казань"}`}},
			{caller: "А в субботу вы работаете?", calls: []string{`find_stations {"city":"Казань","date":"2025-11-29"}`},
				hear: []string{"В субботу в Казани станции работают"}},
		}},
		{"an unknown question goes to the base, then to an operator", caller, nil, []step{
			{caller: "Вы продаёте диски?", calls: []string{`search_kb {"query":"вы продаете диски"}`}, hear: []string{"не знаю ответа", "оператором"}},
			{caller: "да", calls: []string{`transfer_to_operator {"reason":"caller accepted an operator","topic":"general"}`}, action: dialog.Transfer, topic: routing.TopicGeneral},
		}},
		{"a request for a human: what happens next", caller, nil, []step{
			{caller: "Соедините меня с живым человеком", calls: []string{`transfer_to_operator {"reason":"caller asked for a human","topic":"general"}`},
				hear: []string{"Оставайтесь на линии, соединяю с оператором."}, action: dialog.Transfer, topic: routing.TopicGeneral},
		}},
		{"a request for a manager in the middle of a booking", caller, nil, []step{
			{caller: "запишите на шиномонтаж", hear: []string{"В каком городе"}},
			{caller: "позовите сотрудника", calls: []string{`transfer_to_operator {"reason":"caller asked for a human","topic":"fitting"}`}, action: dialog.Transfer, topic: routing.TopicFitting},
		}},
		{"anger before anything failed: no apology", caller, nil, []step{
			{caller: "нужны шины", hear: []string{"размер"}},
			{caller: "Да вы меня не понимаете!", calls: []string{`transfer_to_operator {"reason":"caller is frustrated","topic":"complaints"}`},
				hear: []string{"Оставайтесь на линии, соединяю с оператором."}, not: []string{"Извините"}, action: dialog.Transfer, topic: routing.TopicComplaints},
		}},
		{"anger after a misunderstanding: an apology", caller, nil, []step{
			{unintelligible: true, hear: []string{"Повторите"}},
			{caller: "Да вы меня не понимаете!", calls: []string{`transfer_to_operator {"reason":"caller is frustrated","topic":"complaints"}`},
				hear: []string{"Извините, что не получилось помочь.", "Оставайтесь на линии"}, action: dialog.Transfer, topic: routing.TopicComplaints},
		}},
		{"goodbye", caller, nil, []step{
			{caller: "Здравствуйте", hear: []string{"Здравствуйте!", "Что вас интересует?"}},
			{caller: "До свидания!", calls: []string{`end_call {"reason":"caller said goodbye"}`}, hear: []string{"до свидания"}, action: dialog.Hangup},
		}},
		{"thanks then nothing more", caller, nil, []step{
			{caller: "спасибо", hear: []string{"Пожалуйста", "Чем ещё"}},
			{caller: "больше ничего", calls: []string{`end_call {"reason":"caller said goodbye"}`}, action: dialog.Hangup},
		}},
		{"store unavailable, then yes", caller, func(s *fakeShop) { s.down = true }, []step{
			{caller: "Где мой заказ 100012?", calls: []string{`order_status {"order_id":"100012"}`}, hear: []string{"не могу получить данные", "оператором"},
				not: []string{"передан"}},
			{caller: "да", calls: []string{`transfer_to_operator {"reason":"caller accepted an operator","topic":"orders"}`}, action: dialog.Transfer, topic: routing.TopicOrders},
		}},
		{"store unavailable during a booking: no made-up free time", caller, func(s *fakeShop) {
			s.run["free_slots"] = func(map[string]any) (tools.Result, error) {
				return tools.Result{Say: unavailableSay}, fmt.Errorf("store: GET: %w", store.ErrUnavailable)
			}
		}, []step{
			{caller: "запишите на шиномонтаж в Москве", calls: []string{`find_stations {"city":"Москва"}`}, hear: []string{"На какой день"}},
			{caller: "на завтра", calls: []string{`free_slots {"station_id":"msk-1","date":"` + tomorrow + `"}`,
				`free_slots {"station_id":"msk-2","date":"` + tomorrow + `"}`, `free_slots {"station_id":"msk-3","date":"` + tomorrow + `"}`},
				hear: []string{"не могу получить данные", "оператором"}, not: []string{"свободного времени нет"}},
		}},
		{"store unavailable, then no", caller, func(s *fakeShop) { s.down = true }, []step{
			{caller: "зимние шины 205 55 16", calls: []string{`search_tires {"width":205,"profile":55,"rim":16,"season":"winter"}`},
				hear: []string{"не могу получить данные"}, not: []string{"есть"}},
			{caller: "нет", hear: []string{"Хорошо", "Чем ещё"}},
		}},
		{"unintelligible three times offers an operator", caller, nil, []step{
			{unintelligible: true, hear: []string{"Повторите"}},
			{unintelligible: true, hear: []string{"Повторите"}},
			{unintelligible: true, hear: []string{"оператором?"}},
			{caller: "да", calls: []string{`transfer_to_operator {"reason":"caller accepted an operator","topic":"general"}`}, action: dialog.Transfer, topic: routing.TopicGeneral},
		}},
		{"digits typed on the keypad answer the number questions", dialog.Call{ID: "c6", Keypad: true}, nil, []step{
			{caller: "Где мой заказ?", hear: []string{"или наберите его на телефоне и нажмите решётку"}},
			{caller: "100012", calls: []string{`order_status {"order_id":"100012"}`}, hear: []string{"последние четыре цифры"}},
			{caller: "4567", calls: []string{`verify_order {"order_id":"100012","last4":"4567"}`}, hear: []string{"передан в доставку"}},
			{caller: "Запишите на шиномонтаж в Новосибирске на завтра в 11", calls: []string{
				`find_stations {"city":"Новосибирск"}`, `free_slots {"station_id":"nsk-1","date":"` + tomorrow + `"}`}},
			{caller: "Ольга", hear: []string{"или наберите его на телефоне и нажмите решётку"}},
			{caller: "89165554433", calls: []string{`book_slot {"station_id":"nsk-1","start":"` + tomorrow + `T11:00","name":"Ольга","phone":"+79165554433"}`},
				hear: []string{"Верно?"}},
		}},
		{"a pending question survives a misheard turn", caller, nil, []step{
			{caller: "нужны летние шины", hear: []string{"размер"}},
			{unintelligible: true, hear: []string{"Повторите"}},
			{caller: "205/55/16", calls: []string{`search_tires {"width":205,"profile":55,"rim":16,"season":"summer"}`}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shop := newFakeShop()
			if tt.setup != nil {
				tt.setup(shop)
			}
			talk(t, shop, tt.call, tt.steps)
		})
	}
}

func TestName(t *testing.T) {
	if got := New(newFakeShop().registry(t), nil).Name(); got != "rules" {
		t.Errorf("Name() = %q", got)
	}
}

// TestConversationsKeepTheirOwnState: what one call said does not leak
// into another.
func TestConversationsKeepTheirOwnState(t *testing.T) {
	shop := newFakeShop()
	r := New(shop.registry(t), func() time.Time { return testNow })
	a, b := r.Begin(caller), r.Begin(caller)
	nop := func(context.Context, string) error { return nil }
	if _, err := a.Respond(context.Background(), dialog.Request{Text: "зимние шины на 16"}, nop); err != nil {
		t.Fatal(err)
	}
	tr := &tools.Trace{}
	if _, err := b.Respond(tools.WithTrace(context.Background(), tr), dialog.Request{Text: "205 55"}, nop); err != nil {
		t.Fatal(err)
	}
	if calls := tr.Calls(); len(calls) != 0 {
		t.Errorf("the second call searched with the first one's slots: %v", calls)
	}
}

// TestSayErrorEndsTheTurn: a cancelled say (barge-in) is Respond's error.
func TestSayErrorEndsTheTurn(t *testing.T) {
	conv := New(newFakeShop().registry(t), func() time.Time { return testNow }).Begin(caller)
	n := 0
	_, err := conv.Respond(context.Background(), dialog.Request{Text: "зимние шины 205 55 16"}, func(context.Context, string) error {
		n++
		return context.Canceled
	})
	if err != context.Canceled || n != 1 {
		t.Errorf("err = %v after %d pieces", err, n)
	}
}

// TestOutcomeTellsTheQuestionAndTheActivity: the engine reports what it is
// doing while the caller waits (for the call's filler), the question its
// reply ends with (for the re-prompt), and whether the keypad may answer
// it; on a call that takes the keypad, a number question says so.
func TestOutcomeTellsTheQuestionAndTheActivity(t *testing.T) {
	conv := New(newFakeShop().registry(t), func() time.Time { return testNow }).Begin(dialog.Call{ID: "c5", Keypad: true})
	tests := []struct {
		caller   string
		busy     []dialog.Activity
		question string
		keypad   bool
	}{
		{"Где мой заказ?", nil, askOrderKeypadText, true},
		{"100012", []dialog.Activity{dialog.ActivityOrder}, "последние четыре цифры", true},
		{"Запишите меня на шиномонтаж", nil, askCityText, false},
		{"в Москве на завтра", []dialog.Activity{dialog.ActivityStations, dialog.ActivitySlots, dialog.ActivitySlots, dialog.ActivitySlots}, askTimeText, false},
		{"в двенадцать", nil, askNameText, false},
		{"Соедините с оператором", []dialog.Activity{dialog.ActivityLookup}, "", false},
	}
	for i, tt := range tests {
		var busy []dialog.Activity
		var said []string
		out, err := conv.Respond(context.Background(), dialog.Request{Turn: i + 1, Text: tt.caller, Busy: func(a dialog.Activity) { busy = append(busy, a) }},
			func(_ context.Context, s string) error { said = append(said, s); return nil })
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(busy, tt.busy) {
			t.Errorf("turn %d %q: busy %q, want %q", i+1, tt.caller, busy, tt.busy)
		}
		if tt.question == "" && out.Question != "" || !strings.Contains(out.Question, tt.question) || out.Keypad != tt.keypad {
			t.Errorf("turn %d %q: question %q keypad %v, want %q %v (said %q)", i+1, tt.caller, out.Question, out.Keypad, tt.question, tt.keypad, said)
		}
		if tt.question != "" && !strings.Contains(strings.Join(said, " "), out.Question) {
			t.Errorf("turn %d %q: the question %q was not said: %q", i+1, tt.caller, out.Question, said)
		}
	}
}
