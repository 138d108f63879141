package tts_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/storemock"
	"github.com/tirevoice/assistant/internal/tts"
)

func TestLexiconApply(t *testing.T) {
	lex := tts.RussianLexicon()
	tests := []struct {
		name, text, want string
	}{
		{"brand", "Michelin", "Мишлен"},
		{"brand in a sentence", "Есть: Nokian Hakkapeliitta 10p за 9 800 рублей.", "Есть: Нокиан Хаккапелиитта 10 пи за 9 800 рублей."},
		{"case does not matter", "MICHELIN и michelin", "Мишлен и Мишлен"},
		{"hyphen kept", "Michelin X-Ice North 4", "Мишлен икс-Айс Норт 4"},
		{"star is typography", "Gislaved Nord*Frost 200", "Гиславед Норд Фрост 200"},
		{"star inside a model", "Hankook Winter i*Pike RS2 W429", "Ханкук Винтер ай Пайк эр-эс 2 дабл-ю 429"},
		{"camel case", "Continental EcoContact 6, AllSeasonContact 2", "Континенталь Эко Контакт 6, Олл Сизон Контакт 2"},
		{"small camel case", "Yokohama iceGuard Stud iG65", "Йокогама Айс Гард Стад ай-джи 65"},
		{"codes", "Kinergy 4S2 H750", "Кинерджи 4 эс 2 аш 750"},
		{"code with a hyphen", "Toyo Observe GSi-6", "Тойо Обзёрв джи-эс-ай-6"},
		{"size", "шины 205/55 R16", "шины 205/55 эр 16"},
		{"a word of the knowledge base", "пришлём номер в SMS.", "пришлём номер в эс-эм-эс."},
		{"joined to Cyrillic", "оплата по QR-коду", "оплата по кью-ар-коду"},
		{"slash", "Geolandar A/T G015", "Геоландар эй-ти джи 015"},
		{"cyrillic untouched", "Шины Кордиант, 5 400 рублей.", "Шины Кордиант, 5 400 рублей."},
		{"an unknown long word is left to the voice", "Tigar Cargospeed", "Tigar Cargospeed"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lex.Apply(tt.text); got != tt.want {
				t.Errorf("Apply(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

// TestLexiconCoversTheCatalogue reads every tire of the Store API mock's
// data: each brand has its own reading, each word of a model name has one
// (whole or by its camel-case humps) unless it is a code (capitals, or
// letters run into digits), and nothing Latin is left for the voice. A
// brand or model added to the data without a reading fails here.
func TestLexiconCoversTheCatalogue(t *testing.T) {
	data, err := storemock.Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	lex := tts.RussianLexicon()
	latin := regexp.MustCompile(`[A-Za-z]`)
	token := regexp.MustCompile(`[A-Za-z0-9]+`)
	run := regexp.MustCompile(`[A-Za-z]+`)
	hump := regexp.MustCompile(`[A-Z]?[a-z]+|[A-Z]+`)
	seen := map[string]bool{}
	for _, tire := range data.Tires {
		name := tire.Brand + " " + tire.Model
		if seen[name] {
			continue
		}
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			if _, ok := lex.Reading(tire.Brand); !ok {
				t.Errorf("brand %q has no reading", tire.Brand)
			}
			for _, tok := range token.FindAllString(tire.Model, -1) {
				if tok != run.FindString(tok) {
					continue // letters run into digits: a code, spelled
				}
				if _, ok := lex.Reading(tok); ok || tok == strings.ToUpper(tok) {
					continue // known, or capitals only: a code
				}
				for _, h := range hump.FindAllString(tok, -1) {
					if _, ok := lex.Reading(h); !ok {
						t.Errorf("model word %q (%q) has no reading", tok, h)
					}
				}
			}
			if got := lex.Apply(name); latin.MatchString(got) {
				t.Errorf("Apply(%q) = %q: Latin is left", name, got)
			}
		})
	}
	if len(seen) == 0 {
		t.Fatal("the data set has no tires")
	}
}

// fakeSynth records what it was asked to say.
type fakeSynth struct{ said []string }

func (f *fakeSynth) Synthesize(_ context.Context, text string) (audio.PCM16, error) {
	f.said = append(f.said, text)
	return audio.PCM16{1, 2, 3}, nil
}
func (f *fakeSynth) Rate() audio.Rate { return audio.Rate8k }
func (f *fakeSynth) Name() string     { return "fake" }

// TestPronounce: the decorator hands the wrapped synthesizer the readings
// and keeps its name and rate.
func TestPronounce(t *testing.T) {
	inner := &fakeSynth{}
	s := tts.Pronounce(inner, tts.RussianLexicon())
	pcm, err := s.Synthesize(context.Background(), "Есть Cordiant Winter Drive 2.")
	if err != nil || len(pcm) != 3 {
		t.Fatalf("Synthesize = %v, %v", pcm, err)
	}
	if len(inner.said) != 1 || inner.said[0] != "Есть Кордиант Винтер Драйв 2." {
		t.Errorf("the synthesizer was given %q", inner.said)
	}
	if s.Name() != "fake" || s.Rate() != audio.Rate8k {
		t.Errorf("Name %q, Rate %v", s.Name(), s.Rate())
	}
}
