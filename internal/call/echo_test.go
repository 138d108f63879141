package call_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/dialog"
)

// echoLine is the caller's telephone line of scenarios/line-echo.yaml: the
// caller 10 dB down, white noise at -55 dBFS, the bot's voice coming back
// 12 dB down and 120 ms late, mu-law both ways. The phone plays the bot's
// frames one a tick from the tick the first came, so the echo delay stays
// put however the goroutines interleave at a tick. The caller's methods
// hold its mutex around heard and mix; a nil line is clean.
type echoLine struct {
	played [][]int16 // the bot's frames, in order
	first  int       // the tick at which the first came; -1 before
	ticks  int       // the caller's frames sent
	noise  *rand.Rand
}

func newEchoLine() *echoLine {
	return &echoLine{first: -1, noise: rand.New(rand.NewPCG(1, 2))}
}

// echoDelay is the line's echo delay in frames (120 ms).
const echoDelay = 6

// heard takes a frame of the bot's audio.
func (l *echoLine) heard(pcm audio.PCM16) {
	if l == nil {
		return
	}
	if l.first < 0 {
		l.first = l.ticks
	}
	l.played = append(l.played, mulaw(pcm))
}

// mix turns a frame the caller says into what the line delivers.
func (l *echoLine) mix(f audio.PCM16) {
	if l == nil {
		return
	}
	var back []int16
	if i := l.ticks - l.first - echoDelay; l.first >= 0 && i >= 0 && i < len(l.played) {
		back = l.played[i]
	}
	l.ticks++
	caller, echo, noise := math.Pow(10, -10.0/20), math.Pow(10, -12.0/20), 32768*math.Pow(10, -55.0/20)
	for i := range f {
		v := float64(f[i]) * caller
		if i < len(back) {
			v += float64(back[i]) * echo
		}
		f[i] = int16(max(-32768, min(32767, math.Round(v+l.noise.NormFloat64()*noise))))
	}
	copy(f, mulaw(f))
}

func mulaw(p audio.PCM16) audio.PCM16 { return audio.MulawDecode(nil, audio.MulawEncode(nil, p)) }

// TestEchoCancelled: on a line that returns the bot's voice, a caller who
// answers the moment the bot's last word is out, and a caller who talks
// over the bot, are understood word for word: the echo canceller removes
// the bot from what the detectors and the recogniser hear. With the
// canceller off the same caller is not understood.
func TestEchoCancelled(t *testing.T) {
	const (
		first  = "Где ваш шиномонтаж в Екатеринбурге?"
		second = "Подождите, мне нужен заказ номер сто один"
	)
	long := "Станций в Екатеринбурге две: на улице Малышева и на Сибирском тракте, обе работают с девяти до двадцати одного часа без выходных."
	for _, cancel := range []bool{true, false} {
		t.Run(map[bool]string{true: "on", false: "off"}[cancel], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				bc := startBubbleCall(t, func(d *call.Deps) {
					d.Config.EchoCancel = cancel
					d.Responder = responderFunc(func(ctx context.Context, req dialog.Request, say dialog.Say) (dialog.Outcome, error) {
						return dialog.Outcome{}, say(ctx, long)
					})
				})
				cl := bc.dialOn(t, newEchoLine())
				// The caller answers as soon as the greeting's last frame is in.
				cl.silenceUntil(20*time.Second, func() bool { return cl.quiet(audio.FrameTime) })
				cl.send(speech(t, first))
				mark := cl.heard()
				cl.silenceUntil(10*time.Second, func() bool { return cl.spokeAfter(mark) })
				// A second into the answer, the caller talks over it.
				cl.silenceUntil(time.Second, func() bool { return false })
				cl.send(speech(t, second))
				cl.silenceUntil(3*time.Second, func() bool { return false })
				cl.c.Close()
				rec := <-bc.records
				<-cl.done
				bc.stop(t)

				var heard []string
				for _, turn := range rec.Turns {
					heard = append(heard, turn.CallerText)
				}
				t.Logf("heard %q, %d barge-ins", heard, rec.BargeIns)
				understood := len(heard) == 2 && heard[0] == first && heard[1] == second && rec.BargeIns == 1
				if cancel && !understood {
					t.Errorf("with the canceller: heard %q with %d barge-ins, want [%q %q] and 1", heard, rec.BargeIns, first, second)
				}
				if !cancel && understood {
					t.Errorf("without the canceller the caller was understood (%q): the line does not test the canceller", heard)
				}
			})
		})
	}
}
