package russian

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

var (
	weekdayAccusative = [...]string{
		time.Sunday: "воскресенье", time.Monday: "понедельник", time.Tuesday: "вторник",
		time.Wednesday: "среду", time.Thursday: "четверг", time.Friday: "пятницу", time.Saturday: "субботу",
	}
	monthGenitive = [...]string{"", "января", "февраля", "марта", "апреля", "мая", "июня", "июля",
		"августа", "сентября", "октября", "ноября", "декабря"}
	// dayStems are the stems of the ordinals 1..19, which
	// take the adjective endings: "перв-ое", "перв-ого".
	dayStems = [...]string{"", "перв", "втор", "трет", "четвёрт", "пят", "шест", "седьм", "восьм", "девят",
		"десят", "одиннадцат", "двенадцат", "тринадцат", "четырнадцат", "пятнадцат", "шестнадцат",
		"семнадцат", "восемнадцат", "девятнадцат"}
)

// DayOfMonth spells the day of a month, 1..31, as an ordinal of the
// neuter "число" in case c: DayOfMonth(3, Nominative) = "третье" ("на
// третье"), DayOfMonth(3, Genitive) = "третьего" ("третьего декабря"),
// DayOfMonth(21, Genitive) = "двадцать первого". Other numbers are
// written in digits.
func DayOfMonth(n int, c Case) string {
	if n < 1 || n > 31 {
		return strconv.Itoa(n)
	}
	var prefix, stem string
	switch {
	case n < 20:
		stem = dayStems[n]
	case n%10 == 0:
		stem = map[int]string{20: "двадцат", 30: "тридцат"}[n]
	default:
		prefix, stem = tenWords[n/10]+" ", dayStems[n%10]
	}
	end := "ое"
	if c == Genitive {
		end = "ого"
	}
	if stem == "трет" {
		end = "ье"
		if c == Genitive {
			end = "ьего"
		}
	}
	return prefix + stem + end
}

// DayMonth says a calendar date in words in case c: "третье декабря"
// (Nominative, Accusative), "третьего декабря" (Genitive).
func DayMonth(d time.Time, c Case) string {
	return DayOfMonth(d.Day(), c) + " " + monthGenitive[d.Month()]
}

// SpokenDate says when, for the date of d relative to today's, as an
// adverb of time: "сегодня", "вчера", "завтра, двадцать шестого ноября",
// "послезавтра, двадцать седьмого ноября", "в пятницу, двадцать восьмого
// ноября", with the year ("двадцать восьмого ноября 2026 года") when it
// is another year's and not within the coming half year. The date is in
// words: digits would leave its case to speech synthesis. Each time is
// read in its own location; the time of day does not matter.
func SpokenDate(d, today time.Time) string {
	diff := DaysBetween(today, d)
	switch diff {
	case 0:
		return "сегодня"
	case -1:
		return "вчера"
	}
	date := DayMonth(d, Genitive) + yearOf(d, today, diff)
	switch diff {
	case 1:
		return "завтра, " + date
	case 2:
		return "послезавтра, " + date
	}
	wd := weekdayAccusative[d.Weekday()]
	return inPreposition(wd) + " " + wd + ", " + date
}

// SpokenDay says which day, briefly, for what happens every week (working
// hours): "сегодня", "завтра", "послезавтра", the weekday within the
// coming week ("в субботу"), else SpokenDate.
func SpokenDay(d, today time.Time) string {
	switch diff := DaysBetween(today, d); {
	case diff == 0:
		return "сегодня"
	case diff == 1:
		return "завтра"
	case diff == 2:
		return "послезавтра"
	case diff > 2 && diff < 7:
		wd := weekdayAccusative[d.Weekday()]
		return inPreposition(wd) + " " + wd
	}
	return SpokenDate(d, today)
}

// OnDate says the day a booking is for, after "на", relative to today's:
// "на сегодня", "на завтра, третье декабря", "на послезавтра, четвёртое
// декабря", "на пятницу, пятое декабря" (the year as SpokenDate adds it).
func OnDate(d, today time.Time) string {
	diff := DaysBetween(today, d)
	if diff == 0 {
		return "на сегодня"
	}
	date := DayMonth(d, Accusative) + yearOf(d, today, diff)
	switch diff {
	case 1:
		return "на завтра, " + date
	case 2:
		return "на послезавтра, " + date
	}
	return "на " + weekdayAccusative[d.Weekday()] + ", " + date
}

// yearOf is " 2026 года" for a date of another year that is not within
// the coming half year, else "".
func yearOf(d, today time.Time, diff int) string {
	if d.Year() != today.Year() && (diff < 0 || diff > 183) {
		return fmt.Sprintf(" %d года", d.Year())
	}
	return ""
}

// DaysBetween is the number of calendar days from the date of a to the
// date of b (negative when b is earlier), each read in its own location.
func DaysBetween(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	da := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)
	db := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da) / (24 * time.Hour))
}

// ClockWords says a time of day, h 0..23 and m 0..59, in words, in case
// c: the hour alone when the minutes are zero ("в девять", "с девяти до
// двадцати одного"), else the hour and the minutes ("в девять тридцать",
// "в девять ноль пять", "до девяти тридцати"). In the accusative ("в")
// the minutes keep the nominative, as they are said ("в десять двадцать
// одна"). Other values are written in digits.
func ClockWords(h, m int, c Case) string {
	if h < 0 || h > 23 || m < 0 || m > 59 {
		return fmt.Sprintf("%d:%02d", h, m)
	}
	s := Cardinal(h, Masculine, c)
	if m == 0 {
		return s
	}
	mc := c
	if mc == Accusative {
		mc = Nominative
	}
	if m < 10 {
		s += " ноль"
	}
	return s + " " + Cardinal(m, Feminine, mc)
}

// ClockRange says opening hours in words: ClockRange(9, 0, 21, 0) = "с
// девяти до двадцати одного".
func ClockRange(fromH, fromM, toH, toM int) string {
	return "с " + ClockWords(fromH, fromM, Genitive) + " до " + ClockWords(toH, toM, Genitive)
}

// Join joins items as Russian lists them: "a, b и c".
func Join(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " и " + items[len(items)-1]
}
