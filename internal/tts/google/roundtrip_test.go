package google_test

import (
	"time"

	"testing"

	"github.com/tirevoice/assistant/internal/audio"
	sttgoogle "github.com/tirevoice/assistant/internal/stt/google"
	"github.com/tirevoice/assistant/internal/stt/google/speechtest"
	ttsgoogle "github.com/tirevoice/assistant/internal/tts/google"
	"github.com/tirevoice/assistant/internal/tts/google/ttstest"
)

// TestRoundTrip carries meaning through both Google providers: the fake TTS
// speaks the text in the mock speech codec, and the fake recogniser hears
// the audio the STT stream sends it, as production would with Google on
// both ends.
func TestRoundTrip(t *testing.T) {
	ttsSrv, sttSrv := ttstest.Start(t), speechtest.Start(t)
	synth, err := ttsgoogle.New(t.Context(), ttsgoogle.Config{Endpoint: ttsSrv.Addr, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	defer synth.Close()
	tr, err := sttgoogle.New(t.Context(), sttgoogle.Config{Endpoint: sttSrv.Addr, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()

	for _, text := range []string{
		"Нужны зимние шины 205/55 R16",
		"Где ближайший шиномонтаж? Запишите меня на субботу, на десять утра.",
	} {
		pcm, err := synth.Synthesize(t.Context(), text)
		if err != nil {
			t.Fatal(err)
		}
		st, err := tr.Stream(t.Context(), synth.Rate())
		if err != nil {
			t.Fatal(err)
		}
		// The caller's line: silence, the speech in 20 ms frames, silence.
		line := append(make(audio.PCM16, audio.Rate8k.Samples(300*time.Millisecond)), pcm...)
		for n := audio.Rate8k.FrameSamples(); len(line) > 0; line = line[min(n, len(line)):] {
			if err := st.Write(line[:min(n, len(line))]); err != nil {
				t.Fatal(err)
			}
		}
		res, err := st.Finish(t.Context())
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		if res.Text != text || res.Unintelligible {
			t.Errorf("TTS -> STT gave %+v, want %q", res, text)
		}
	}
}
