package russian

import (
	"fmt"
	"strconv"
	"time"
)

var (
	weekdayAccusative = [...]string{
		time.Sunday: "в воскресенье", time.Monday: "в понедельник", time.Tuesday: "во вторник",
		time.Wednesday: "в среду", time.Thursday: "в четверг", time.Friday: "в пятницу", time.Saturday: "в субботу",
	}
	monthGenitive = [...]string{"", "января", "февраля", "марта", "апреля", "мая", "июня", "июля",
		"августа", "сентября", "октября", "ноября", "декабря"}
)

// SpokenDate says the calendar date of d relative to today's: "сегодня",
// "завтра", "послезавтра", "вчера", else the weekday and the date, "в
// пятницу, 28 ноября", with the year ("28 ноября 2025 года") when it is
// another year's and not within the coming half year. Each time is read
// in its own location; the time of day does not matter.
func SpokenDate(d, today time.Time) string {
	switch diff := DaysBetween(today, d); {
	case diff == 0:
		return "сегодня"
	case diff == 1:
		return "завтра"
	case diff == 2:
		return "послезавтра"
	case diff == -1:
		return "вчера"
	case d.Year() != today.Year() && (diff < 0 || diff > 183):
		return fmt.Sprintf("%s, %d %s %d года", weekdayAccusative[d.Weekday()], d.Day(), monthGenitive[d.Month()], d.Year())
	}
	return weekdayAccusative[d.Weekday()] + ", " + strconv.Itoa(d.Day()) + " " + monthGenitive[d.Month()]
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

// Clock writes a time of day for the ear as digits, which speech
// synthesis reads as a time: Clock(10, 0) = "10:00", Clock(9, 5) = "9:05".
// h is 0..23 and m 0..59; other values are written as they are.
func Clock(h, m int) string {
	return fmt.Sprintf("%d:%02d", h, m)
}
