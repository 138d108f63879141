package rules

import (
	"errors"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/store"
)

// order looks up an order by the number in u, by the caller's phone when
// they ask for it ("по моему номеру"), or asks for the number.
func (c *conversation) order(t *turn, u utterance) dialog.Outcome {
	c.task = taskOrder
	if id := parseOrderID(u, true); id != "" {
		return c.orderStatus(t, map[string]any{"order_id": id})
	}
	if phone := parsePhone(u); phone != "" {
		return c.orderStatus(t, map[string]any{"phone": phone})
	}
	if byCallerPhone(u) {
		return c.orderByCallerPhone(t)
	}
	if c.callerPhone != "" {
		return c.ask(t, askOrderID, askOrderOrPhone)
	}
	return c.ask(t, askOrderID, askOrderText)
}

// answerOrder handles the answer to "Назовите номер заказа".
func (c *conversation) answerOrder(t *turn, u utterance) (dialog.Outcome, bool) {
	switch {
	case parseOrderID(u, true) != "" || parsePhone(u) != "":
		return c.order(t, u), true
	case byCallerPhone(u) || isYes(u) && c.callerPhone != "":
		return c.orderByCallerPhone(t), true
	}
	return dialog.Outcome{}, false
}

func (c *conversation) orderByCallerPhone(t *turn) dialog.Outcome {
	if c.callerPhone == "" {
		return c.ask(t, askOrderID, sayNoCallerNumber, askOrderText)
	}
	return c.orderStatus(t, map[string]any{"phone": c.callerPhone})
}

// orderStatus runs order_status and speaks its answer. An unknown number
// or a phone with no orders asks for the number again.
func (c *conversation) orderStatus(t *turn, args map[string]any) dialog.Outcome {
	res, err := c.call(t, "order_status", args)
	switch {
	case errors.Is(err, store.ErrNotFound) && res.Say != "":
		// The tool says the number is unknown; the caller may give another.
		t.speak(res.Say)
		c.pending, c.question = askOrderID, askOrderText
		return dialog.Outcome{Action: dialog.Continue}
	case err != nil:
		return c.failed(t, res)
	}
	var data struct {
		Orders *[]any `json:"orders"`
	}
	t.speak(res.Say)
	if decode(res.Data, &data) && data.Orders != nil && len(*data.Orders) == 0 {
		// No orders on this phone: the tool asks for the number.
		c.pending, c.question = askOrderID, askOrderText
		return dialog.Outcome{Action: dialog.Continue}
	}
	return c.followUp(t, res.Say)
}
