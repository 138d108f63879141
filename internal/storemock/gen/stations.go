package main

import (
	"time"

	"github.com/tirevoice/assistant/internal/store"
)

// week builds seven days of hours: weekdays, Saturday, Sunday ("" closed).
func week(weekday, sat, sun [2]string) []store.DayHours {
	var out []store.DayHours
	for i, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		h := weekday
		switch i {
		case 5:
			h = sat
		case 6:
			h = sun
		}
		if h[0] == "" {
			out = append(out, store.DayHours{Day: d, Closed: true})
			continue
		}
		out = append(out, store.DayHours{Day: d, Open: h[0], Close: h[1]})
	}
	return out
}

var closed = [2]string{"", ""}

// Every station opens by 10:00 and closes at 18:00 or later on its open
// days, so the fixture bookings (11:00..16:00) stay within hours whatever
// weekday the mock moves them to.
func genStations() []store.Station {
	st := func(id, city, name, addr, phone, tz string, slot int, hours []store.DayHours) store.Station {
		return store.Station{ID: id, City: city, Name: name, Address: addr, Phone: phone, Timezone: tz, SlotMinutes: slot, Hours: hours}
	}
	std := week([2]string{"09:00", "21:00"}, [2]string{"10:00", "20:00"}, [2]string{"10:00", "18:00"})
	return []store.Station{
		st("msk-1", "Москва", "ШинДом на Профсоюзной", "Москва, ул. Профсоюзная, 56", "+74951234501", "Europe/Moscow", 60, std),
		st("msk-2", "Москва", "ШинДом на Варшавке", "Москва, Варшавское шоссе, 118, стр. 2", "+74951234502", "Europe/Moscow", 60,
			week([2]string{"08:00", "22:00"}, [2]string{"09:00", "21:00"}, [2]string{"09:00", "21:00"})),
		st("msk-3", "Москва", "ШинДом Экспресс Митино", "Москва, Пятницкое шоссе, 21", "+74951234503", "Europe/Moscow", 30, std),
		st("spb-1", "Санкт-Петербург", "ШинДом на Лиговском", "Санкт-Петербург, Лиговский пр., 240", "+78121234501", "Europe/Moscow", 60, std),
		st("spb-2", "Санкт-Петербург", "ШинДом Парнас", "Санкт-Петербург, ул. Михаила Дудина, 6", "+78121234502", "Europe/Moscow", 60,
			week([2]string{"09:00", "20:00"}, [2]string{"10:00", "19:00"}, [2]string{"10:00", "18:00"})),
		st("kzn-1", "Казань", "ШинДом на Проспекте Победы", "Казань, пр. Победы, 91", "+78431234501", "Europe/Moscow", 60, std),
		st("kzn-2", "Казань", "ШинДом Авиастроительный", "Казань, ул. Копылова, 12", "+78431234502", "Europe/Moscow", 60,
			week([2]string{"09:00", "19:00"}, [2]string{"10:00", "18:00"}, closed)),
		st("ekb-1", "Екатеринбург", "ШинДом на Металлургов", "Екатеринбург, ул. Металлургов, 87", "+73431234501", "Asia/Yekaterinburg", 60, std),
		st("ekb-2", "Екатеринбург", "ШинДом Ботаника", "Екатеринбург, ул. Щербакова, 4", "+73431234502", "Asia/Yekaterinburg", 60,
			week([2]string{"10:00", "20:00"}, [2]string{"10:00", "18:00"}, [2]string{"10:00", "18:00"})),
		st("nsk-1", "Новосибирск", "ШинДом на Станционной", "Новосибирск, ул. Станционная, 38", "+73831234501", "Asia/Novosibirsk", 60, std),
	}
}

// genBookings books a few slots in the week after asOf: 11:00 to 14:00 of
// the next day at msk-1, so a caller asking for "tomorrow at eleven" there
// finds it taken, and some elsewhere.
func genBookings(r *rng, stations []store.Station) []store.Booking {
	type at struct {
		station string
		days    int // after asOf
		hour    int // local
	}
	fixed := []at{
		{"msk-1", 1, 11}, {"msk-1", 1, 12}, {"msk-1", 1, 13}, {"msk-1", 2, 11},
		{"msk-2", 1, 14}, {"msk-3", 1, 11}, {"spb-1", 1, 12}, {"spb-1", 3, 15},
		{"kzn-1", 2, 16}, {"ekb-1", 1, 11}, {"ekb-2", 4, 14}, {"nsk-1", 1, 12},
	}
	zone := map[string]*time.Location{}
	slot := map[string]time.Duration{}
	for _, s := range stations {
		loc, err := time.LoadLocation(s.Timezone)
		if err != nil {
			panic(err)
		}
		zone[s.ID], slot[s.ID] = loc, time.Duration(s.SlotMinutes)*time.Minute
	}
	base := day(asOf)
	var out []store.Booking
	for i, b := range fixed {
		c := pick(r, customers)
		loc := zone[b.station]
		d := base.AddDate(0, 0, b.days)
		start := fixedZone(time.Date(d.Year(), d.Month(), d.Day(), b.hour, 0, 0, 0, loc))
		out = append(out, store.Booking{
			ID:        bookingID(i + 1),
			StationID: b.station,
			Start:     start,
			End:       start.Add(slot[b.station]),
			Phone:     c.phone,
			Name:      c.name,
			Note:      pick(r, carNotes),
			CreatedAt: start.AddDate(0, 0, -b.days-1).Add(-time.Duration(r.between(0, 5)) * time.Hour),
		})
	}
	return out
}

func bookingID(n int) string { return "B" + pad4(n) }

func pad4(n int) string {
	s := "000" + itoa(n)
	return s[len(s)-4:]
}

// fixedZone re-expresses t in a fixed-offset zone, so that it marshals the
// same whatever zone database the machine has.
func fixedZone(t time.Time) time.Time {
	_, off := t.Zone()
	return t.In(time.FixedZone("", off))
}

var carNotes = []string{
	"Kia Rio, 185/65 R15, сезонная замена",
	"Hyundai Solaris, 195/65 R15, свои колёса на дисках",
	"Toyota Camry, 215/60 R16",
	"VW Polo, 195/55 R15, балансировка",
	"Lada Vesta, 185/65 R15",
	"Skoda Octavia, 205/55 R16, шиномонтаж и хранение",
	"Toyota RAV4, 235/55 R18",
	"Kia Sportage, 225/60 R17",
	"Lada Granta, 175/70 R13",
	"Mitsubishi Pajero Sport, 265/65 R17",
}
