package vad

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/speechcodec"
)

// TestBargeInIgnoresEchoOfSteadyVoiceUnderJitter plays a bot whose voice
// has a steady level within each phrase (the mock speech codec: no
// syllables to align the echo by) and whose echo reaches the detector with a
// jittery lag, as when the reading goroutine is starved and catches up on
// several frames at once. The delay estimate cannot be trusted here, and
// the detector must still never take the echo for the caller.
func TestBargeInIgnoresEchoOfSteadyVoiceUnderJitter(t *testing.T) {
	enc := speechcodec.NewEncoder()
	var bot audio.PCM16
	for _, text := range []string{
		"Здравствуйте! Шинный центр, голосовой помощник. Чем могу помочь?",
		"Вы сказали: Как проехать к вам",
		"Извините, я вас не расслышал. Повторите, пожалуйста.",
	} {
		pcm, err := enc.Encode(text)
		if err != nil {
			t.Fatal(err)
		}
		bot = append(bot, pcm...)
		bot = append(bot, make(audio.PCM16, ms(1300))...) // the caller speaks, the bot waits
	}
	for _, tt := range []struct {
		name  string
		echo  float64 // dB
		delay time.Duration
		stall float64 // chance per tick that the reader stalls
	}{
		{"-10 dB 100 ms, no stalls", -10, 100 * time.Millisecond, 0},
		{"-10 dB 100 ms, stalls", -10, 100 * time.Millisecond, 0.3},
		{"-6 dB 40 ms, stalls", -6, 40 * time.Millisecond, 0.3},
		{"-12 dB 250 ms, stalls", -12, 250 * time.Millisecond, 0.2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(3) {
				rng := rand.New(rand.NewPCG(seed, 7))
				botF := make([]float64, len(bot))
				for i, s := range bot {
					botF[i] = float64(s)
				}
				c := newCall(rng, botF, leg{echo: tt.echo, delay: tt.delay, noise: -60})
				b := NewBargeIn(BargeInConfig{})
				sent := make(audio.PCM16, frameLen)
				in := make(audio.PCM16, frameLen)
				nf := len(c.line) / frameLen
				for k := range lead {
					b.Sent(audio.Energy(frameAt(c.bot, k, sent)))
				}
				next := 0 // next line frame to process
				for k := range nf {
					b.Sent(audio.Energy(frameAt(c.bot, k+lead, sent)))
					if rng.Float64() < tt.stall && k-next < 6 {
						continue // the reader is late; frames wait in the socket
					}
					for ; next <= k; next++ {
						if b.Process(frameAt(c.line, next, in)) {
							d := b.Diagnostics()
							t.Fatalf("seed %d: echo fired barge-in at frame %d: level %.1f echo %.1f floor %.1f delay %v",
								seed, next, d.Level, d.Echo, d.Floor, d.Delay)
						}
					}
				}
			}
		})
	}
}
