package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/routing"
	"github.com/tirevoice/assistant/internal/russian"
	"github.com/tirevoice/assistant/internal/store"
	"github.com/tirevoice/assistant/internal/tools"
)

// The tools' argument schemas, as the shop and knowledge-base tools
// declare them; the registry validates every call against them.
var schemas = map[string]string{
	"search_tires": `{"type":"object","properties":{
		"width":{"type":"integer","minimum":125,"maximum":355},
		"profile":{"type":"integer","minimum":25,"maximum":85},
		"rim":{"type":"integer","minimum":12,"maximum":24},
		"season":{"type":"string","enum":["summer","winter","all_season"]},
		"brand":{"type":"string","minLength":2,"maxLength":40},
		"studded":{"type":"boolean"},
		"max_price":{"type":"integer","minimum":1,"maximum":1000000}},
		"required":["width","profile","rim"],"additionalProperties":false}`,
	"tire_details": `{"type":"object","properties":{"tire_id":{"type":"string","pattern":"^[A-Za-z0-9-]{1,40}$"}},"required":["tire_id"],"additionalProperties":false}`,
	"order_status": `{"type":"object","properties":{
		"order_id":{"type":"string","pattern":"^[0-9]{4,12}$"},
		"phone":{"type":"string","pattern":"^\\+?[0-9 ()-]{10,20}$"}},
		"additionalProperties":false}`,
	"verify_order": `{"type":"object","properties":{
		"order_id":{"type":"string","pattern":"^[0-9]{4,12}$"},
		"last4":{"type":"string","pattern":"^[0-9]{4}$"}},
		"required":["order_id","last4"],"additionalProperties":false}`,
	"find_stations": `{"type":"object","properties":{
		"city":{"type":"string","minLength":2,"maxLength":60},
		"date":{"type":"string","pattern":"^([0-9]{4}-[0-9]{2}-[0-9]{2}|today|tomorrow)$"}},
		"required":["city"],"additionalProperties":false}`,
	"free_slots": `{"type":"object","properties":{
		"station_id":{"type":"string","pattern":"^[a-z0-9-]{1,40}$"},
		"date":{"type":"string","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}},
		"required":["station_id","date"],"additionalProperties":false}`,
	"book_slot": `{"type":"object","properties":{
		"station_id":{"type":"string","pattern":"^[a-z0-9-]{1,40}$"},
		"start":{"type":"string","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"},
		"name":{"type":"string","minLength":1,"maxLength":80},
		"phone":{"type":"string","pattern":"^\\+?[0-9 ()-]{10,20}$"},
		"phone_confirmed":{"type":"boolean"},
		"note":{"type":"string","maxLength":300}},
		"required":["station_id","start","name"],"additionalProperties":false}`,
	"search_kb":            `{"type":"object","properties":{"query":{"type":"string","minLength":2,"maxLength":300}},"required":["query"],"additionalProperties":false}`,
	"transfer_to_operator": `{"type":"object","properties":{"reason":{"type":"string","maxLength":200},"topic":{"type":"string","enum":["general","tires","orders","fitting","complaints"]}},"additionalProperties":false}`,
	"end_call":             `{"type":"object","properties":{"reason":{"type":"string","maxLength":200}},"additionalProperties":false}`,
}

// activities are the tools' activities, as the shop declares them.
var activities = map[string]dialog.Activity{
	"search_tires": dialog.ActivityTires, "order_status": dialog.ActivityOrder, "verify_order": dialog.ActivityOrder,
	"find_stations": dialog.ActivityStations, "free_slots": dialog.ActivitySlots, "book_slot": dialog.ActivityBooking,
}

// testNow is a Tuesday noon in Moscow.
var (
	msk      = time.FixedZone("MSK", 3*3600)
	testNow  = time.Date(2025, 11, 25, 12, 0, 0, 0, msk)
	tomorrow = "2025-11-26"
)

const (
	unavailableSay = "Извините, сейчас я не могу получить данные магазина. Могу соединить вас с оператором."
	kbNoMatchSay   = "К сожалению, я не знаю ответа на этот вопрос. Соединить вас с оператором?"
)

// fakeShop answers like the shop's tools over a small fixed data set:
// order 100012 is +79161234567's, with the proof "4567"; every other order
// asks for a proof that never holds. Each field may be replaced by a
// test; down makes every store tool fail as an unreachable store does.
// The shop's own tests hold the real tools to the rules of personal data;
// this fake only answers in their shapes.
type fakeShop struct {
	mu     sync.Mutex
	down   bool
	taken  map[string]bool // "station start" pairs already booked
	raced  map[string]bool // pairs someone else books just before the caller
	run    map[string]func(args map[string]any) (tools.Result, error)
	caller *tools.Caller // of the tool call being run
	failed int           // wrong proofs
}

func newFakeShop() *fakeShop {
	s := &fakeShop{taken: map[string]bool{}, raced: map[string]bool{}}
	s.run = map[string]func(map[string]any) (tools.Result, error){
		"search_tires":  s.searchTires,
		"tire_details":  func(map[string]any) (tools.Result, error) { return tools.Result{Say: "Nokian Hakkapeliitta 10."}, nil },
		"order_status":  s.orderStatus,
		"verify_order":  s.verifyOrder,
		"find_stations": s.findStations,
		"free_slots":    s.freeSlots,
		"book_slot":     s.bookSlot,
		"search_kb":     s.searchKB,
		"transfer_to_operator": func(a map[string]any) (tools.Result, error) {
			topic, _ := a["topic"].(string)
			return tools.Result{Say: "Оставайтесь на линии, соединяю с оператором.", Action: dialog.Transfer, Reason: "operator", Topic: routing.Topic(topic)}, nil
		},
		"end_call": func(map[string]any) (tools.Result, error) {
			return tools.Result{Say: "Спасибо за звонок, до свидания!", Action: dialog.Hangup, Reason: "bye"}, nil
		},
	}
	return s
}

// registry builds the real registry over the fake tools.
func (s *fakeShop) registry(t testing.TB) *tools.Registry {
	t.Helper()
	var ts []tools.Tool
	for name, schema := range schemas {
		ts = append(ts, tools.Tool{
			Name:     name,
			Schema:   json.RawMessage(schema),
			Activity: activities[name],
			Run: func(ctx context.Context, raw json.RawMessage) (tools.Result, error) {
				var args map[string]any
				if err := json.Unmarshal(raw, &args); err != nil {
					return tools.Result{}, err
				}
				s.mu.Lock()
				defer s.mu.Unlock()
				s.caller = tools.CallerFrom(ctx)
				if s.down && name != "transfer_to_operator" && name != "end_call" {
					return tools.Result{Say: unavailableSay}, fmt.Errorf("store: GET: %w", store.ErrUnavailable)
				}
				return s.run[name](args)
			},
		})
	}
	reg, err := tools.NewRegistry(ts...)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func num(args map[string]any, k string) int {
	f, _ := args[k].(float64)
	return int(f)
}

func str(args map[string]any, k string) string {
	v, _ := args[k].(string)
	return v
}

func (s *fakeShop) searchTires(args map[string]any) (tools.Result, error) {
	w, p, r := num(args, "width"), num(args, "profile"), num(args, "rim")
	season := str(args, "season")
	adj := map[string]string{"": "", "winter": "зимние", "summer": "летние", "all_season": "всесезонные"}[season]
	tires := []map[string]any{
		{"id": "T0101", "brand": "Cordiant", "model": "Winter Drive 2", "price": 5400},
		{"id": "T0102", "brand": "Ikon", "model": "Nordman 8", "price": 6100},
		{"id": "T0103", "brand": "Nokian", "model": "Hakkapeliitta 10", "price": 9800},
	}
	what := strings.TrimSpace(russian.PluralAdjective(adj, russian.Genitive) + " шин этого размера")
	if w != 205 || p != 55 || r != 16 || str(args, "brand") == "Pirelli" {
		return tools.Result{
			Say:  "Нет, " + what + " сейчас нет в наличии. Могу поискать другой сезон или бренд, или соединить с оператором.",
			Data: map[string]any{"found": 0, "tires": []any{}},
		}, nil
	}
	if limit := num(args, "max_price"); limit > 0 && limit < 5400 {
		return tools.Result{
			Say: fmt.Sprintf("Нет, до %s %s нет. Самые недорогие — Cordiant Winter Drive 2 за 5 400 рублей.",
				russian.CountWords(limit, russian.Noun{One: "рубль", Few: "рубля", Many: "рублей"}, russian.Genitive), what),
			Data: map[string]any{"found": 0, "tires": []any{}, "max_price": limit, "cheapest_above_limit": tires[0]},
		}, nil
	}
	lead := "Есть"
	if adj != "" {
		lead = russian.Capitalize(adj) + " есть"
	}
	say := lead + " за 5 400 рублей: Cordiant Winter Drive 2. Ещё Ikon Nordman 8 за 6 100 и Nokian Hakkapeliitta 10 за 9 800 рублей. Это самые недорогие из пяти."
	return tools.Result{Say: say, Data: map[string]any{"found": 5, "tires": tires}}, nil
}

const (
	order100012 = "Заказ номер 100012 передан в доставку. Ожидаем его завтра, двадцать шестого ноября. Сумма 21 600 рублей."
	askProofSay = "Чтобы назвать данные заказа номер %s, мне нужно убедиться, что он ваш. Назовите, пожалуйста, последние четыре цифры номера телефона, на который оформлен заказ."
)

func (s *fakeShop) orderStatus(args map[string]any) (tools.Result, error) {
	own := s.caller.Phone()
	switch id, phone := str(args, "order_id"), str(args, "phone"); {
	case id == "100012" && (own == "+79161234567" || s.caller.Verified(id)):
		return tools.Result{Say: order100012, Data: map[string]any{"orders": []any{map[string]any{"id": id, "status": "shipped"}}}}, nil
	case id != "":
		return tools.Result{Say: fmt.Sprintf(askProofSay, id), Data: map[string]any{"orders": []any{}, "need": "proof", "order_id": id}}, nil
	case own == "":
		return tools.Result{Say: "Я не вижу номера, с которого вы звоните. Назовите, пожалуйста, номер заказа.", Data: map[string]any{"orders": []any{}, "need": "order_id"}}, nil
	case phone != "" && phone != own:
		return tools.Result{Say: "По номеру телефона я могу найти только заказы того номера, с которого вы звоните. Если заказ оформлен на другой номер, назовите, пожалуйста, номер заказа.",
			Data: map[string]any{"orders": []any{}, "need": "order_id"}}, nil
	case own == "+79161234567":
		return tools.Result{Say: "Заказ номер 100001 доставлен. Сумма 12 500 рублей.", Data: map[string]any{"orders": []any{map[string]any{"id": "100001"}}}}, nil
	}
	return tools.Result{Say: "На номер, с которого вы звоните, заказов не найдено. Назовите, пожалуйста, номер заказа.", Data: map[string]any{"orders": []any{}, "need": "order_id"}}, nil
}

func (s *fakeShop) verifyOrder(args map[string]any) (tools.Result, error) {
	id := str(args, "order_id")
	if id == "100012" && str(args, "last4") == "4567" {
		s.caller.MarkVerified(id)
		return tools.Result{Say: "Спасибо, заказ подтверждён. " + order100012, Data: map[string]any{"orders": []any{map[string]any{"id": id}}}}, nil
	}
	s.failed++
	if s.failed >= 3 {
		return tools.Result{Say: "К сожалению, не получилось подтвердить, что заказ ваш. Оставайтесь на линии, соединяю с оператором.",
			Data: map[string]any{"orders": []any{}}, Action: dialog.Transfer, Reason: "order ownership not proven"}, nil
	}
	return tools.Result{Say: "Цифры не совпадают. Назовите, пожалуйста, ещё раз последние четыре цифры номера телефона, на который оформлен заказ.",
		Data: map[string]any{"orders": []any{}, "need": "proof", "order_id": id, "attempts_left": 3 - s.failed}}, nil
}

var stations = map[string][]map[string]any{
	"Казань": {
		{"id": "kzn-1", "city": "Казань", "name": "ШинДом на Проспекте Победы", "address": "Казань, пр. Победы, 91"},
		{"id": "kzn-2", "city": "Казань", "name": "ШинДом Авиастроительный", "address": "Казань, ул. Копылова, 12"},
	},
	"Москва": {
		{"id": "msk-1", "city": "Москва", "name": "ШинДом на Профсоюзной", "address": "Москва, ул. Профсоюзная, 56"},
		{"id": "msk-2", "city": "Москва", "name": "ШинДом на Варшавке", "address": "Москва, Варшавское шоссе, 118, стр. 2"},
		{"id": "msk-3", "city": "Москва", "name": "ШинДом Экспресс Митино", "address": "Москва, Пятницкое шоссе, 21"},
	},
	"Новосибирск": {
		{"id": "nsk-1", "city": "Новосибирск", "name": "ШинДом на Станционной", "address": "Новосибирск, ул. Станционная, 38"},
	},
}

var stationNoun = russian.Noun{One: "станция", Few: "станции", Many: "станций", Gender: russian.Feminine}

func (s *fakeShop) findStations(args map[string]any) (tools.Result, error) {
	city := str(args, "city")
	list := stations[city]
	if len(list) == 0 {
		return tools.Result{
			Say:  russian.Capitalize(russian.InCity(city)) + " у нас пока нет станций шиномонтажа. Станции есть в Москве, Санкт-Петербурге, Казани, Екатеринбурге и Новосибирске.",
			Data: map[string]any{"stations": []any{}},
		}, nil
	}
	if date := str(args, "date"); date != "" {
		d, _ := time.ParseInLocation(time.DateOnly, date, msk)
		switch date {
		case "today":
			d = testNow
		case "tomorrow":
			d = testNow.AddDate(0, 0, 1)
		}
		return tools.Result{
			Say:  russian.Capitalize(russian.SpokenDay(d, testNow)) + " " + russian.InCity(city) + " станции работают с девяти до двадцати одного.",
			Data: map[string]any{"stations": list, "date": date},
		}, nil
	}
	addrs := make([]string, len(list))
	for i, st := range list {
		addrs[i] = russian.Unabbreviate(strings.TrimPrefix(st["address"].(string), city+", "))
	}
	return tools.Result{
		Say:  russian.Capitalize(russian.InCity(city)) + " " + russian.CountWords(len(list), stationNoun, russian.Nominative) + ": " + strings.Join(addrs, "; ") + ".",
		Data: map[string]any{"stations": list},
	}, nil
}

var allSlots = []string{"10:00", "11:00", "12:00", "14:00", "15:00"}

func (s *fakeShop) freeSlots(args map[string]any) (tools.Result, error) {
	id, date := str(args, "station_id"), str(args, "date")
	d, _ := time.ParseInLocation(time.DateOnly, date, msk)
	if d.Weekday() == time.Sunday {
		return tools.Result{Say: "В этот день станция не работает.", Data: map[string]any{"slots": []string{}, "closed": true}}, nil
	}
	free := []string{}
	for _, sl := range allSlots {
		if !s.taken[id+" "+date+"T"+sl] {
			free = append(free, sl)
		}
	}
	return tools.Result{Say: russian.Capitalize(russian.SpokenDate(d, testNow)) + " свободно в " + strings.Join(free, ", ") + ".", Data: map[string]any{"slots": free, "closed": false}}, nil
}

func (s *fakeShop) bookSlot(args map[string]any) (tools.Result, error) {
	switch phone := str(args, "phone"); {
	case phone == "" && s.caller.Phone() == "":
		return tools.Result{Say: "Назовите, пожалуйста, номер телефона для связи.", Data: map[string]any{"booked": false, "need": "phone"}}, nil
	case phone != "" && phone != s.caller.Phone() && args["phone_confirmed"] != true:
		return tools.Result{Say: "Записываю на номер " + phone + ". Верно?", Data: map[string]any{"booked": false, "need": "phone_confirmation"}}, nil
	}
	key := str(args, "station_id") + " " + str(args, "start")
	if s.raced[key] {
		s.raced[key], s.taken[key] = false, true
	}
	if s.taken[key] {
		return tools.Result{Say: "Это время уже занято. Давайте выберем другое.", Data: map[string]any{"booked": false}},
			&store.APIError{Status: 409, Code: store.CodeSlotTaken, Message: "slot taken"}
	}
	s.taken[key] = true
	start, _ := time.ParseInLocation("2006-01-02T15:04", str(args, "start"), msk)
	return tools.Result{
		Say: fmt.Sprintf("Готово, %s, вы записаны %s, в %s. Номер записи B0007.", str(args, "name"),
			russian.SpokenDate(start, testNow), russian.ClockWords(start.Hour(), start.Minute(), russian.Accusative)),
		Data: map[string]any{"id": "B0007"},
	}, nil
}

var kbArticles = []struct{ keyword, answer string }{
	{"размер", "Размер написан на боковине шины, например двести пять пятьдесят пять эр шестнадцать."},
	{"доставка в", "Да, доставляем по всей России. Курьер привезёт заказ на следующий день, от четырёх шин бесплатно."},
	{"доставк", "Доставка по Москве на следующий день, от четырёх шин бесплатно."},
	{"давлени", "Рекомендуемое давление указано на наклейке в проёме водительской двери."},
	{"хранени", "Хранение комплекта шин стоит 3 000 рублей за сезон."},
	{"гаранти", "На все шины действует гарантия производителя, обычно пять лет."},
	{"шиномонтаж", "Шиномонтаж комплекта на шестнадцатых дисках стоит 2 400 рублей."},
	{"работ", "Станции работают ежедневно с девяти до двадцати одного."},
	{"оплат", "Оплатить можно картой, наличными или через СБП."},
}

func (s *fakeShop) searchKB(args map[string]any) (tools.Result, error) {
	q := str(args, "query")
	for _, a := range kbArticles {
		if strings.Contains(q, a.keyword) {
			return tools.Result{Say: a.answer, Data: map[string]any{"found": true, "hits": []any{map[string]any{"answer": a.answer}}}}, nil
		}
	}
	return tools.Result{Say: kbNoMatchSay, Data: map[string]any{"found": false, "hits": []any{}}}, nil
}
