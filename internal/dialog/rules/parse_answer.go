package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// yesWords and noWords answer a yes-or-no question; fillerWords may come
// with them ("да, пожалуйста", "нет, спасибо").
var (
	yesWords = words("да", "ага", "угу", "конечно", "давайте", "давай", "хорошо", "соедините", "соединяйте",
		"соедини", "переключите", "можно", "ладно", "согласен", "согласна", "ок", "окей", "ok", "okay",
		"yes", "разумеется", "естественно", "хочу", "нужно", "надо", "верно", "точно", "именно")
	noWords     = words("нет", "неа", "не", "нету", "no", "отказываюсь")
	fillerWords = words("пожалуйста", "спасибо", "ну", "так", "с", "оператором", "оператор", "меня", "мне",
		"вас", "да", "конечно", "давайте", "наверное", "думаю", "пока", "что", "уже", "большое", "надо", "нужно",
		"хочу", "стоит", "буду", "сейчас", "это", "все", "ничего", "благодарю", "можно", "хорошо")
)

// isYes reports a yes and nothing else of substance: "да", "давайте",
// "да, соедините, пожалуйста". "Давайте летние" is not a bare yes.
func isYes(u utterance) bool {
	if len(u.f) == 0 || !yesWords[u.f[0]] || isNo(u) {
		return false
	}
	for _, f := range u.f[1:] {
		if !yesWords[f] && !fillerWords[f] {
			return false
		}
	}
	return true
}

// isNo reports a no: "нет", "нет, спасибо", "не надо", "да нет".
func isNo(u utterance) bool {
	if len(u.f) == 0 {
		return false
	}
	start := 0
	if u.f[0] == "да" && len(u.f) > 1 && u.f[1] == "нет" {
		start = 1 // "да нет" is a no
	}
	if !noWords[u.f[start]] {
		return false
	}
	for _, f := range u.f[start+1:] {
		if !noWords[f] && !fillerWords[f] && f != "надо" && f != "нужно" && f != "хочу" {
			return false
		}
	}
	return true
}

// anyOption reports "all the same": "всё равно", "любые", "не важно".
func anyOption(u utterance) bool {
	return u.hasPhrase("все равно", "без разницы", "не важно", "не имеет значения", "какая разница",
		"какие есть", "любой", "любая", "любые", "любую", "любое", "неважно", "все подойдут",
		"самое раннее", "самый ранний", "ближайшее", "ближайшая", "ближайший", "ближайшую")
}

// parseChoice reads which of n options the caller picks: an ordinal
// ("первая", "во втором", "третий вариант"), a bare small number
// ("давайте два") or "последний". It returns the index or -1.
func parseChoice(u utterance, n int) int {
	if n == 0 {
		return -1
	}
	if u.hasPrefix("последн") {
		return n - 1
	}
	for _, num := range u.numbers() {
		if num.Value >= 1 && num.Value <= n && (num.Ordinal || len(u.f) <= 3) {
			return num.Value - 1
		}
	}
	return -1
}

// nameFillers are the words around a name: "меня зовут Анна", "это Иван".
var nameFillers = words("меня", "зовут", "звать", "это", "я", "мое", "моё", "имя", "пожалуйста", "да", "ну",
	"так", "запишите", "записывайте", "на", "имени", "можно", "просто", "называйте", "вот", "а", "здравствуйте")

// maxNameRunes bounds a name for book_slot.
const maxNameRunes = 60

// parseName reads the caller's name from an answer to "Как вас зовут?":
// at most three words of letters, capitalised, fillers dropped. A number
// or a yes/no word is not a name.
func parseName(u utterance) string {
	var parts []string
	for _, f := range u.f {
		if nameFillers[f] {
			continue
		}
		r, _ := utf8.DecodeRuneInString(f)
		if !unicode.IsLetter(r) || yesWords[f] || noWords[f] || utf8.RuneCountInString(f) < 2 {
			return ""
		}
		parts = append(parts, title(f))
		if len(parts) == 3 {
			break
		}
	}
	return clip(strings.Join(parts, " "), maxNameRunes)
}

// introducedName reads a name the caller offers on their own: "меня
// зовут Анна", "моё имя Анна".
func introducedName(u utterance) string {
	i := indexSeq(u.f, []string{"меня", "зовут"})
	if i < 0 {
		i = indexSeq(u.f, []string{"мое", "имя"})
	}
	if i < 0 || i+2 >= len(u.f) {
		return ""
	}
	w := u.f[i+2]
	if r, _ := utf8.DecodeRuneInString(w); !unicode.IsLetter(r) || utf8.RuneCountInString(w) < 2 || nameFillers[w] {
		return ""
	}
	return clip(title(w), maxNameRunes)
}
