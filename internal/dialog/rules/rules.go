// Package rules is the rule-based dialog engine: the Responder that runs
// calls when the language model is down or over its limits, and in
// offline environments. It understands Russian callers by keywords and
// small parsers (tire sizes, seasons, brands, prices, order numbers,
// cities, dates and times), fills the slots of a task over several turns
// (tire search, order status, fitting booking), and acts only through the
// tool registry, the same tools and validation the language model uses.
// It speaks the tools' answers, which lead with the answer itself, and
// adds what only the conversation knows (the size when it was put
// together or corrected, the day of a booking said back) after the
// answer, and at most one question at the end; its own phrases come from
// package russian's agreement and cases. What a caller may hear of orders
// and for which number a booking is made is the tools' decision (package
// shop), not the engine's: it only asks the questions the tools' answers
// call for.
//
// Each Outcome carries the question the reply ended with, for the call's
// no-input re-prompt, and whether the keypad may answer it; each tool call
// is reported to dialog.Request.Busy, for the call's filler phrase.
package rules

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/routing"
	"github.com/tirevoice/assistant/internal/tools"
)

// Responder begins rule-based conversations. It is safe for concurrent
// use: each conversation keeps its own state.
type Responder struct {
	reg *tools.Registry
	now func() time.Time
}

var (
	_ dialog.Responder    = (*Responder)(nil)
	_ dialog.Conversation = (*conversation)(nil)
)

// New returns a Responder that acts through reg, which must hold the shop
// tools (search_tires, order_status, verify_order, find_stations,
// free_slots, book_slot, search_kb, transfer_to_operator, end_call); a
// missing tool is handled like an unavailable store. now gives today's
// date for bookings; nil means time.Now.
func New(reg *tools.Registry, now func() time.Time) *Responder {
	if now == nil {
		now = time.Now
	}
	return &Responder{reg: reg, now: now}
}

// Name implements dialog.Responder.
func (*Responder) Name() string { return "rules" }

// Begin implements dialog.Responder. The conversation remembers what the
// caller said (size, season, city, station, date, name) across turns.
func (r *Responder) Begin(call dialog.Call) dialog.Conversation {
	return &conversation{r: r, caller: tools.NewCaller(call.Caller), keypad: call.Keypad}
}

// pending is the question the bot asked last, which the next utterance
// most likely answers.
type pending int

const (
	askNothing pending = iota
	askAnythingElse
	askOperator     // an operator was offered
	askBookOffer    // a booking was offered after the addresses of a city's stations
	askHoursCity    // the city whose hours the caller asked for
	askStationsCity // the city whose stations the caller asked for
	askDeliveryCity // the city the caller asked about delivery to
	askSize
	askSeason
	askOrderID
	askCity
	askDate
	askTime
	askName
	askPhone
	askProof        // the last four digits of the phone on an order
	askPhoneConfirm // a yes to the booking number read back
)

// taskQuestion reports a question of a task (size, order number, city,
// time...), which a side question may interrupt and which is repeated
// when its answer is not understood.
func (p pending) taskQuestion() bool { return p >= askSize }

// keypad reports a question whose answer is a number the caller may type.
func (p pending) keypad() bool { return p == askOrderID || p == askProof || p == askPhone }

// task is what the caller is busy with, for follow-ups ("а летние?").
type task int

const (
	taskNone task = iota
	taskTires
	taskOrder
	taskBooking
)

// missesBeforeOperator is how many misunderstandings in a row make the
// bot offer an operator.
const missesBeforeOperator = 3

// conversation is one call's state. Respond is called for one utterance
// at a time (dialog.Conversation), so it needs no lock.
type conversation struct {
	r *Responder
	// caller is the call's server-side identity for the tools, used when
	// this conversation answers the call on its own; behind another
	// engine, the Caller that engine put in the context is used instead.
	caller *tools.Caller

	pending  pending
	question string // the question asked last, to repeat it
	// resume is the task question a side question interrupted ("Как вас
	// зовут?" - "А сколько стоит шиномонтаж?"); the answer to the side
	// question asks it again.
	resume         pending
	resumeQuestion string
	task           task
	misses         int  // misunderstandings in a row
	missed         bool // this turn was not understood
	// letDown: something went wrong in the call (a misunderstanding, a
	// store that did not answer, nothing in stock, a taken time), so an
	// apology is due to a caller who gets angry.
	letDown bool
	keypad  bool // the call takes numbers typed on the keypad (dialog.Call.Keypad)
	// city is the city the caller named last, in any task: a later
	// question about hours or delivery needs not ask it again.
	city     string
	hoursDay time.Time // the day whose hours the caller asked for

	tire tireSlots
	book bookingSlots
	name string // the caller's name, once known
	// phone is a contact number for a booking the caller dictated, E.164;
	// "" books for the caller's own number. phoneConfirmed: the caller
	// said yes when the tool read it back.
	phone          string
	phoneConfirmed bool
	proofOrder     string // the order whose proof of ownership is asked for
}

// turn is one reply being spoken. The first failing say (barge-in,
// hang-up) stops the rest and is Respond's error.
type turn struct {
	ctx    context.Context
	say    dialog.Say
	busy   func(dialog.Activity) // dialog.Request.Busy; may be nil
	caller *tools.Caller         // the call's identity, as the tools see it
	err    error
	runes  int    // spoken so far in the turn
	last   string // the last piece spoken
}

// speak says each text, one piece per sentence.
func (t *turn) speak(texts ...string) {
	for _, text := range texts {
		for _, s := range sentences(text) {
			if t.err == nil {
				t.err = t.say(t.ctx, s)
				t.runes += utf8.RuneCountInString(s)
				t.last = s
			}
		}
	}
}

// maxTurnRunes is how long a reply may grow before the engine leaves out
// its closing "Чем ещё могу помочь?": about 8 s of a voice at 20
// characters a second. The question stays pending all the same.
const maxTurnRunes = 160

// Respond implements dialog.Conversation.
func (c *conversation) Respond(ctx context.Context, req dialog.Request, say dialog.Say) (dialog.Outcome, error) {
	caller := tools.CallerFrom(ctx)
	if caller == nil {
		caller = c.caller
		caller.NextTurn()
		ctx = tools.WithCaller(ctx, caller)
	}
	t := &turn{ctx: ctx, say: say, busy: req.Busy, caller: caller}
	c.missed = false
	out := c.respond(t, req)
	if c.missed {
		c.misses++
		c.letDown = true
	} else {
		c.misses = 0
	}
	if t.err == nil {
		t.err = ctx.Err()
	}
	if out.Action == dialog.Continue {
		switch {
		case c.pending != askNothing:
			out.Question, out.Keypad = c.question, c.pending.keypad()
		case strings.HasSuffix(t.last, "?"):
			out.Question = t.last
		}
	}
	return out, t.err
}

func (c *conversation) respond(t *turn, req dialog.Request) dialog.Outcome {
	u := newUtterance(req.Text)
	if req.Unintelligible || len(u.f) == 0 {
		return c.notHeard(t)
	}
	if n := introducedName(u); n != "" {
		c.name = n
	}
	switch c.classify(u) {
	case intentAnger:
		if c.letDown {
			t.speak(saySorry) // only for what did go wrong
		}
		return c.transfer(t, "caller is frustrated", routing.TopicComplaints)
	case intentHuman:
		return c.transfer(t, "caller asked for a human", c.taskTopic())
	case intentGoodbye:
		return c.goodbye(t)
	}
	p := c.pending
	c.pending = askNothing
	if out, ok := c.answer(t, u, p); ok {
		return out
	}
	if p.taskQuestion() {
		c.resume, c.resumeQuestion = p, c.question
	}
	out := c.route(t, u, p)
	if c.pending != askOperator && c.pending != c.resume {
		c.resume = askNothing // the caller moved on
	}
	return out
}

// resumeOrFollowUp goes back to the interrupted task question, if any,
// after answering a side question; otherwise it asks what else.
func (c *conversation) resumeOrFollowUp(t *turn, said string) dialog.Outcome {
	if r := c.resume; r.taskQuestion() {
		c.resume = askNothing
		return c.ask(t, r, c.resumeQuestion)
	}
	return c.followUp(t, said)
}

// answer handles an utterance that answers the pending question. It
// reports false when the utterance is about something else.
func (c *conversation) answer(t *turn, u utterance, p pending) (dialog.Outcome, bool) {
	switch p {
	case askOperator:
		switch {
		case isYes(u):
			return c.transfer(t, "caller accepted an operator", c.taskTopic()), true
		case isNo(u) && c.resume.taskQuestion():
			r := c.resume
			c.resume = askNothing
			return c.ask(t, r, sayOK, c.resumeQuestion), true
		case isNo(u):
			return c.ask(t, askAnythingElse, sayOK, sayAnythingElse), true
		}
	case askAnythingElse:
		switch {
		case isNo(u):
			return c.goodbye(t), true
		case isYes(u):
			return c.ask(t, askNothing, sayListening), true
		}
	case askBookOffer:
		if hoursQuestion(u) || addressQuestion(u) {
			break
		}
		if isYes(u) || chooseStation(u, c.book.stations) >= 0 || c.bookingEntities(u) {
			if !isYes(u) {
				c.takeBooking(u, false)
			}
			c.task = taskBooking
			return c.advanceBooking(t), true
		}
		if isNo(u) {
			return c.ask(t, askAnythingElse, sayOK, sayAnythingElse), true
		}
	case askHoursCity:
		if ct, ok := parseCity(u, true); ok {
			return c.hoursIn(t, ct.name), true
		}
	case askStationsCity:
		if ct, ok := parseCity(u, true); ok {
			return c.stationsIn(t, ct.name), true
		}
	case askDeliveryCity:
		if ct, ok := parseCity(u, true); ok {
			return c.deliveryTo(t, ct.name), true
		}
	case askSize, askSeason:
		if p == askSize && u.hasPhrase("не знаю", "не помню", "где посмотреть", "как узнать") {
			// The base explains where the size is written; the slots stay.
			c.task = taskTires
			return c.askKB(t, "как узнать размер шин"), true
		}
		if c.tireEntities(u, true) || p == askSeason && (anyOption(u) || u.hasPhrase("не знаю")) {
			return c.tires(t, u, p), true
		}
	case askOrderID:
		return c.answerOrder(t, u)
	case askProof:
		return c.answerProof(t, u)
	case askCity, askDate, askTime, askName, askPhone, askPhoneConfirm:
		return c.answerBooking(t, u, p)
	}
	return dialog.Outcome{}, false
}

// intent is what an utterance asks for, when no pending question takes it.
type intent int

const (
	intentUnknown  intent = iota // a question for the knowledge base, or nothing understood
	intentHuman                  // an operator
	intentAnger                  // frustration: an operator, with an apology
	intentGoodbye                // the end of the call
	intentBooking                // fitting stations and booking
	intentOrder                  // order status
	intentTires                  // tire search
	intentKB                     // a question for the knowledge base
	intentGreeting               // "здравствуйте"
	intentThanks                 // "спасибо"
	intentYesNo                  // a bare yes or no
	intentStations               // where the stations of a city are
	intentHours                  // when the stations work
	intentDelivery               // whether the shop delivers
)

var intentNames = [...]string{"unknown", "human", "anger", "goodbye", "booking", "order", "tires", "kb", "greeting", "thanks", "yes/no",
	"stations", "hours", "delivery"}

func (i intent) String() string { return intentNames[i] }

// classify tells the intent of u in the conversation so far (a follow-up
// "а летние?" is a tire search only while the caller is choosing tires).
// The order matters: an operator or a goodbye wins over everything, a
// booking or an order over the tire words in it, a size over a question
// word, a knowledge-base topic over a season or brand.
func (c *conversation) classify(u utterance) intent {
	_, hasCity := parseCity(u, false)
	switch {
	case angry(u):
		return intentAnger
	case wantsHuman(u):
		return intentHuman
	case saysGoodbye(u):
		return intentGoodbye
	case addressQuestion(u) && (hasCity || wantsBooking(u)) && !bookingVerb(u) && !wantsOrder(u):
		return intentStations
	case hoursQuestion(u):
		return intentHours
	case deliveryQuestion(u):
		return intentDelivery
	case wantsBooking(u) || hasCity && u.hasPrefix("станци"):
		return intentBooking
	case wantsOrder(u) || parseOrderID(u, false) != "":
		return intentOrder
	case !parseSize(u, false, size{}).empty():
		return intentTires
	case kbTopic(u) || fittingQuestion(u):
		return intentKB
	case c.tireEntities(u, c.task == taskTires):
		return intentTires
	case c.task == taskBooking && c.bookingEntities(u):
		return intentBooking
	case greets(u) && !u.question():
		return intentGreeting
	case thanks(u) && !u.question():
		return intentThanks
	case isYes(u) || isNo(u):
		return intentYesNo
	case u.question():
		return intentKB
	}
	return intentUnknown
}

// route handles an utterance by its intent.
func (c *conversation) route(t *turn, u utterance, p pending) dialog.Outcome {
	switch c.classify(u) {
	case intentStations:
		return c.stations(t, u)
	case intentHours:
		return c.hours(t, u)
	case intentDelivery:
		return c.delivery(t, u)
	case intentBooking:
		return c.booking(t, u)
	case intentOrder:
		return c.order(t, u)
	case intentTires:
		return c.tires(t, u, p)
	case intentKB:
		return c.kb(t, u)
	case intentGreeting:
		return c.ask(t, askNothing, sayHello, sayHelp)
	case intentThanks:
		return c.ask(t, askAnythingElse, sayYoureWelcome, sayAnythingElse)
	case intentYesNo:
		if p.taskQuestion() {
			return c.reask(t, p)
		}
		return c.ask(t, askNothing, sayHelp)
	}
	if p.taskQuestion() {
		return c.reask(t, p) // an answer that does not fit the question
	}
	return c.kb(t, u) // try the base before saying it was not understood
}

// ask speaks texts and waits for the answer to p. The last text is the
// question repeated when the answer is not understood.
func (c *conversation) ask(t *turn, p pending, texts ...string) dialog.Outcome {
	t.speak(texts...)
	c.pending = p
	if len(texts) > 0 {
		c.question = texts[len(texts)-1]
	}
	return dialog.Outcome{Action: dialog.Continue}
}

// reask repeats the pending question after an answer that did not fit.
func (c *conversation) reask(t *turn, p pending) dialog.Outcome {
	c.missed = true
	if c.misses+1 >= missesBeforeOperator {
		return c.ask(t, askOperator, sayOfferOperator)
	}
	return c.ask(t, p, sayNotUnderstood, c.question)
}

// notHeard answers unintelligible speech: ask to repeat, and after
// missesBeforeOperator misunderstandings in a row offer an operator. The
// pending question stays.
func (c *conversation) notHeard(t *turn) dialog.Outcome {
	c.missed = true
	if c.misses+1 >= missesBeforeOperator {
		return c.ask(t, askOperator, sayOfferOperator)
	}
	t.speak(sayRepeat)
	return dialog.Outcome{Action: dialog.Continue}
}

// transfer hands the call to an operator through transfer_to_operator,
// with the topic that chooses the operators queue. The caller is
// transferred even when the tool fails: a human can help without the store.
func (c *conversation) transfer(t *turn, reason string, topic routing.Topic) dialog.Outcome {
	res, err := c.call(t, "transfer_to_operator", map[string]any{"reason": reason, "topic": string(topic)})
	out := c.finish(t, res, err, dialog.Transfer, reason, sayTransfer)
	if err != nil || res.Topic == "" {
		out.Topic = topic
	}
	return out
}

// taskTopic is the routing topic of what the caller is busy with: an
// operator who knows it takes the call.
func (c *conversation) taskTopic() routing.Topic {
	switch c.task {
	case taskTires:
		return routing.TopicTires
	case taskOrder:
		return routing.TopicOrders
	case taskBooking:
		return routing.TopicFitting
	}
	return routing.TopicGeneral
}

// goodbye ends the call through end_call, politely, whatever the tool says.
func (c *conversation) goodbye(t *turn) dialog.Outcome {
	reason := "caller said goodbye"
	res, err := c.call(t, "end_call", map[string]any{"reason": reason})
	return c.finish(t, res, err, dialog.Hangup, reason, sayBye)
}

func (c *conversation) finish(t *turn, res tools.Result, err error, action dialog.Action, reason, fallback string) dialog.Outcome {
	if t.err != nil {
		return dialog.Outcome{Action: action, Reason: reason}
	}
	say := res.Say
	if err != nil || say == "" {
		say = fallback
	}
	t.speak(say)
	if err == nil && res.Action != dialog.Continue {
		action = res.Action
	}
	if err == nil && res.Reason != "" {
		reason = res.Reason
	}
	out := dialog.Outcome{Action: action, Reason: reason}
	if action == dialog.Transfer {
		// A tool that transfers on its own (verify_order giving up)
		// names its topic; otherwise the task the caller was busy with.
		out.Topic = c.taskTopic()
		if err == nil && res.Topic != "" {
			out.Topic = res.Topic
		}
	}
	return out
}

// call runs a tool with args marshalled to JSON. A cancelled turn is
// recorded in t.
func (c *conversation) call(t *turn, name string, args map[string]any) (tools.Result, error) {
	raw, err := json.Marshal(args)
	if err != nil {
		return tools.Result{}, err
	}
	if t.busy != nil && t.runes == 0 {
		t.busy(c.r.reg.Activity(name)) // the caller waits in silence: a filler may say what for
	}
	res, err := c.r.reg.Call(t.ctx, name, raw)
	if err != nil && t.ctx.Err() != nil && t.err == nil {
		t.err = t.ctx.Err()
	}
	return res, err
}

// failed answers a tool error that the flow cannot handle (the store is
// unavailable, a tool is missing or refused the arguments): an apology
// and an offer of an operator, never a made-up answer. "Да" then
// transfers; "нет" goes on.
func (c *conversation) failed(t *turn, res tools.Result) dialog.Outcome {
	if t.err != nil {
		return dialog.Outcome{Action: dialog.Continue}
	}
	c.letDown = true
	say := res.Say
	if !strings.Contains(strings.ToLower(say), "оператор") {
		say = sayUnavailable
	}
	return c.ask(t, askOperator, say)
}

// decode reads a tool's Data (whatever its Go type) into v through JSON.
func decode(data any, v any) bool {
	if data == nil {
		return false
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return false
	}
	return json.Unmarshal(raw, v) == nil
}

// followUp asks whether the caller needs anything else, unless the tool's
// answer already ends with a question or an offer of an operator. After a
// long answer the question is left unsaid (the turn is long enough) but
// still pending, so "нет" ends the call and the re-prompt asks it.
func (c *conversation) followUp(t *turn, said string) dialog.Outcome {
	s := strings.TrimSpace(said)
	switch {
	case strings.HasSuffix(s, "?"):
		c.pending, c.question = askAnythingElse, lastSentence(s)
		return dialog.Outcome{Action: dialog.Continue}
	case strings.Contains(strings.ToLower(s), "оператор"):
		c.pending, c.question = askOperator, lastSentence(s)
		return dialog.Outcome{Action: dialog.Continue}
	case t.runes > maxTurnRunes:
		c.pending, c.question = askAnythingElse, sayAnythingElse
		return dialog.Outcome{Action: dialog.Continue}
	}
	return c.ask(t, askAnythingElse, sayAnythingElse)
}

// lastSentence is the last sentence of a tool's answer: the question or
// offer it ends with, which a re-prompt repeats.
func lastSentence(text string) string {
	s := sentences(text)
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// sentences cuts text into sentences for say: after ".", "!" or "?"
// followed by a space and a capital letter, but not after a short
// abbreviation ("ул. Профсоюзная", "пр. Победы").
func sentences(text string) []string {
	text = strings.TrimSpace(text)
	var out []string
	start := 0
	for i := 0; i < len(text); i++ {
		ch := text[i]
		if ch != '.' && ch != '!' && ch != '?' {
			continue
		}
		j := i + 1
		for j < len(text) && text[j] == ' ' {
			j++
		}
		if j == i+1 || j >= len(text) {
			continue
		}
		r, _ := utf8.DecodeRuneInString(text[j:])
		if !unicode.IsUpper(r) || ch == '.' && abbreviation(text[start:i]) {
			continue
		}
		out = append(out, strings.TrimSpace(text[start:i+1]))
		start = j
	}
	if rest := strings.TrimSpace(text[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// abbreviation reports whether s ends with a short lower-case word.
func abbreviation(s string) bool {
	i := strings.LastIndexAny(s, " ,(")
	w := s[i+1:]
	n := utf8.RuneCountInString(w)
	if n == 0 || n > 3 {
		return false
	}
	for _, r := range w {
		if !unicode.IsLower(r) {
			return false
		}
	}
	return true
}
