package rules

import (
	"strings"
	"unicode/utf8"

	"github.com/tirevoice/assistant/internal/dialog"
)

// maxQueryRunes bounds the search_kb query (the tool takes 2..300).
const maxQueryRunes = 300

// kb asks the knowledge base with the caller's words and speaks the best
// answer. When the base does not know, the tool says so and offers an
// operator; the turn counts as a misunderstanding.
func (c *conversation) kb(t *turn, u utterance) dialog.Outcome {
	return c.askKB(t, strings.Join(u.f, " "))
}

// askKB runs search_kb for query (cut to what the tool takes).
func (c *conversation) askKB(t *turn, query string) dialog.Outcome {
	q := clip(query, maxQueryRunes)
	if utf8.RuneCountInString(q) < 2 {
		c.missed = true
		return c.ask(t, askNothing, sayNotUnderstood, sayHelp)
	}
	res, err := c.call(t, "search_kb", map[string]any{"query": q})
	if err != nil {
		return c.failed(t, res)
	}
	var data struct {
		Found *bool `json:"found"`
		Match *bool `json:"match"`
	}
	decode(res.Data, &data)
	if data.Found != nil && !*data.Found || data.Match != nil && !*data.Match || res.Say == "" {
		c.missed = true
		say := res.Say
		if say == "" {
			say = sayNotUnderstood + " " + sayHelp
		}
		t.speak(say)
		if strings.Contains(strings.ToLower(say), "оператор") {
			c.pending, c.question = askOperator, lastSentence(say)
		}
		return dialog.Outcome{Action: dialog.Continue}
	}
	t.speak(res.Say)
	return c.resumeOrFollowUp(t, res.Say)
}
