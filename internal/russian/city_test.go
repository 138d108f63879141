package russian_test

import (
	"testing"

	"github.com/tirevoice/assistant/internal/russian"
	"github.com/tirevoice/assistant/internal/storemock"
)

// cities are the expected forms of the cities the shop has stations in,
// the others the rule engine knows, and harder names.
var cities = map[string]struct{ in, to string }{
	"Москва":                   {"в Москве", "в Москву"},
	"Санкт-Петербург":          {"в Санкт-Петербурге", "в Санкт-Петербург"},
	"Казань":                   {"в Казани", "в Казань"},
	"Екатеринбург":             {"в Екатеринбурге", "в Екатеринбург"},
	"Новосибирск":              {"в Новосибирске", "в Новосибирск"},
	"Самара":                   {"в Самаре", "в Самару"},
	"Краснодар":                {"в Краснодаре", "в Краснодар"},
	"Уфа":                      {"в Уфе", "в Уфу"},
	"Нижний Новгород":          {"в Нижнем Новгороде", "в Нижний Новгород"},
	"Великий Новгород":         {"в Великом Новгороде", "в Великий Новгород"},
	"Ростов-на-Дону":           {"в Ростове-на-Дону", "в Ростов-на-Дону"},
	"Петропавловск-Камчатский": {"в Петропавловске-Камчатском", "в Петропавловск-Камчатский"},
	"Набережные Челны":         {"в Набережных Челнах", "в Набережные Челны"},
	"Великие Луки":             {"в Великих Луках", "в Великие Луки"},
	"Белая Калитва":            {"в Белой Калитве", "в Белую Калитву"},
	"Ярославль":                {"в Ярославле", "в Ярославль"},
	"Севастополь":              {"в Севастополе", "в Севастополь"},
	"Пермь":                    {"в Перми", "в Пермь"},
	"Тверь":                    {"в Твери", "в Тверь"},
	"Владимир":                 {"во Владимире", "во Владимир"},
	"Владивосток":              {"во Владивостоке", "во Владивосток"},
	"Волгоград":                {"в Волгограде", "в Волгоград"},
	"Псков":                    {"во Пскове", "во Псков"},
	"Сочи":                     {"в Сочи", "в Сочи"},
	"Кемерово":                 {"в Кемерово", "в Кемерово"},
	"Улан-Удэ":                 {"в Улан-Удэ", "в Улан-Удэ"},
	"Йошкар-Ола":               {"в Йошкар-Оле", "в Йошкар-Олу"},
	"Евпатория":                {"в Евпатории", "в Евпаторию"},
	"Орёл":                     {"в Орле", "в Орёл"},
	"Химки":                    {"в Химках", "в Химки"},
}

func TestCityCases(t *testing.T) {
	for city, want := range cities {
		if got := russian.InCity(city); got != want.in {
			t.Errorf("InCity(%q) = %q, want %q", city, got, want.in)
		}
		if got := russian.ToCity(city); got != want.to {
			t.Errorf("ToCity(%q) = %q, want %q", city, got, want.to)
		}
	}
}

// TestEveryStoreCityDeclines: each city of the Store API mock's stations
// is in the table above, so a city added to the data must be checked here.
func TestEveryStoreCityDeclines(t *testing.T) {
	data, err := storemock.Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range data.Stations {
		want, ok := cities[st.City]
		if !ok {
			t.Errorf("station %s: city %q: add its forms to the table (InCity gives %q)", st.ID, st.City, russian.InCity(st.City))
			continue
		}
		if got := russian.InCity(st.City); got != want.in {
			t.Errorf("InCity(%q) = %q, want %q", st.City, got, want.in)
		}
	}
}
