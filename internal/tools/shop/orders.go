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

// MaxFailedProofs is how many wrong proofs of an order's ownership a call
// may give before it goes to an operator: enough for a slip of the tongue
// or a misheard digit, too few to guess four digits (3 in 10 000).
const MaxFailedProofs = 3

// What a tool needs from the caller before it can answer: the value of
// Need in its Data, for the rule engine to ask the right question and for
// the model to know what to ask.
const (
	NeedOrderID           = "order_id"           // the number of the order
	NeedProof             = "proof"              // the last four digits of the phone on order OrderID
	NeedPhone             = "phone"              // a contact number for the booking
	NeedPhoneConfirmation = "phone_confirmation" // a yes to the number just read back
)

// maxViews bounds the orders handed to the model at once.
const maxViews = 10

// OrderAnswer is the Data of order_status and verify_order: the orders the
// caller may hear, or what must come first.
type OrderAnswer struct {
	Orders       []OrderView `json:"orders"`                  // the caller's verified orders; empty when none may be told
	Need         string      `json:"need,omitempty"`          // NeedOrderID or NeedProof
	OrderID      string      `json:"order_id,omitempty"`      // with NeedProof: the order the proof is for
	AttemptsLeft int         `json:"attempts_left,omitempty"` // with NeedProof after a wrong one
}

// OrderView is an order as the model sees it: what the caller needs to
// know about their order, and nothing that identifies a person (no name,
// phone or address).
type OrderView struct {
	ID           string               `json:"id"`
	Status       store.OrderStatus    `json:"status"`
	Items        []OrderItemView      `json:"items"`
	Total        int                  `json:"total"` // rubles
	Delivery     store.DeliveryMethod `json:"delivery"`
	StationID    string               `json:"station_id,omitempty"`    // the shop's pickup station
	ExpectedDate string               `json:"expected_date,omitempty"` // YYYY-MM-DD
	Created      string               `json:"created"`                 // YYYY-MM-DD
}

// OrderItemView is one line of an order.
type OrderItemView struct {
	Description string `json:"description"`
	Quantity    int    `json:"quantity"`
	Price       int    `json:"price"` // rubles per tire
}

func viewOf(o store.Order) OrderView {
	v := OrderView{
		ID: o.ID, Status: o.Status, Total: o.Total, Items: []OrderItemView{},
		Delivery: o.Delivery.Method, StationID: o.Delivery.StationID, ExpectedDate: o.Delivery.ExpectedDate,
		Created: o.CreatedAt.Format(time.DateOnly),
	}
	for _, it := range o.Items {
		v.Items = append(v.Items, OrderItemView{Description: it.Description, Quantity: it.Quantity, Price: it.Price})
	}
	return v
}

// The tools' own phrases about orders.
const (
	sayNoCallerNumber = "Я не вижу номера, с которого вы звоните. Назовите, пожалуйста, номер заказа."
	sayOnlyOwnPhone   = "По номеру телефона я могу найти только заказы того номера, с которого вы звоните. " +
		"Если заказ оформлен на другой номер, назовите, пожалуйста, номер заказа."
	sayNoOwnOrders = "На номер, с которого вы звоните, заказов не найдено. Назовите, пожалуйста, номер заказа."
	sayAskProof    = "Чтобы назвать данные заказа номер %s, мне нужно убедиться, что он ваш. " +
		"Назовите, пожалуйста, последние четыре цифры номера телефона, на который оформлен заказ."
	sayWrongProof = "Цифры не совпадают. Назовите, пожалуйста, ещё раз последние четыре цифры номера телефона, на который оформлен заказ."
	sayProved     = "Спасибо, заказ подтверждён."
	sayLockedOut  = "К сожалению, не получилось подтвердить, что заказ ваш. " + SayTransfer
)

var statusWords = map[store.OrderStatus]string{
	store.OrderNew:            "принят и ждёт подтверждения",
	store.OrderConfirmed:      "подтверждён и собирается",
	store.OrderPaid:           "оплачен и готовится к отправке",
	store.OrderShipped:        "передан в доставку",
	store.OrderReadyForPickup: "готов к выдаче",
	store.OrderDelivered:      "доставлен",
	store.OrderCancelled:      "отменён",
	store.OrderReturned:       "оформлен как возврат",
}

// orderStatus reads out the caller's own orders (no arguments, or their
// own number), or one order by its number when the caller may hear it;
// otherwise it asks for the proof, in the same words whether the order is
// someone else's or does not exist.
func (t *shopTools) orderStatus(ctx context.Context, args json.RawMessage) (tools.Result, error) {
	var a struct {
		OrderID string `json:"order_id"`
		Phone   string
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return tools.Result{}, fmt.Errorf("%w: %v", tools.ErrInvalidArgs, err)
	}
	caller := tools.CallerFrom(ctx)
	if a.OrderID != "" {
		return t.orderByID(ctx, caller, a.OrderID)
	}
	own := caller.Phone()
	if own == "" {
		return tools.Result{Say: sayNoCallerNumber, Data: OrderAnswer{Orders: []OrderView{}, Need: NeedOrderID}}, nil
	}
	if a.Phone != "" {
		// A number said on the line proves nothing: only the registered
		// one opens the orders, whoever the caller says they call for.
		if p, err := store.NormalizePhone(a.Phone); err != nil || p != own {
			return tools.Result{Say: sayOnlyOwnPhone, Data: OrderAnswer{Orders: []OrderView{}, Need: NeedOrderID}}, nil
		}
	}
	orders, err := t.s.OrdersByPhone(ctx, own)
	if err != nil {
		return fail(err, "")
	}
	if len(orders) == 0 {
		return tools.Result{Say: sayNoOwnOrders, Data: OrderAnswer{Orders: []OrderView{}, Need: NeedOrderID}}, nil
	}
	views := make([]OrderView, 0, min(len(orders), maxViews))
	for _, o := range orders[:min(len(orders), maxViews)] {
		caller.MarkVerified(o.ID)
		views = append(views, viewOf(o))
	}
	if len(orders) == 1 {
		return tools.Result{Say: t.describeOrder(orders[0]), Data: OrderAnswer{Orders: views}}, nil
	}
	// Several: the newest ones first, each by its number and status only
	// (the caller names one to hear more), then how many there are.
	read := orders[:min(len(orders), maxRead)]
	say := fmt.Sprintf("Заказ номер %s %s.", read[0].ID, statusWords[read[0].Status])
	if rest := read[1:]; len(rest) > 0 {
		statuses := make([]string, len(rest))
		for i, o := range rest {
			statuses[i] = "номер " + o.ID + " " + statusWords[o.Status]
		}
		say += " " + russian.Capitalize(strings.Join(statuses, ", ")) + "."
	}
	say += fmt.Sprintf(" Всего на ваш номер %s", russian.Count(len(orders), nounOrder))
	if len(orders) > len(read) {
		say += ", я назвала последние"
	}
	return tools.Result{Say: say + ".", Data: OrderAnswer{Orders: views}}, nil
}

// orderByID reads out order id if the caller may hear it, else asks for
// the proof. Nothing in the answer tells a foreign order from a missing
// one.
func (t *shopTools) orderByID(ctx context.Context, caller *tools.Caller, id string) (tools.Result, error) {
	if !caller.Verified(id) && caller.FailedProofs() >= MaxFailedProofs {
		return lockedOut(), nil
	}
	o, err := t.s.Order(ctx, id)
	switch {
	case err == nil && (caller.Verified(id) || caller.Phone() != "" && o.Phone == caller.Phone()):
		caller.MarkVerified(id)
		return tools.Result{Say: t.describeOrder(o), Data: OrderAnswer{Orders: []OrderView{viewOf(o)}}}, nil
	case err == nil, errors.Is(err, store.ErrNotFound):
		return askProof(id, 0), nil
	}
	return fail(err, "")
}

// verifyOrder checks the last four digits of the phone on an order, as the
// caller said them. A match lets the caller hear the order for the rest of
// the call; an unknown order never matches; the MaxFailedProofs-th miss
// sends the call to an operator.
func (t *shopTools) verifyOrder(ctx context.Context, args json.RawMessage) (tools.Result, error) {
	var a struct {
		OrderID string `json:"order_id"`
		Last4   string `json:"last4"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return tools.Result{}, fmt.Errorf("%w: %v", tools.ErrInvalidArgs, err)
	}
	caller := tools.CallerFrom(ctx)
	if caller == nil {
		// Without the call's state a failed proof could not be counted.
		return tools.Result{Say: Unavailable}, tools.ErrNoCaller
	}
	if caller.FailedProofs() >= MaxFailedProofs {
		return lockedOut(), nil
	}
	o, err := t.s.Order(ctx, a.OrderID)
	switch {
	case err == nil && (caller.Verified(a.OrderID) || last4(o.Phone) == a.Last4):
		caller.MarkVerified(a.OrderID)
		return tools.Result{Say: sayProved + " " + t.describeOrder(o), Data: OrderAnswer{Orders: []OrderView{viewOf(o)}}}, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return fail(err, "") // the store's trouble is not the caller's failure
	}
	n := caller.ProofFailed()
	t.proofFailed()
	if n >= MaxFailedProofs {
		t.lockedOut()
		return lockedOut(), nil
	}
	res := askProof(a.OrderID, MaxFailedProofs-n)
	res.Say = sayWrongProof
	return res, nil
}

func askProof(id string, attemptsLeft int) tools.Result {
	return tools.Result{
		Say:  fmt.Sprintf(sayAskProof, id),
		Data: OrderAnswer{Orders: []OrderView{}, Need: NeedProof, OrderID: id, AttemptsLeft: attemptsLeft},
	}
}

func lockedOut() tools.Result {
	return tools.Result{
		Say:    sayLockedOut,
		Data:   OrderAnswer{Orders: []OrderView{}},
		Action: dialog.Transfer,
		Reason: "order ownership not proven",
		Topic:  routing.TopicOrders,
	}
}

// last4 is the last four digits of an E.164 number.
func last4(phone string) string {
	if len(phone) < 4 {
		return ""
	}
	return phone[len(phone)-4:]
}

// describeOrder reads out one order: its status first, then when it is
// expected, then its sum.
func (t *shopTools) describeOrder(o store.Order) string {
	s := fmt.Sprintf("Заказ номер %s %s.", o.ID, statusWords[o.Status])
	if d, err := time.Parse(time.DateOnly, o.Delivery.ExpectedDate); err == nil &&
		(o.Status == store.OrderShipped || o.Status == store.OrderPaid || o.Status == store.OrderConfirmed) {
		s += " Ожидаем его " + russian.SpokenDate(d, t.now()) + "."
	}
	return s + " Сумма " + russian.Rubles(o.Total) + "."
}
