// Package shop holds the bot's tools that act on the shop through the Store
// API: tire search and details, order status and its proof of ownership,
// fitting stations, free slots and booking, plus the two call-control
// tools (operator, end the call). Every answer is phrased for the ear and
// leads with the answer itself (yes or no, the first offer with its price,
// the status, the time), then the detail: prices as "5 400 рублей", dates,
// times and sizes in words, in the case their preposition needs
// (package russian), at most three options read out.
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
	"slices"
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

// SayTransfer is what the caller hears before an operator takes the call:
// what happens next, first.
const SayTransfer = "Оставайтесь на линии, соединяю с оператором."

// The nouns the tools count. Read-only.
var (
	nounStation = russian.Noun{One: "станция", Few: "станции", Many: "станций", Gender: russian.Feminine}
	nounOrder   = russian.Noun{One: "заказ", Few: "заказа", Many: "заказов", Gender: russian.Masculine}
	nounPiece   = russian.Noun{One: "штука", Few: "штуки", Many: "штук", Gender: russian.Feminine}
	nounRuble   = russian.Noun{One: "рубль", Few: "рубля", Many: "рублей", Gender: russian.Masculine}
)

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
			Run:      t.searchTires,
			Activity: dialog.ActivityTires,
		},
		{
			Name:        "tire_details",
			Description: "Подробности о модели шины по её id из результата поиска: индексы нагрузки и скорости, цена, наличие.",
			Schema:      json.RawMessage(`{"type":"object","properties":{"tire_id":{"type":"string","pattern":"^[A-Za-z0-9-]{1,40}$"}},"required":["tire_id"],"additionalProperties":false}`),
			Run:         t.tireDetails,
			Activity:    dialog.ActivityTires,
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
			Run:      t.orderStatus,
			Activity: dialog.ActivityOrder,
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
			Run:      t.verifyOrder,
			Activity: dialog.ActivityOrder,
		},
		{
			Name: "find_stations",
			Description: "Станции шиномонтажа в городе: адреса и недельные часы работы. С date — фраза say называет часы работы станций в этот день " +
				"(для вопросов «до скольки вы сегодня работаете», «во сколько открываетесь в субботу»); без date — адреса.",
			Schema: json.RawMessage(`{"type":"object","properties":{
				"city":{"type":"string","minLength":2,"maxLength":60},
				"date":{"type":"string","pattern":"^([0-9]{4}-[0-9]{2}-[0-9]{2}|today|tomorrow)$","description":"необязательно: день, часы работы которого назвать: YYYY-MM-DD (местная дата станций), today или tomorrow (по местному времени станций)"}},
				"required":["city"],"additionalProperties":false}`),
			Run:      t.findStations,
			Activity: dialog.ActivityStations,
		},
		{
			Name:        "free_slots",
			Description: "Свободное время для шиномонтажа на станции в заданный день (местное время станции).",
			Schema: json.RawMessage(`{"type":"object","properties":{
				"station_id":{"type":"string","pattern":"^[a-z0-9-]{1,40}$"},
				"date":{"type":"string","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}},
				"required":["station_id","date"],"additionalProperties":false}`),
			Run:      t.freeSlots,
			Activity: dialog.ActivitySlots,
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
			Run:      t.bookSlot,
			Activity: dialog.ActivityBooking,
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
				return tools.Result{Say: SayTransfer, Action: dialog.Transfer,
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
	q := store.TireQuery{
		Width: a.Width, Profile: a.Profile, Rim: a.Rim, Season: a.Season,
		Brand: a.Brand, Studded: a.Studded, MaxPrice: a.MaxPrice, InStock: true, Limit: maxRead,
	}
	res, err := t.s.SearchTires(ctx, q)
	if err != nil {
		return fail(err, "")
	}
	// The adjectives of what was asked for, in the nominative plural:
	// "шипованные зимние".
	var adjs []string
	if a.Studded != nil {
		adjs = append(adjs, map[bool]string{true: "шипованные", false: "нешипованные"}[*a.Studded])
	}
	if w := seasonWords[a.Season]; w != "" {
		adjs = append(adjs, w)
	}
	data := map[string]any{"found": res.Total, "tires": res.Items}
	if len(res.Items) == 0 {
		return t.noTires(ctx, q, adjs, data)
	}
	var b strings.Builder
	lead := "Есть"
	if len(adjs) > 0 {
		lead = russian.Capitalize(strings.Join(adjs, " ")) + " есть"
	}
	// The price before the name: a model name read out takes a second or
	// two, and the caller asked what there is and for how much.
	first := res.Items[0]
	fmt.Fprintf(&b, "%s за %s: %s%s.", lead, russian.Rubles(first.Price), tireName(first), studs(first))
	if rest := res.Items[1:]; len(rest) > 0 {
		offers := make([]string, len(rest))
		for i, tire := range rest {
			price := russian.Group(tire.Price)
			if i == len(rest)-1 {
				price = russian.Rubles(tire.Price)
			}
			offers[i] = tireName(tire) + " за " + price + studs(tire)
		}
		b.WriteString(" Ещё " + russian.Join(offers) + ".")
	}
	if res.Total > len(res.Items) {
		b.WriteString(" Это самые недорогие из " + russian.Cardinal(res.Total, russian.Masculine, russian.Genitive) + ".")
	}
	return tools.Result{Say: b.String(), Data: data}, nil
}

// noTires answers a search that found nothing: no, in the genitive after
// the negation ("зимних шин Nokian этого размера нет"). A price limit is
// said back, with the cheapest tire above it, found by the same search
// without the limit.
func (t *shopTools) noTires(ctx context.Context, q store.TireQuery, adjs []string, data map[string]any) (tools.Result, error) {
	gen := make([]string, 0, len(adjs)+2)
	for _, adj := range adjs {
		gen = append(gen, russian.PluralAdjective(adj, russian.Genitive))
	}
	gen = append(gen, "шин")
	if q.Brand != "" {
		gen = append(gen, q.Brand)
	}
	what := strings.Join(gen, " ") + " этого размера"
	if limit := q.MaxPrice; limit > 0 {
		data["max_price"] = limit
		q.MaxPrice, q.Limit = 0, 1
		if above, err := t.s.SearchTires(ctx, q); err == nil && len(above.Items) > 0 {
			cheapest := above.Items[0]
			data["cheapest_above_limit"] = cheapest
			return tools.Result{
				Say: fmt.Sprintf("Нет, до %s %s нет. Самые недорогие — %s за %s.",
					russian.CountWords(limit, nounRuble, russian.Genitive), what, tireName(cheapest), russian.Rubles(cheapest.Price)),
				Data: data,
			}, nil
		}
	}
	var other []string
	if len(adjs) > 0 {
		other = append(other, "другой сезон")
	}
	if q.Brand != "" {
		other = append(other, "другой бренд")
	}
	offer := "Могу соединить с оператором."
	if len(other) > 0 {
		offer = "Могу поискать " + strings.Join(other, " или ") + ", или соединить с оператором."
	}
	return tools.Result{Say: "Нет, " + what + " сейчас нет в наличии. " + offer, Data: data}, nil
}

// tireName is a tire as it is read out: brand and model.
func tireName(tire store.Tire) string {
	return speakable(tire.Brand) + " " + speakable(tire.Model)
}

func studs(tire store.Tire) string {
	if tire.Studded {
		return ", с шипами"
	}
	return ""
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
		stock = "в наличии " + russian.Count(tire.Stock, nounPiece)
	}
	return tools.Result{
		Say: fmt.Sprintf("%s, %s за шину, %s. %s, %s, индекс нагрузки %d, индекс скорости %s.",
			tireName(tire), russian.Rubles(tire.Price), stock, russian.Capitalize(seasonWords[tire.Season]),
			russian.TireSize(tire.Width, tire.Profile, tire.Rim), tire.LoadIndex, tire.SpeedIndex),
		Data: tire,
	}, nil
}

func (t *shopTools) findStations(ctx context.Context, args json.RawMessage) (tools.Result, error) {
	var a struct{ City, Date string }
	if err := json.Unmarshal(args, &a); err != nil {
		return tools.Result{}, fmt.Errorf("%w: %v", tools.ErrInvalidArgs, err)
	}
	var day time.Time
	if a.Date != "" && a.Date != "today" && a.Date != "tomorrow" {
		d, err := time.Parse(time.DateOnly, a.Date)
		if err != nil {
			return tools.Result{}, fmt.Errorf("%w: date: %v", tools.ErrInvalidArgs, err)
		}
		day = d
	}
	stations, err := t.s.Stations(ctx, a.City)
	if err != nil {
		return fail(err, "")
	}
	data := map[string]any{"stations": stations}
	if len(stations) == 0 {
		return tools.Result{
			Say:  russian.Capitalize(russian.InCity(a.City)) + " у нас пока нет станций шиномонтажа. Станции есть в Москве, Санкт-Петербурге, Казани, Екатеринбурге и Новосибирске.",
			Data: data,
		}, nil
	}
	if a.Date == "today" || a.Date == "tomorrow" {
		// The stations' own calendar: near midnight it is not the server's.
		day = t.stationsToday(stations)
		if a.Date == "tomorrow" {
			day = day.AddDate(0, 0, 1)
		}
	}
	if !day.IsZero() {
		data["date"] = day.Format(time.DateOnly)
		return tools.Result{Say: t.hoursOn(stations, day), Data: data}, nil
	}
	shown := stations[:min(len(stations), maxRead)]
	addrs := make([]string, len(shown))
	for i, st := range shown {
		addrs[i] = Address(st)
	}
	say := fmt.Sprintf("%s %s: %s.", russian.Capitalize(russian.InCity(stations[0].City)),
		russian.CountWords(len(stations), nounStation, russian.Nominative), strings.Join(addrs, "; "))
	if len(stations) > len(shown) {
		say += " Я назвала первые три."
	}
	return tools.Result{Say: say, Data: data}, nil
}

// hoursOn says when the stations of one city work on day: the hours most
// of them keep, then each station that differs: "Сегодня в Москве станции
// работают с девяти до двадцати одного, Варшавское шоссе — с восьми до
// двадцати двух."
func (t *shopTools) hoursOn(stations []store.Station, day time.Time) string {
	type group struct {
		hours    string // "" when closed
		stations []store.Station
	}
	var groups []*group
	for _, st := range stations {
		h := dayHours(st, day)
		i := slices.IndexFunc(groups, func(g *group) bool { return g.hours == h })
		if i < 0 {
			i = len(groups)
			groups = append(groups, &group{hours: h})
		}
		groups[i].stations = append(groups[i].stations, st)
	}
	most := groups[0]
	for _, g := range groups[1:] {
		if len(g.stations) > len(most.stations) {
			most = g
		}
	}
	say := russian.Capitalize(russian.SpokenDay(day, t.stationsToday(stations))) + " " + russian.InCity(stations[0].City)
	hours := func(g *group) string {
		if g.hours == "" {
			return "выходной"
		}
		return g.hours
	}
	switch {
	case len(groups) == 1 && most.hours == "":
		return say + " станции не работают."
	case len(groups) == 1 && len(stations) == 1:
		return say + " станция работает " + most.hours + "."
	case len(groups) == 1:
		return say + " станции работают " + most.hours + "."
	}
	var each []string
	if len(most.stations) > 1 {
		say += " станции работают " + hours(most)
	} else {
		say += ":"
		most = nil
	}
	for _, g := range groups {
		if g == most {
			continue
		}
		for _, st := range g.stations {
			each = append(each, street(st)+" — "+hours(g))
		}
	}
	if most != nil {
		say += ","
	}
	return say + " " + strings.Join(each, ", ") + "."
}

// stationsToday is now on the calendar of the stations of one city.
func (t *shopTools) stationsToday(stations []store.Station) time.Time {
	now := t.now()
	if loc, err := time.LoadLocation(stations[0].Timezone); err == nil {
		now = now.In(loc)
	}
	return now
}

// dayHours is a station's working hours on day ("с девяти до двадцати
// одного"), or "" when it is closed.
func dayHours(st store.Station, day time.Time) string {
	i := (int(day.Weekday()) + 6) % 7 // Monday first
	if i >= len(st.Hours) || st.Hours[i].Closed {
		return ""
	}
	var oh, om, ch, cm int
	if _, err := fmt.Sscanf(st.Hours[i].Open+" "+st.Hours[i].Close, "%d:%d %d:%d", &oh, &om, &ch, &cm); err != nil {
		return ""
	}
	return russian.ClockRange(oh, om, ch, cm)
}

// Address is a station's address as it is read out: without the city,
// which the caller already knows, and with the abbreviations spelled out
// ("улица Профсоюзная, 56").
func Address(st store.Station) string {
	a := strings.TrimSpace(strings.TrimPrefix(st.Address, st.City+","))
	return russian.Unabbreviate(a)
}

// street is the first part of a station's address: "Варшавское шоссе".
func street(st store.Station) string {
	a, _, _ := strings.Cut(Address(st), ",")
	return a
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
	when := russian.Capitalize(russian.SpokenDate(day, t.now()))
	var times, spoken []string
	for _, s := range res.Slots {
		times = append(times, s.Start.Format("15:04"))
		if len(spoken) < maxRead {
			spoken = append(spoken, russian.ClockWords(s.Start.Hour(), s.Start.Minute(), russian.Accusative))
		}
	}
	data := map[string]any{"station_id": res.StationID, "date": res.Date, "closed": res.Closed, "slots": times}
	switch {
	case res.Closed:
		return tools.Result{Say: when + " станция не работает.", Data: data}, nil
	case len(times) == 0:
		return tools.Result{Say: when + " свободного времени нет.", Data: data}, nil
	}
	return tools.Result{Say: when + " свободно в " + russian.Join(spoken) + ".", Data: data}, nil
}

// speakable drops the typography of catalogue names ("Soft*Frost") that a
// voice would read out as symbols.
func speakable(name string) string {
	return strings.Join(strings.FieldsFunc(name, func(r rune) bool {
		return r == '*' || r == '_' || r == '#' || r == '|' || r == ' '
	}), " ")
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
