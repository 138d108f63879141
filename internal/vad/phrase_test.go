package vad

import (
	"testing"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/speechcodec"
)

// TestDetectorHoldsASteadyPhrase: a phrase whose level does not dip
// between words (the offline speech codec; a sustained vowel) stays speech
// to its end, rather than being taken for a new noise floor.
func TestDetectorHoldsASteadyPhrase(t *testing.T) {
	pcm, err := speechcodec.NewEncoder().Encode("Здравствуйте! Мне нужны зимние шины двести пять пятьдесят пять эр шестнадцать, лучше Nokian, и ещё запишите меня на шиномонтаж.")
	if err != nil {
		t.Fatal(err)
	}
	d := New(Config{})
	silence := make(audio.PCM16, frameLen)
	for range 10 {
		d.Process(silence)
	}
	var starts, ends int
	frames := len(pcm) / frameLen
	for i := range frames {
		switch d.Process(pcm[i*frameLen : (i+1)*frameLen]) {
		case SpeechStart:
			starts++
		case SpeechEnd:
			ends++
		}
	}
	if starts != 1 || ends != 0 || !d.InSpeech() {
		t.Fatalf("over a %v phrase: %d starts, %d ends, in speech %v; floor %.1f dBFS",
			audio.Rate8k.Duration(len(pcm)), starts, ends, d.InSpeech(), d.Floor())
	}
}

// TestDetectorSeededFloorHearsAnOpeningPhrase: a detector whose very first
// frame is the caller already talking takes that level for the line, and so
// never hears the phrase; seeded with the floor measured before, it hears
// the phrase and its end.
func TestDetectorSeededFloorHearsAnOpeningPhrase(t *testing.T) {
	pcm, err := speechcodec.NewEncoder().Encode("Хочу записаться на шиномонтаж в Казани.")
	if err != nil {
		t.Fatal(err)
	}
	pcm = append(pcm, make(audio.PCM16, 50*frameLen)...) // 1 s of line after it
	count := func(d *Detector) (starts, ends int) {
		for i := range len(pcm) / frameLen {
			switch d.Process(pcm[i*frameLen : (i+1)*frameLen]) {
			case SpeechStart:
				starts++
			case SpeechEnd:
				ends++
			}
		}
		return starts, ends
	}
	if starts, _ := count(New(Config{})); starts != 0 {
		t.Errorf("unseeded: %d starts; the first frame was expected to set the floor (has the floor rule changed? then this test and SeedFloor need a look)", starts)
	}
	d := New(Config{})
	d.SeedFloor(SilenceLevel)
	d.SeedFloor(-20) // ignored: the detector has a floor now
	if starts, ends := count(d); starts != 1 || ends != 1 {
		t.Errorf("seeded: %d starts, %d ends, want 1 and 1; floor %.1f dBFS", starts, ends, d.Floor())
	}
}
