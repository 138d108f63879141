package rules

import "testing"

func TestParseCity(t *testing.T) {
	tests := []struct {
		in    string
		loose bool
		want  string
	}{
		{"в Москве", false, "Москва"}, {"Москва", false, "Москва"}, {"по Москве", false, "Москва"}, {"мск", false, "Москва"},
		{"в Питере", false, "Санкт-Петербург"}, {"в Санкт-Петербурге", false, "Санкт-Петербург"}, {"СПб", false, "Санкт-Петербург"},
		{"в спб", false, "Санкт-Петербург"}, {"Петербург", false, "Санкт-Петербург"},
		{"в Казани", false, "Казань"}, {"Казань", false, "Казань"},
		{"в Екатеринбурге", false, "Екатеринбург"}, {"екб", false, "Екатеринбург"},
		{"в Новосибирске", false, "Новосибирск"}, {"Новосиб", false, "Новосибирск"},
		{"в Урюпинске", false, ""}, {"в Урюпинске", true, "Урюпинске"}, {"Тверь", true, "Тверь"},
		{"в субботу", true, ""}, {"не знаю, в каком городе", true, ""}, {"205 55 16", true, ""},
	}
	for _, tt := range tests {
		c, ok := parseCity(newUtterance(tt.in), tt.loose)
		if ok != (tt.want != "") || c.name != tt.want {
			t.Errorf("parseCity(%q, %v) = %q, %v; want %q", tt.in, tt.loose, c.name, ok, tt.want)
		}
	}
}
