package call_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/dialog/echo"
)

// TestCutTurnRecordsWhatWasPlayed: the worker of a turn returns once its
// reply is queued, so the caller usually cuts it off after it is recorded.
// The record must still say that the turn was interrupted, and list only
// the piece the caller heard the start of, not the ones the barge-in
// dropped.
func TestCutTurnRecordsWhatWasPlayed(t *testing.T) {
	pieces := []string{
		"Первая часть ответа довольно длинная, чтобы её можно было перебить на полуслове, и она всё тянется и тянется.",
		"Вторая часть не должна прозвучать.",
		"Третья часть тоже не должна прозвучать.",
	}
	synctest.Test(t, func(t *testing.T) {
		var once sync.Once
		bc := startBubbleCall(t, func(d *call.Deps) {
			d.Responder = responderFunc(func(ctx context.Context, req dialog.Request, say dialog.Say) (dialog.Outcome, error) {
				first := false
				once.Do(func() { first = true })
				if !first {
					return echo.Responder{}.Respond(ctx, req, say)
				}
				for _, p := range pieces {
					if err := say(ctx, p); err != nil {
						return dialog.Outcome{}, err
					}
				}
				return dialog.Outcome{}, nil
			})
		})
		cl := bc.dial(t)
		cl.silenceUntil(20*time.Second, func() bool { return cl.quiet(500 * time.Millisecond) })
		cl.send(speech(t, "Расскажите подробно"))
		mark := cl.heard()
		if !cl.silenceUntil(10*time.Second, func() bool { return cl.spokeAfter(mark) }) {
			t.Fatal("no answer")
		}
		cl.silenceUntil(time.Second, func() bool { return false }) // a second of the first piece
		cl.send(speech(t, "Стоп, другой вопрос"))
		mark = cl.heard()
		cl.silenceUntil(20*time.Second, func() bool { return cl.spokeAfter(mark) && cl.quiet(500*time.Millisecond) })
		cl.c.Close()
		rec := <-bc.records
		<-cl.done
		bc.stop(t)

		if rec.BargeIns != 1 || len(rec.Turns) != 2 {
			t.Fatalf("%d barge-ins, %d turns (%+v), want 1 and 2", rec.BargeIns, len(rec.Turns), rec.Turns)
		}
		cut := rec.Turns[0]
		if !cut.Interrupted {
			t.Error("the turn the caller cut off is not marked interrupted")
		}
		if got, want := fmt.Sprint(cut.BotText), fmt.Sprint(pieces[:1]); got != want {
			t.Errorf("the cut turn's BotText is %q, want only the piece played, %q", got, want)
		}
		if next := rec.Turns[1]; next.Interrupted || fmt.Sprint(next.BotText) != "[Вы сказали: Стоп, другой вопрос]" {
			t.Errorf("the next turn: interrupted %v, BotText %q", next.Interrupted, next.BotText)
		}
	})
}
