// Package shop holds the bot's tools that act on the shop through the Store
// API: tire search and details, order status and its proof of ownership,
// fitting stations, free slots and booking, plus the two call-control
// tools (operator, end the call). Every answer is phrased for the ear:
// prices as "5 400 рублей", sizes in words, at most three options read out.
//
// The tools are the one place where a caller's personal data is guarded,
// for the rule engine and the language model alike (DESIGN.md, "Security
// and personal data"). Who is calling comes from the tools.Caller in the
// context (the dialplan's registration), never from a tool's arguments:
// an order is read out only to the number it was placed from, or after
// the caller proved it theirs with the last four digits of that number,
// checked here; a booking is made for the caller's number, or for another
// one only after it was read back and confirmed in a later turn; and the
// Data the model reads holds no name, phone or address.
package shop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/routing"
	"github.com/tirevoice/assistant/internal/russian"
	"github.com/tirevoice/assistant/internal/store"
	"github.com/tirevoice/assistant/internal/tools"
)

// Store is the part of the Store API client the tools use.
type Store interface {
	SearchTires(ctx context.Context, q store.TireQuery) (store.TireSearch, error)
	Tire(ctx context.Context, id string) (store.Tire, error)
	Order(ctx context.Context, id string) (store.Order, error)
	OrdersByPhone(ctx context.Context, phone string) ([]store.Order, error)
	Stations(ctx context.Context, city string) ([]store.Station, error)
	Slots(ctx context.Context, stationID, date string) (store.StationSlots, error)
	Book(ctx context.Context, req store.BookingRequest) (store.Booking, error)
}

var _ Store = (*store.Client)(nil)

// maxRead is how many options the bot reads out.
const maxRead = 3

// Unavailable is what the caller hears when the store cannot answer: an
// apology and an operator, never a made-up answer.
const Unavailable = "Извините, сейчас я не могу получить данные магазина. Могу соединить вас с оператором."

// Option configures Tools.
type Option func(*shopTools)

// CountProofs counts the failed proofs of an order's ownership (failed)
// and the calls sent to an operator after MaxFailedProofs of them
// (lockedOut), for the metrics. Either may be nil.
func CountProofs(failed, lockedOut func()) Option {
	return func(t *shopTools) {
		if failed != nil {
			t.proofFailed = failed
		}
		if lockedOut != nil {
			t.lockedOut = lockedOut
		}
	}
}

// Tools returns the shop's tools over s. now gives today's date for
// spoken dates.
func Tools(s Store, now func() time.Time, opts ...Option) []tools.Tool {
	t := &shopTools{s: s, now: now, proofFailed: func() {}, lockedOut: func() {}}
	for _, o := range opts {
		o(t)
	}
	return []tools.Tool{
		{
			Name:        "search_tires",
			Description: "Найти шины в наличии по размеру (ширина, профиль, диаметр диска), сезону, бренду, шипам и максимальной цене за шину. Возвращает до трёх самых дешёвых вариантов.",
			Schema: json.RawMessage(`{"type":"object","properties":{
				"width":{"type":"integer","minimum":125,"maximum":355,"description":"ширина, мм"},
				"profile":{"type":"integer","minimum":25,"maximum":85,"description":"высота профиля, %"},
				"rim":{"type":"integer","minimum":12,"maximum":24,"description":"диаметр диска, дюймы"},
				"season":{"type":"string","enum":["summer","winter","all_season"]},
				"brand":{"type":"string","minLength":2,"maxLength":40},
				"studded":{"type":"boolean"},
				"max_price":{"type":"integer","minimum":1,"maximum":1000000,"description":"рублей за шину"}},
				"required":["width","profile","rim"],"additionalProperties":false}`),
			Run: t.searchTires,
		},
		{
			Name:        "tire_details",
			Description: "Подробности о модели шины по её id из результата поиска: индексы нагрузки и скорости, цена, наличие.",
			Schema:      json.RawMessage(`{"type":"object","properties":{"tire_id":{"type":"string","pattern":"^[A-Za-z0-9-]{1,40}$"}},"required":["tire_id"],"additionalProperties":false}`),
			Run:         t.tireDetails,
		},
		{
			Name: "order_status",
			Description: "Статус заказа. Без аргументов — заказы номера, с которого звонит клиент (его знает сервер). " +
				"С order_id — заказ по номеру: если он оформлен не на номер звонящего, инструмент вместо данных попросит подтверждение " +
				"(последние четыре цифры телефона из заказа; проверяет их verify_order). Заказы чужого номера телефона не выдаются.",
			Schema: json.RawMessage(`{"type":"object","properties":{
				"order_id":{"type":"string","pattern":"^[0-9]{4,12}$","description":"номер заказа, цифрами"},
				"phone":{"type":"string","pattern":"^\\+?[0-9 ()-]{10,20}$","description":"необязательно; принимается только номер, с которого звонит клиент"}},
				"additionalProperties":false}`),
			Run: t.orderStatus,
		},
		{
			Name: "verify_order",
			Description: "Проверить, что заказ принадлежит клиенту: последние четыре цифры номера телефона, на который оформлен заказ, " +
				"как их назвал клиент. Вызывайте, только когда order_status попросил подтверждение и клиент назвал цифры; не угадывайте цифры сами. " +
				"После нескольких неверных попыток звонок переводится на оператора.",
			Schema: json.RawMessage(`{"type":"object","properties":{
				"order_id":{"type":"string","pattern":"^[0-9]{4,12}$"},
				"last4":{"type":"string","pattern":"^[0-9]{4}$","description":"четыре цифры, как их назвал клиент"}},
				"required":["order_id","last4"],"additionalProperties":false}`),
			Run: t.verifyOrder,
		},
		{
			Name:        "find_stations",
			Description: "Станции шиномонтажа в городе: адреса и часы работы.",
			Schema:      json.RawMessage(`{"type":"object","properties":{"city":{"type":"string","minLength":2,"maxLength":60}},"required":["city"],"additionalProperties":false}`),
			Run:         t.findStations,
		},
		{
			Name:        "free_slots",
			Description: "Свободное время для шиномонтажа на станции в заданный день (местное время станции).",
			Schema: json.RawMessage(`{"type":"object","properties":{
				"station_id":{"type":"string","pattern":"^[a-z0-9-]{1,40}$"},
				"date":{"type":"string","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}},
				"required":["station_id","date"],"additionalProperties":false}`),
			Run: t.freeSlots,
		},
		{
			Name: "book_slot",
			Description: "Записать клиента на шиномонтаж: станция, начало слота (местное время станции, YYYY-MM-DDTHH:MM) и имя. " +
				"Запись делается на номер, с которого звонит клиент (его знает сервер), phone тогда не нужен. " +
				"Другой номер (phone) сервер сначала зачитывает клиенту; когда клиент в следующей реплике подтвердит его, " +
				"вызовите book_slot снова с теми же аргументами и phone_confirmed: true.",
			Schema: json.RawMessage(`{"type":"object","properties":{
				"station_id":{"type":"string","pattern":"^[a-z0-9-]{1,40}$"},
				"start":{"type":"string","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"},
				"name":{"type":"string","minLength":1,"maxLength":80},
				"phone":{"type":"string","pattern":"^\\+?[0-9 ()-]{10,20}$","description":"только если клиент хочет записаться на другой номер или его номер неизвестен"},
				"phone_confirmed":{"type":"boolean","description":"клиент подтвердил зачитанный ему номер"},
				"note":{"type":"string","maxLength":300}},
				"required":["station_id","start","name"],"additionalProperties":false}`),
			Run: t.bookSlot,
		},
		{
			Name: "transfer_to_operator",
			Description: "Передать звонок живому оператору: клиент просит человека, недоволен, или вопрос вне возможностей ассистента. " +
				"topic выбирает очередь операторов: tires (подбор и покупка шин), orders (существующий заказ), " +
				"fitting (шиномонтаж и запись), complaints (жалоба, недовольный клиент), general (всё остальное).",
			Schema: transferSchema(),
			Run: func(_ context.Context, args json.RawMessage) (tools.Result, error) {
				var a struct{ Reason, Topic string }
				_ = json.Unmarshal(args, &a) // validated by the schema
				topic, _ := routing.ParseTopic(a.Topic)
				return tools.Result{Say: "Соединяю вас с оператором.", Action: dialog.Transfer,
					Reason: orDefault(a.Reason, "assistant handed over"), Topic: topic.OrGeneral()}, nil
			},
		},
		{
			Name:        "end_call",
			Description: "Завершить разговор, когда клиент попрощался и больше ничего не нужно.",
			Schema:      json.RawMessage(`{"type":"object","properties":{"reason":{"type":"string","maxLength":200}},"additionalProperties":false}`),
			Run: func(_ context.Context, args json.RawMessage) (tools.Result, error) {
				var a struct{ Reason string }
				_ = json.Unmarshal(args, &a)
				return tools.Result{Say: "Спасибо за звонок, до свидания!", Action: dialog.Hangup, Reason: orDefault(a.Reason, "conversation finished")}, nil
			},
		},
	}
}

type shopTools struct {
	s           Store
	now         func() time.Time
	proofFailed func() // a proof of ownership failed
	lockedOut   func() // a call went to an operator after too many
}

// fail turns a store error into what the caller hears. Unavailability is
// an apology and an offer of an operator; the error goes back to the
// responder either way.
func fail(err error, notFound string) (tools.Result, error) {
	switch {
	case errors.Is(err, store.ErrNotFound) && notFound != "":
		return tools.Result{Say: notFound, Data: map[string]any{"found": false}}, err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return tools.Result{}, err
	}
	return tools.Result{Say: Unavailable, Data: map[string]any{"error": "store unavailable"}}, err
}

var seasonWords = map[store.Season]string{
	store.SeasonSummer:    "летние",
	store.SeasonWinter:    "зимние",
	store.SeasonAllSeason: "всесезонные",
}

func (t *shopTools) searchTires(ctx context.Context, args json.RawMessage) (tools.Result, error) {
	var a struct {
		Width, Profile, Rim int
		Season              store.Season
		Brand               string
		Studded             *bool
		MaxPrice            int `json:"max_price"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return tools.Result{}, fmt.Errorf("%w: %v", tools.ErrInvalidArgs, err)
	}
	res, err := t.s.SearchTires(ctx, store.TireQuery{
		Width: a.Width, Profile: a.Profile, Rim: a.Rim, Season: a.Season,
		Brand: a.Brand, Studded: a.Studded, MaxPrice: a.MaxPrice, InStock: true, Limit: maxRead,
	})
	if err != nil {
		return fail(err, "")
	}
	what := strings.TrimSpace(seasonWords[a.Season] + " шины")
	if a.Studded != nil {
		what = map[bool]string{true: "шипованные ", false: "нешипованные "}[*a.Studded] + what
	}
	if a.Brand != "" {
		what += " " + a.Brand
	}
	size := russian.TireSize(a.Width, a.Profile, a.Rim)
	data := map[string]any{"found": res.Total, "tires": res.Items}
	if len(res.Items) == 0 {
		return tools.Result{
			Say:  fmt.Sprintf("К сожалению, %s размера %s сейчас нет в наличии. Могу поискать другой сезон или бренд, или соединить с оператором.", what, size),
			Data: data,
		}, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "В наличии %d %s на %s, %s %s.", res.Total, russian.Plural(res.Total, "вариант", "варианта", "вариантов"),
		strings.ToLower(what), "размер", size)
	for i, tire := range res.Items {
		fmt.Fprintf(&b, " %s: %s %s, %s за шину", ordinal(i), speakable(tire.Brand), speakable(tire.Model), russian.Rubles(tire.Price))
		if tire.Studded {
			b.WriteString(", с шипами")
		}
		b.WriteString(".")
	}
	if res.Total > len(res.Items) {
		b.WriteString(" Это самые недорогие.")
	}
	return tools.Result{Say: b.String(), Data: data}, nil
}

func ordinal(i int) string {
	return [...]string{"Первый", "Второй", "Третий"}[min(i, 2)]
}

func (t *shopTools) tireDetails(ctx context.Context, args json.RawMessage) (tools.Result, error) {
	var a struct {
		TireID string `json:"tire_id"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return tools.Result{}, fmt.Errorf("%w: %v", tools.ErrInvalidArgs, err)
	}
	tire, err := t.s.Tire(ctx, a.TireID)
	if err != nil {
		return fail(err, "Такой модели я не нашла.")
	}
	stock := "под заказ"
	if tire.Stock > 0 {
		stock = fmt.Sprintf("в наличии %d %s", tire.Stock, russian.Plural(tire.Stock, "штука", "штуки", "штук"))
	}
	return tools.Result{
		Say: fmt.Sprintf("%s %s, %s, %s, индекс нагрузки %d, индекс скорости %s, %s за шину, %s.",
			speakable(tire.Brand), speakable(tire.Model), russian.TireSize(tire.Width, tire.Profile, tire.Rim), seasonWords[tire.Season],
			tire.LoadIndex, tire.SpeedIndex, russian.Rubles(tire.Price), stock),
		Data: tire,
	}, nil
}

func (t *shopTools) findStations(ctx context.Context, args json.RawMessage) (tools.Result, error) {
	var a struct{ City string }
	if err := json.Unmarshal(args, &a); err != nil {
		return tools.Result{}, fmt.Errorf("%w: %v", tools.ErrInvalidArgs, err)
	}
	stations, err := t.s.Stations(ctx, a.City)
	if err != nil {
		return fail(err, "")
	}
	if len(stations) == 0 {
		return tools.Result{
			Say:  fmt.Sprintf("В городе %s у нас пока нет станций шиномонтажа. Станции есть в Москве, Санкт-Петербурге, Казани, Екатеринбурге и Новосибирске.", a.City),
			Data: map[string]any{"stations": stations},
		}, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "В городе %s %d %s.", stations[0].City, len(stations), russian.Plural(len(stations), "станция", "станции", "станций"))
	for i, st := range stations[:min(len(stations), maxRead)] {
		fmt.Fprintf(&b, " %s: %s, %s.", [...]string{"Первая", "Вторая", "Третья"}[i], st.Address, hoursToday(st, t.now()))
	}
	return tools.Result{Say: b.String(), Data: map[string]any{"stations": stations}}, nil
}

// hoursToday says a station's working hours today.
func hoursToday(st store.Station, now time.Time) string {
	if loc, err := time.LoadLocation(st.Timezone); err == nil {
		now = now.In(loc)
	}
	day := (int(now.Weekday()) + 6) % 7 // Monday first
	if day >= len(st.Hours) || st.Hours[day].Closed {
		return "сегодня закрыта"
	}
	return fmt.Sprintf("сегодня работает с %s до %s", st.Hours[day].Open, st.Hours[day].Close)
}

func (t *shopTools) freeSlots(ctx context.Context, args json.RawMessage) (tools.Result, error) {
	var a struct {
		StationID string `json:"station_id"`
		Date      string
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return tools.Result{}, fmt.Errorf("%w: %v", tools.ErrInvalidArgs, err)
	}
	day, err := time.Parse(time.DateOnly, a.Date)
	if err != nil {
		return tools.Result{}, fmt.Errorf("%w: date: %v", tools.ErrInvalidArgs, err)
	}
	res, err := t.s.Slots(ctx, a.StationID, a.Date)
	if err != nil {
		return fail(err, "Такой станции я не нашла.")
	}
	when := russian.SpokenDate(day, t.now())
	var times []string
	for _, s := range res.Slots {
		times = append(times, s.Start.Format("15:04"))
	}
	data := map[string]any{"station_id": res.StationID, "date": res.Date, "closed": res.Closed, "slots": times}
	switch {
	case res.Closed:
		return tools.Result{Say: fmt.Sprintf("%s станция не работает.", capitalize(when)), Data: data}, nil
	case len(times) == 0:
		return tools.Result{Say: fmt.Sprintf("%s свободного времени нет.", capitalize(when)), Data: data}, nil
	}
	return tools.Result{
		Say:  fmt.Sprintf("%s свободно в %s.", capitalize(when), joinRu(times[:min(len(times), maxRead)])),
		Data: data,
	}, nil
}

// speakable drops the typography of catalogue names ("Soft*Frost") that a
// voice would read out as symbols.
func speakable(name string) string {
	return strings.Join(strings.FieldsFunc(name, func(r rune) bool {
		return r == '*' || r == '_' || r == '#' || r == '|' || r == ' '
	}), " ")
}

func joinRu(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " и " + items[len(items)-1]
}

func capitalize(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// transferSchema is transfer_to_operator's arguments: the topic enum is
// routing.Topics, so the model can name only a topic the routing rule knows.
func transferSchema() json.RawMessage {
	topics, _ := json.Marshal(routing.Topics) // a []string: cannot fail
	return json.RawMessage(`{"type":"object","properties":{` +
		`"reason":{"type":"string","maxLength":200},` +
		`"topic":{"type":"string","enum":` + string(topics) + `}},"additionalProperties":false}`)
}
