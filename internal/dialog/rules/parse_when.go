package rules

import (
	"strings"
	"time"
)

// weekdays maps the forms of the weekday names to the day.
var weekdays = map[string]time.Weekday{
	"понедельник": time.Monday, "понедельника": time.Monday,
	"вторник": time.Tuesday, "вторника": time.Tuesday,
	"среда": time.Wednesday, "среду": time.Wednesday, "среды": time.Wednesday,
	"четверг": time.Thursday, "четверга": time.Thursday,
	"пятница": time.Friday, "пятницу": time.Friday, "пятницы": time.Friday,
	"суббота": time.Saturday, "субботу": time.Saturday, "субботы": time.Saturday,
	"воскресенье": time.Sunday, "воскресенья": time.Sunday,
}

// months maps the genitive month names ("28 ноября") to the month.
var months = map[string]time.Month{
	"января": time.January, "февраля": time.February, "марта": time.March, "апреля": time.April,
	"мая": time.May, "июня": time.June, "июля": time.July, "августа": time.August,
	"сентября": time.September, "октября": time.October, "ноября": time.November, "декабря": time.December,
}

// parseDate reads a day for a booking relative to today: "сегодня",
// "завтра", "послезавтра", a weekday ("в субботу": the next one after
// today, a week ahead when today is Saturday), or a date ("28 ноября",
// "двадцать восьмого ноября", "на 28 число"; the next such date from
// today). The result is midnight in today's location.
func parseDate(u utterance, today time.Time) (time.Time, bool) {
	y, m, d := today.Date()
	base := time.Date(y, m, d, 0, 0, 0, 0, today.Location())
	switch {
	case u.hasPrefix("послезавтр"):
		return base.AddDate(0, 0, 2), true
	case u.hasPrefix("завтр"):
		return base.AddDate(0, 0, 1), true
	case u.hasPrefix("сегодн"):
		return base, true
	}
	for _, n := range u.numbers() {
		next := ""
		if i := n.at + n.Words; i < len(u.f) {
			next = u.f[i]
		}
		if n.Value < 1 || n.Value > 31 {
			continue
		}
		if mon, ok := months[next]; ok {
			t := time.Date(y, mon, n.Value, 0, 0, 0, 0, today.Location())
			if t.Month() != mon {
				continue // 31 июня
			}
			if t.Before(base) {
				t = t.AddDate(1, 0, 0)
			}
			return t, true
		}
		if strings.HasPrefix(next, "числ") {
			t := time.Date(y, m, n.Value, 0, 0, 0, 0, today.Location())
			if t.Before(base) {
				t = time.Date(y, m+1, n.Value, 0, 0, 0, 0, today.Location())
			}
			if t.Day() != n.Value {
				continue
			}
			return t, true
		}
	}
	for _, f := range u.f {
		if wd, ok := weekdays[f]; ok {
			ahead := (int(wd) - int(base.Weekday()) + 7) % 7
			if ahead == 0 {
				ahead = 7
			}
			return base.AddDate(0, 0, ahead), true
		}
	}
	return time.Time{}, false
}

// clock is a time of day, local to the station.
type clock struct{ h, m int }

// minutes is the time in minutes since midnight.
func (c clock) minutes() int { return c.h*60 + c.m }

func (c clock) String() string {
	return string([]byte{byte('0' + c.h/10), byte('0' + c.h%10), ':', byte('0' + c.m/10), byte('0' + c.m%10)})
}

// parseClock reads a time of day: "в десять", "в 14:00", "на десять утра",
// "в два часа дня", "в 7 вечера", "десять тридцать", "в половине
// одиннадцатого", "в полдень". A bare hour from 1 to 7 is afternoon (the
// stations work by day). Unless loose (the bot asked for the time), the
// hour needs "в", "на", "к", "часов" or a part of the day with it, so that
// other numbers are not read as times.
func parseClock(u utterance, loose bool) (clock, bool) {
	if u.has("полдень", "полдня") {
		return clock{12, 0}, true
	}
	nums := u.numbers()
	for i, n := range nums {
		if n.at > 0 && u.f[n.at-1] == "половине" && n.Ordinal && n.Value >= 1 && n.Value <= 24 {
			return adjustHour(clock{(n.Value + 23) % 24, 30}, u, n.at+n.Words), true
		}
		if n.Ordinal || n.Value > 23 {
			continue
		}
		after := n.at + n.Words
		next := wordAt(u, after)
		if months[next] != 0 || strings.HasPrefix(next, "числ") {
			continue
		}
		prev := wordAt(u, n.at-1)
		hours := strings.HasPrefix(next, "час")
		if hours {
			after++
		}
		marked := prev == "в" || prev == "на" || prev == "к" || prev == "около" || prev == "после" || hours || partOfDay(next) != ""
		c := clock{n.Value, 0}
		// Minutes: the next number right after ("десять тридцать", "14 00",
		// "пятнадцать ноль ноль").
		if i+1 < len(nums) && nums[i+1].at == after && !nums[i+1].Ordinal && nums[i+1].Value <= 59 {
			mins := nums[i+1]
			c.m = mins.Value
			after = mins.at + mins.Words
			if mins.Value == 0 && i+2 < len(nums) && nums[i+2].at == after && nums[i+2].Value <= 9 {
				c.m = nums[i+2].Value // "ноль пять"
				after = nums[i+2].at + nums[i+2].Words
			}
			marked = marked || mins.Digits != "" && len(mins.Digits) == 2
			if strings.HasPrefix(wordAt(u, after), "минут") {
				after++
			}
		}
		if !marked && !loose {
			continue
		}
		if n.Value == 0 && !marked {
			continue
		}
		return adjustHour(c, u, after), true
	}
	// "в час дня": "час" alone is one o'clock.
	if i := indexSeq(u.f, []string{"в", "час"}); i >= 0 {
		return adjustHour(clock{1, 0}, u, i+2), true
	}
	return clock{}, false
}

func wordAt(u utterance, i int) string {
	if i >= 0 && i < len(u.f) {
		return u.f[i]
	}
	return ""
}

func partOfDay(w string) string {
	switch w {
	case "утра", "утром":
		return "morning"
	case "дня", "днем":
		return "day"
	case "вечера", "вечером":
		return "evening"
	case "ночи", "ночью":
		return "night"
	}
	return ""
}

// adjustHour reads the part of the day after the time ("утра", "дня",
// "вечера") and otherwise takes 1..7 as afternoon.
func adjustHour(c clock, u utterance, at int) clock {
	switch partOfDay(wordAt(u, at)) {
	case "morning", "night":
		return c
	case "day", "evening":
		if c.h < 12 {
			c.h += 12
		}
		return c
	}
	if c.h >= 1 && c.h <= 7 {
		c.h += 12
	}
	return c
}
