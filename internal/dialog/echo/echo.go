// Package echo is a Responder that repeats what the caller said. It
// exercises the whole audio path (speech in, transcript, reply, speech out)
// with no dialog logic; saying goodbye ends the call.
package echo

import (
	"context"
	"strings"

	"github.com/tirevoice/assistant/internal/dialog"
)

// Responder repeats the caller: "Вы сказали: ...".
type Responder struct{}

var (
	_ dialog.Responder    = Responder{}
	_ dialog.Conversation = Responder{}
)

// Name implements dialog.Responder.
func (Responder) Name() string { return "echo" }

// Begin implements dialog.Responder: echo keeps no state.
func (r Responder) Begin(dialog.Call) dialog.Conversation { return r }

// Respond implements dialog.Conversation.
func (Responder) Respond(ctx context.Context, req dialog.Request, say dialog.Say) (dialog.Outcome, error) {
	text := strings.TrimSpace(req.Text)
	switch {
	case text == "":
		return dialog.Outcome{}, say(ctx, "Извините, я вас не расслышал. Повторите, пожалуйста.")
	case isGoodbye(text):
		return dialog.Outcome{Action: dialog.Hangup, Reason: "caller said goodbye"}, say(ctx, "До свидания! Хорошего дня.")
	}
	return dialog.Outcome{}, say(ctx, "Вы сказали: "+text)
}

func isGoodbye(text string) bool {
	t := strings.ToLower(text)
	for _, w := range []string{"до свидания", "всего доброго", "пока"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}
