package rules

import (
	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/tools"
	"github.com/tirevoice/assistant/internal/tools/shop"
)

// order looks up an order by the number in u, the caller's own orders
// when they point at their number ("по моему номеру") or dictate one, or
// asks for the number. A dictated number goes to the tool as said: the
// tool, not the engine, refuses a number that is not the caller's.
func (c *conversation) order(t *turn, u utterance) dialog.Outcome {
	c.task = taskOrder
	if id := parseOrderID(u, true); id != "" {
		return c.orderStatus(t, map[string]any{"order_id": id})
	}
	if phone := parsePhone(u); phone != "" {
		return c.orderStatus(t, map[string]any{"phone": phone})
	}
	if byCallerPhone(u) {
		return c.orderStatus(t, map[string]any{})
	}
	if t.caller.Phone() != "" {
		return c.ask(t, askOrderID, askOrderOrPhone)
	}
	return c.ask(t, askOrderID, c.orderQuestion())
}

// orderQuestion asks for the order's number, and says it may be typed
// when the call takes the keypad.
func (c *conversation) orderQuestion() string {
	if c.keypad {
		return askOrderKeypadText
	}
	return askOrderText
}

// answerOrder handles the answer to "Назовите номер заказа".
func (c *conversation) answerOrder(t *turn, u utterance) (dialog.Outcome, bool) {
	switch {
	case parseOrderID(u, true) != "" || parsePhone(u) != "":
		return c.order(t, u), true
	case byCallerPhone(u) || isYes(u) && t.caller.Phone() != "":
		return c.orderStatus(t, map[string]any{}), true
	}
	return dialog.Outcome{}, false
}

// answerProof handles the answer to "Назовите последние четыре цифры":
// four digits (or a whole phone number, whose last four they are) go to
// verify_order; a longer number is another order; a caller who does not
// know them is offered an operator.
func (c *conversation) answerProof(t *turn, u utterance) (dialog.Outcome, bool) {
	c.task = taskOrder
	if id := parseOrderID(u, true); len(id) > 4 {
		return c.order(t, u), true
	}
	if d := parseLast4(u); d != "" {
		res, err := c.call(t, "verify_order", map[string]any{"order_id": c.proofOrder, "last4": d})
		if err != nil {
			return c.failed(t, res), true
		}
		return c.orderAnswer(t, res), true
	}
	if u.hasPhrase("не знаю", "не помню", "не могу", "не скажу") {
		return c.ask(t, askOperator, sayNoProof), true
	}
	return dialog.Outcome{}, false
}

// orderStatus runs order_status and speaks its answer.
func (c *conversation) orderStatus(t *turn, args map[string]any) dialog.Outcome {
	res, err := c.call(t, "order_status", args)
	if err != nil {
		return c.failed(t, res)
	}
	return c.orderAnswer(t, res)
}

// orderAnswer speaks an answer of order_status or verify_order and asks
// what the tool needs next: the order's number, or the proof that it is
// the caller's. A tool that gives up on the proofs transfers the call.
func (c *conversation) orderAnswer(t *turn, res tools.Result) dialog.Outcome {
	if res.Action != dialog.Continue {
		return c.finish(t, res, nil, res.Action, res.Reason, sayTransfer)
	}
	t.speak(res.Say)
	var a struct {
		Need    string `json:"need"`
		OrderID string `json:"order_id"`
	}
	decode(res.Data, &a)
	switch a.Need {
	case shop.NeedProof:
		if a.OrderID == "" {
			break
		}
		c.proofOrder = a.OrderID
		c.pending, c.question = askProof, askProofText
		return dialog.Outcome{Action: dialog.Continue}
	case shop.NeedOrderID:
		c.pending, c.question = askOrderID, c.orderQuestion()
		return dialog.Outcome{Action: dialog.Continue}
	}
	return c.followUp(t, res.Say)
}
