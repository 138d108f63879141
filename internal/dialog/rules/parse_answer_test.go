package rules

import "testing"

func TestYesNo(t *testing.T) {
	tests := []struct {
		in      string
		yes, no bool
	}{
		{"да", true, false}, {"Да, пожалуйста.", true, false}, {"давайте", true, false}, {"да, соедините", true, false},
		{"конечно", true, false}, {"ага", true, false}, {"хорошо", true, false}, {"соедините с оператором", true, false},
		{"нет", false, true}, {"Нет, спасибо", false, true}, {"не надо", false, true}, {"да нет", false, true},
		{"нет, не нужно", false, true}, {"неа", false, true},
		{"давайте летние", false, false}, {"да, 205 55 16", false, false}, {"нет, зимние", false, false}, {"", false, false},
	}
	for _, tt := range tests {
		u := newUtterance(tt.in)
		if isYes(u) != tt.yes || isNo(u) != tt.no {
			t.Errorf("%q: yes %v no %v, want %v %v", tt.in, isYes(u), isNo(u), tt.yes, tt.no)
		}
	}
}

func TestAnyOption(t *testing.T) {
	for _, in := range []string{"всё равно", "Все равно.", "любые", "любую", "не важно", "неважно", "без разницы", "какие есть"} {
		if !anyOption(newUtterance(in)) {
			t.Errorf("anyOption(%q) = false", in)
		}
	}
	for _, in := range []string{"зимние", "равно", "да", "не знаю"} {
		if anyOption(newUtterance(in)) {
			t.Errorf("anyOption(%q) = true", in)
		}
	}
}

func TestParseChoice(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"первая", 0}, {"Давайте первую", 0}, {"вторая", 1}, {"во втором", 1}, {"третий вариант", 2}, {"третью", 2},
		{"последнюю", 2}, {"два", 1}, {"давайте два", 1}, {"четвёртую", -1}, {"не знаю", -1},
	}
	for _, tt := range tests {
		if got := parseChoice(newUtterance(tt.in), 3); got != tt.want {
			t.Errorf("parseChoice(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestChooseStation(t *testing.T) {
	moscow := []station{
		{ID: "msk-1", Name: "ШинДом на Профсоюзной", Address: "Москва, ул. Профсоюзная, 56"},
		{ID: "msk-2", Name: "ШинДом на Варшавке", Address: "Москва, Варшавское шоссе, 118, стр. 2"},
		{ID: "msk-3", Name: "ШинДом Экспресс Митино", Address: "Москва, Пятницкое шоссе, 21"},
	}
	tests := []struct {
		in   string
		want int
	}{
		{"на Профсоюзной", 0}, {"профсоюзная", 0}, {"Давайте на Варшавке", 1}, {"Варшавское шоссе", 1},
		{"в Митино", 2}, {"Пятницкое", 2}, {"вторая", 1}, {"любая", 0}, {"шоссе", -1}, {"ШинДом", -1}, {"не знаю какую", -1},
	}
	for _, tt := range tests {
		if got := chooseStation(newUtterance(tt.in), moscow); got != tt.want {
			t.Errorf("chooseStation(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Анна", "Анна"}, {"меня зовут Иван", "Иван"}, {"Это Пётр Сергеевич", "Петр Сергеевич"}, {"ольга", "Ольга"},
		{"да", ""}, {"100012", ""}, {"", ""},
	}
	for _, tt := range tests {
		if got := parseName(newUtterance(tt.in)); got != tt.want {
			t.Errorf("parseName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := introducedName(newUtterance("Здравствуйте, меня зовут Анна, нужны шины")); got != "Анна" {
		t.Errorf("introducedName = %q", got)
	}
}
