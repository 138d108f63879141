package sentences

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// split writes text at once and flushes.
func split(maxClause int, text string) []string {
	s := New(maxClause)
	pieces := s.Write(text)
	if rest := s.Flush(); rest != "" {
		pieces = append(pieces, rest)
	}
	return pieces
}

// splitChunks writes text in the given chunks (byte lengths) and flushes.
func splitChunks(maxClause int, text string, sizes func(left int) int) []string {
	s := New(maxClause)
	var pieces []string
	for len(text) > 0 {
		n := min(max(sizes(len(text)), 1), len(text))
		pieces = append(pieces, s.Write(text[:n])...)
		text = text[n:]
	}
	if rest := s.Flush(); rest != "" {
		pieces = append(pieces, rest)
	}
	return pieces
}

var cases = []struct {
	name      string
	maxClause int
	text      string
	want      []string
}{
	{"empty", 120, "", nil},
	{"white space only", 120, " \n\t ", nil},
	{"one sentence without a dot", 120, "Здравствуйте", []string{"Здравствуйте"}},
	{"two sentences", 120, "Здравствуйте! Чем могу помочь?", []string{"Здравствуйте!", "Чем могу помочь?"}},
	{"three terminals", 120, "Да. Нет! Может быть?", []string{"Да.", "Нет!", "Может быть?"}},
	{"ellipsis character", 120, "Секунду… Проверяю.", []string{"Секунду…", "Проверяю."}},
	{"three dots", 120, "Секунду... Проверяю.", []string{"Секунду...", "Проверяю."}},
	{"mixed terminals", 120, "Правда?! Отлично.", []string{"Правда?!", "Отлично."}},
	{"closing quote after the dot", 120, "Это модель «Nordman 7.» Она шипованная.", []string{"Это модель «Nordman 7.»", "Она шипованная."}},
	{"closing bracket after the question", 120, "Летние (или всесезонные?) Подскажите.", []string{"Летние (или всесезонные?)", "Подскажите."}},
	{"quote after exclamation", 120, `Он сказал: "Беру!" Оформляем.`, []string{`Он сказал: "Беру!"`, "Оформляем."}},
	{"no space after the dot", 120, "Да.Есть", []string{"Да.Есть"}},
	{"newline after the dot", 120, "Да.\nЕсть.", []string{"Да.", "Есть."}},
	{"decimal number", 120, "Давление 2.5 атм. Проверьте.", []string{"Давление 2.5 атм.", "Проверьте."}},
	{"decimal comma", 120, "Давление 2,5 атмосферы.", []string{"Давление 2,5 атмосферы."}},
	{"thousands", 120, "Цена 3.000 за штуку. Берёте?", []string{"Цена 3.000 за штуку.", "Берёте?"}},
	{"tire size", 120, "Размер 205/55 R16. Сезон летний.", []string{"Размер 205/55 R16.", "Сезон летний."}},
	{"time of day", 120, "Приезжайте в 10.30 утра. Ждём.", []string{"Приезжайте в 10.30 утра.", "Ждём."}},
	{"time at the end of a sentence", 120, "Работаем до 20.00. Ждём.", []string{"Работаем до 20.00.", "Ждём."}},
	{"time with a colon", 15, "Запись на 10:30 есть, и на 11:00 тоже.", []string{"Запись на 10:30 есть,", "и на 11:00 тоже."}},
	{"т.е.", 120, "Зимние, т.е. шипованные. Подходит?", []string{"Зимние, т.е. шипованные.", "Подходит?"}},
	{"т. е. spaced", 120, "Зимние, т. е. шипованные.", []string{"Зимние, т. е. шипованные."}},
	{"т.к.", 120, "Не подойдут, т.к. диаметр другой.", []string{"Не подойдут, т.к. диаметр другой."}},
	{"т.д. mid sentence", 120, "Шины, диски и т.д. тоже есть.", []string{"Шины, диски и т.д. тоже есть."}},
	{"т.д. ends a sentence before a capital", 120, "Шины, диски и т.д. Что вас интересует?", []string{"Шины, диски и т.д.", "Что вас интересует?"}},
	{"т. д. spaced before a capital", 120, "Шины и т. д. Что ещё?", []string{"Шины и т. д.", "Что ещё?"}},
	{"т.п. at the end", 120, "Шины и т.п.", []string{"Шины и т.п."}},
	{"и др.", 120, "Michelin, Nokian и др. производители.", []string{"Michelin, Nokian и др. производители."}},
	{"руб. mid sentence", 120, "Цена 5000 руб. за штуку.", []string{"Цена 5000 руб. за штуку."}},
	{"руб. before a capital", 120, "Цена 5000 руб. Оформить заказ?", []string{"Цена 5000 руб.", "Оформить заказ?"}},
	{"коп.", 120, "Итого 10 руб. 50 коп. за штуку.", []string{"Итого 10 руб. 50 коп. за штуку."}},
	{"тыс. is never an end", 120, "Стоит 5 тыс. Рублей.", []string{"Стоит 5 тыс. Рублей."}},
	{"г. before a city", 120, "Мы в г. Москва. Приезжайте.", []string{"Мы в г. Москва.", "Приезжайте."}},
	{"гг.", 120, "Модели 2023-2024 гг. в наличии.", []string{"Модели 2023-2024 гг. в наличии."}},
	{"address", 120, "Адрес: ул. Ленина, д. 5, кв. 3. Ждём вас.", []string{"Адрес: ул. Ленина, д. 5, кв. 3.", "Ждём вас."}},
	{"upper-case abbreviation", 120, "Адрес: Ул. Ленина.", []string{"Адрес: Ул. Ленина."}},
	{"units", 120, "Ширина 205 мм. и вес 9 кг. на колесо.", []string{"Ширина 205 мм. и вес 9 кг. на колесо."}},
	{"time units", 120, "Займёт 40 мин. или 1 ч. примерно.", []string{"Займёт 40 мин. или 1 ч. примерно."}},
	{"сек. см. рис.", 120, "Через 5 сек. см. рис. ниже.", []string{"Через 5 сек. см. рис. ниже."}},
	{"им. проф. напр. пр.", 120, "Улица им. проф. Попова, напр. пр. Мира.", []string{"Улица им. проф. Попова, напр. пр. Мира."}},
	{"initials", 120, "Это А. С. Пушкин. Поэт.", []string{"Это А. С. Пушкин.", "Поэт."}},
	{"joined initials", 120, "Это А.С. Пушкин. Поэт.", []string{"Это А.С. Пушкин.", "Поэт."}},
	{"abbreviation in quotes", 120, "Пишут «т.е. так». Ясно.", []string{"Пишут «т.е. так».", "Ясно."}},
	{"single-letter word ends a sentence", 120, "Это я. Слушаю.", []string{"Это я.", "Слушаю."}},
	{
		"long clause cut at the last comma within the limit", 40,
		"Есть Michelin, есть Nokian, есть Cordiant и ещё несколько недорогих моделей.",
		[]string{"Есть Michelin, есть Nokian,", "есть Cordiant и ещё несколько недорогих моделей."},
	},
	{
		"long clause cut at a dash", 30,
		"Летние шины в наличии — Michelin Primacy и Nokian Hakka.",
		[]string{"Летние шины в наличии —", "Michelin Primacy и Nokian Hakka."},
	},
	{
		"long clause cut at a semicolon and a colon", 20,
		"Варианты такие: первый дешевле; второй тише на трассе.",
		[]string{"Варианты такие:", "первый дешевле;", "второй тише на трассе."},
	},
	{
		"hyphen inside a word is not a dash", 20,
		"Из-за погоды шины-липучки сейчас нарасхват.",
		[]string{"Из-за погоды шины-липучки сейчас нарасхват."},
	},
	{
		"no clause mark within the limit: the first one past it", 10,
		"Могу предложить несколько вариантов, назвать их?",
		[]string{"Могу предложить несколько вариантов,", "назвать их?"},
	},
	{
		"short sentence is not cut at its comma", 120,
		"Да, есть. Назвать?",
		[]string{"Да, есть.", "Назвать?"},
	},
	{
		"no clause cutting when maxClause is 0", 0,
		"Есть Michelin, есть Nokian, есть Cordiant и другие.",
		[]string{"Есть Michelin, есть Nokian, есть Cordiant и другие."},
	},
	{
		"sentence end beyond the limit prefers the clause", 20,
		"Да, шины 205/55 R16 на складе есть. Хорошо.",
		[]string{"Да,", "шины 205/55 R16 на складе есть.", "Хорошо."},
	},
}

func TestSplitter(t *testing.T) {
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got := split(tt.maxClause, tt.text)
			if !slices.Equal(got, tt.want) {
				t.Errorf("split(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestWriteEmitsAsSoonAsDecided(t *testing.T) {
	tests := []struct {
		name   string
		deltas []string
		want   [][]string // pieces returned by each Write
	}{
		{
			name:   "a sentence is emitted when the space after it arrives",
			deltas: []string{"Здравствуйте", "!", " Чем", " могу помочь?"},
			want:   [][]string{nil, nil, {"Здравствуйте!"}, nil},
		},
		{
			name:   "a dot at the end of a delta waits for the next one",
			deltas: []string{"Давление 2.", "5 атм. Так", "."},
			want:   [][]string{nil, {"Давление 2.5 атм."}, nil},
		},
		{
			name:   "т.д. waits for the next word",
			deltas: []string{"Шины и т.д. ", " ", "Что", " ещё?"},
			want:   [][]string{nil, nil, {"Шины и т.д."}, nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(120)
			for i, d := range tt.deltas {
				if got := s.Write(d); !slices.Equal(got, tt.want[i]) {
					t.Errorf("Write(%q) = %q, want %q", d, got, tt.want[i])
				}
			}
		})
	}
}

func TestFlushResets(t *testing.T) {
	s := New(120)
	s.Write("Первый ответ без точки")
	if got := s.Flush(); got != "Первый ответ без точки" {
		t.Fatalf("Flush = %q", got)
	}
	if got := s.Flush(); got != "" {
		t.Fatalf("second Flush = %q, want empty", got)
	}
	if got := s.Write("Второй. "); !slices.Equal(got, []string{"Второй."}) {
		t.Fatalf("Write after Flush = %q", got)
	}
}

// TestChunkingDoesNotMatter is the property the streaming relies on: any
// way of cutting the same text into deltas gives the same pieces.
func TestChunkingDoesNotMatter(t *testing.T) {
	texts := []string{
		"Здравствуйте! Шины 205/55 R16 на зиму есть: Michelin X-Ice North 4, Nokian Hakkapeliitta 10 и Cordiant Snow Cross 2. " +
			"Цена от 5.500 руб. за штуку, т.е. комплект выйдет примерно в 22 тыс. Оформить заказ?",
		"Запись в шиномонтаж на ул. Ленина, д. 5 есть завтра в 10.30 и в 14:00 — какое время удобнее?",
		"Ваш заказ номер 100234 в пути… Его привезут в г. Казань через 2 дня, т. е. в пятницу. Что-нибудь ещё?",
	}
	for _, tt := range cases {
		texts = append(texts, tt.text)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, maxClause := range []int{0, 20, 60, 120} {
		for _, text := range texts {
			want := split(maxClause, text)
			sizes := []struct {
				name string
				fn   func(int) int
			}{
				{"byte by byte", func(int) int { return 1 }},
				{"two bytes (splits runes)", func(int) int { return 2 }},
				{"random", func(left int) int { return 1 + rng.IntN(8) }},
			}
			for _, sz := range sizes {
				for range 20 {
					if got := splitChunks(maxClause, text, sz.fn); !slices.Equal(got, want) {
						t.Fatalf("maxClause %d, %s: %q\n got %q\nwant %q", maxClause, sz.name, text, got, want)
					}
				}
			}
		}
	}
}

func FuzzSplitter(f *testing.F) {
	for _, tt := range cases {
		f.Add(tt.text, uint64(3), uint8(tt.maxClause))
	}
	f.Fuzz(func(t *testing.T, text string, seed uint64, maxClause uint8) {
		want := split(int(maxClause), text)
		rng := rand.New(rand.NewPCG(seed, seed>>7))
		got := splitChunks(int(maxClause), text, func(int) int { return 1 + rng.IntN(5) })
		if !slices.Equal(got, want) {
			t.Fatalf("chunked %q\n got %q\nwant %q", text, got, want)
		}
		for _, p := range got {
			if p == "" || p != strings.TrimSpace(p) {
				t.Fatalf("piece %q is empty or untrimmed", p)
			}
		}
		if a, b := squash(strings.Join(got, "")), squash(string([]rune(text))); a != b {
			t.Fatalf("pieces lose text:\n got %q\nwant %q", a, b)
		}
	})
}

// squash removes all white space.
func squash(s string) string { return strings.Join(strings.Fields(s), "") }
