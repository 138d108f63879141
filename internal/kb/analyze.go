package kb

import (
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/kljensen/snowball/russian"
)

// Analyze turns Russian text into the terms the in-memory index uses, in
// order: lower-cased, "ё" read as "е", split into runs of letters and runs
// of digits ("R16" gives "r" and "16", "205/55" gives "205" and "55"), stop
// words and filler words dropped, each Cyrillic word reduced to its Snowball
// Russian stem, and each stem of a synonym group replaced by the group's
// first stem (so "переобуть", "монтаж" and "шиномонтаж" are one term).
// Latin words and numbers are kept as they are, after lower-casing.
//
// The same function serves documents and queries, so a term of a query
// matches the same term of an article whatever its inflection. Another
// index (PostgreSQL full-text search with the 'simple' configuration over
// these terms, say) gets the same synonyms by calling it on both sides.
// It is safe for concurrent use.
func Analyze(text string) []string {
	return defaultAnalyzer().terms(text, nil)
}

// defaultAnalyzer builds the analyzer once; it is read-only afterwards.
var defaultAnalyzer = sync.OnceValue(newAnalyzer)

// analyzer holds the stop words and the synonym table. It is immutable
// after newAnalyzer returns.
type analyzer struct {
	stop  map[string]bool   // surface forms, "ё" already read as "е"
	canon map[string]string // stem -> the first stem of its synonym group
}

func newAnalyzer() *analyzer {
	a := &analyzer{stop: map[string]bool{}, canon: map[string]string{}}
	for _, w := range strings.Fields(stopWords) {
		a.stop[fold(w)] = true
	}
	for _, g := range synonymGroups() {
		words := strings.Fields(g)
		head := a.stem(fold(words[0]))
		for _, w := range words {
			s := a.stem(fold(w))
			if prev, ok := a.canon[s]; ok && prev != head {
				// The table is static: a clash is a programming error that
				// every test of the package reports.
				panic(fmt.Sprintf("kb: synonym %q (stem %q) is in groups %q and %q", w, s, prev, head))
			}
			a.canon[s] = head
		}
	}
	return a
}

// terms appends the terms of text to dst and returns it.
func (a *analyzer) terms(text string, dst []string) []string {
	text = fold(text)
	start := -1
	kind := 0 // 0 none, 1 letters, 2 digits
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := text[start:end]
		start = -1
		if kind == 1 && a.stop[w] {
			return
		}
		s := w
		if kind == 1 {
			s = a.stem(w)
		}
		if c, ok := a.canon[s]; ok {
			s = c
		}
		dst = append(dst, s)
	}
	for i, r := range text {
		k := 0
		switch {
		case unicode.IsLetter(r):
			k = 1
		case unicode.IsDigit(r):
			k = 2
		}
		if k != kind {
			flush(i)
			kind = k
			if k != 0 {
				start = i
			}
		}
	}
	flush(len(text))
	return dst
}

// stem reduces a folded word to its Snowball Russian stem; words with no
// Cyrillic letter are returned as they are.
func (a *analyzer) stem(w string) string {
	for _, r := range w {
		if unicode.Is(unicode.Cyrillic, r) {
			return russian.Stem(w, true)
		}
	}
	return w
}

// fold lower-cases s and reads "ё" as "е", as callers and transcripts
// write either.
func fold(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "ё", "е")
}

// stopWords are dropped before stemming: Snowball's Russian list plus the
// fillers of a phone question ("подскажите, пожалуйста, можно ли...").
// "хотел" stays a stop word on purpose: "я хотел узнать" is far more common
// on the phone than the anglicism for a tire hotel, which is "отель" here.
const stopWords = `
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы
по только ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг
ли если уже или ни быть был него до вас нибудь опять уж вам ведь там потом
себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам
чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому
этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были
куда зачем всех никогда можно при наконец два об другой хоть после над больше
тот через эти нас про всего них какая много разве три эту моя впрочем хорошо
свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно
всю между
это эта эти ваш ваша ваше ваши вашей вашего вашем вашим ваших вашу
мои мое моей моего моем моим моих мою свой своя свое свои своей своего своих
какие каких какое каком какую каким какой какого какому
сколько скольки почему зачем
пожалуйста подскажите подскажи скажите скажи здравствуйте здравствуй алло
добрый доброе доброго привет спасибо
хочу хотел хотела хотели хотим хотелось хотелось бы
узнать уточнить интересует интересно вопрос вопросом
нужно нужен нужна нужны надо должно должна должен должны
можете может могу могли сможете
дела делать сделать означает означают значит значат
очень просто вообще также либо тоже
`

// synonymGroups lists words that mean the same to a caller of a tire shop.
// Each line is a group; its first word's stem is the group's term. Forms
// are listed where Snowball gives them different stems ("доставка" and
// "доставляете"). A stem belongs to one group at most.
func synonymGroups() []string {
	return []string{
		// Fitting and seasonal change of wheels.
		"шиномонтаж шиномонтажа шиномонтажный шиномонтажная монтаж монтажа смонтировать " +
			"переобувка переобуть переобуться переобувать переобуваться переобувание переобуют переобуем",
		"хранение хранить храните храним хранят отель",
		"доставка доставить доставим доставите доставлять доставляете доставляем доставят доставлен " +
			"привезти привезете привезем привезут привоз курьер курьером курьерская курьерской",
		"оплата оплатить оплачу оплачивать оплачиваю заплатить заплачу платить плачу платеж расплатиться",
		"возврат вернуть верну вернете возвращать возвращаете возвратить",
		"давление подкачать подкачивать накачать накачивать подкачка",
		"грыжа грыжу грыжи вздутие вздулась шишка бугор",
		"порез порезал разрез",
		"прокол проколол проколола проколоть пробил пробила дырка дыра гвоздь саморез спускает спустило",
		"шипы шип шипованный шиповка шиповать ошипованный ошиповка",
		"шина резина резину покрышка покрышки",
		"зима зимой зимний зимняя",
		"летний летняя летнюю лето летом",
		"стоимость стоит стоить стоят цена цены расценки прайс тариф",
		"открываться открываетесь открываемся открыты открыть закрываетесь закрываемся " +
			"работаете работаем работает график режим",
		"адрес адреса находитесь находится расположены филиал",
		"балансировка балансировать отбалансировать",
		"гарантия гарантийный гарантийная гарантийного",
		"скидка скидку скидки акция акции бонус бонусы лояльность",
		"рассрочка рассрочку кредит",
		"юрлицо юрлица юридический юридическое юридического юридическим организация безнал безналичный",
		"наличные наличными наличка",
		"сбп qr",
		"записаться запишите записать запись бронь забронировать",
		"статус отследить отслеживание трек",
		"маркировка маркировку обозначение расшифровать расшифровка",
		"подобрать подбор подобрать подходят подойдут подходит",
		"износ изношенный стерлась стерся стертый",
		"ранфлэт ранфлет runflat",
		"всесезонный всесезонка всесезонные",
		// Cities as callers name them.
		"москва московский мск",
		"петербург питер спб санкт ленинград",
		"екатеринбург екб екат",
		"новосибирск новосиб",
		// Spoken rim sizes and common numbers, as a transcript may spell them.
		"13 тринадцать тринадцатый тринадцатом",
		"14 четырнадцать четырнадцатый четырнадцатом",
		"15 пятнадцать пятнадцатый пятнадцатом",
		"16 шестнадцать шестнадцатый шестнадцатом",
		"17 семнадцать семнадцатый семнадцатом",
		"18 восемнадцать восемнадцатый восемнадцатом",
		"19 девятнадцать девятнадцатый девятнадцатом",
		"20 двадцать двадцатый двадцатом",
	}
}
