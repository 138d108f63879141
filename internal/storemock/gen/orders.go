package main

import (
	"strconv"
	"time"

	"github.com/tirevoice/assistant/internal/store"
)

func itoa(n int) string { return strconv.Itoa(n) }

type customer struct {
	phone, name, city, address string
}

// customers are the people in the fixtures. The first ones have several
// orders: +79161234567 has three, handy for scenarios.
var customers = []customer{
	{"+79161234567", "Иван Петров", "Москва", "Москва, ул. Строителей, 25, кв. 12"},
	{"+79035550101", "Ольга Смирнова", "Москва", "Москва, Ленинский пр., 70, кв. 5"},
	{"+79215550202", "Алексей Кузнецов", "Санкт-Петербург", "Санкт-Петербург, ул. Савушкина, 104, кв. 33"},
	{"+79175550303", "Дмитрий Соколов", "Москва", "Москва, ул. Лобачевского, 90, кв. 7"},
	{"+79275550404", "Наиля Хабибуллина", "Казань", "Казань, ул. Чистопольская, 20, кв. 48"},
	{"+79125550505", "Сергей Попов", "Екатеринбург", "Екатеринбург, ул. Малышева, 51, кв. 101"},
	{"+79135550606", "Елена Васильева", "Новосибирск", "Новосибирск, Красный пр., 77, кв. 15"},
	{"+79265550707", "Андрей Морозов", "Москва", "Москва, ул. Мневники, 3, корп. 1, кв. 60"},
	{"+79315550808", "Мария Новикова", "Санкт-Петербург", "Санкт-Петербург, пр. Просвещения, 33, кв. 9"},
	{"+79505550909", "Рустам Галиев", "Казань", "Казань, ул. Баумана, 44, кв. 3"},
	{"+79225551010", "Татьяна Федорова", "Екатеринбург", "Екатеринбург, ул. Белинского, 86, кв. 21"},
	{"+79535551111", "Павел Волков", "Новосибирск", "Новосибирск, ул. Ватутина, 29, кв. 55"},
	{"+79655551212", "Наталья Лебедева", "Москва", "Москва, Каширское шоссе, 26, кв. 140"},
	{"+79115551313", "Игорь Козлов", "Санкт-Петербург", "Санкт-Петербург, Московский пр., 189, кв. 17"},
	{"+79375551414", "Айдар Шарипов", "Казань", "Казань, пр. Ямашева, 82, кв. 64"},
	{"+79085551515", "Юлия Павлова", "Екатеринбург", "Екатеринбург, ул. Родонитовая, 10, кв. 8"},
	{"+79835551616", "Максим Семенов", "Новосибирск", "Новосибирск, ул. Титова, 14, кв. 2"},
	{"+79995551717", "Анна Голубева", "Москва", "Москва, ул. Бутлерова, 12, кв. 77"},
	{"+79055551818", "Владимир Егоров", "Москва", "Москва, Дмитровское шоссе, 100, кв. 30"},
	{"+79625551919", "Светлана Орлова", "Санкт-Петербург", "Санкт-Петербург, ул. Бассейная, 21, кв. 40"},
	{"+79045552020", "Николай Андреев", "Екатеринбург", "Екатеринбург, ул. Вильгельма де Геннина, 31, кв. 12"},
	{"+79515552121", "Ксения Макарова", "Новосибирск", "Новосибирск, ул. Кирова, 108, кв. 90"},
	{"+79675552222", "Артем Никитин", "Казань", "Казань, ул. Адоратского, 3, кв. 19"},
	{"+79855552323", "Екатерина Захарова", "Москва", "Москва, Рязанский пр., 8, кв. 54"},
	{"+79165552424", "Роман Зайцев", "Москва", "Москва, ул. Профсоюзная, 130, кв. 11"},
}

// statusPlan is how many orders of each status the fixtures hold (50 in all).
var statusPlan = []struct {
	status store.OrderStatus
	n      int
	age    [2]int // days before asOf the order was placed, lo..hi
}{
	{store.OrderNew, 6, [2]int{1, 2}},
	{store.OrderConfirmed, 6, [2]int{1, 3}},
	{store.OrderPaid, 6, [2]int{2, 5}},
	{store.OrderShipped, 6, [2]int{3, 7}},
	{store.OrderReadyForPickup, 6, [2]int{4, 9}},
	{store.OrderDelivered, 10, [2]int{10, 60}},
	{store.OrderCancelled, 5, [2]int{3, 40}},
	{store.OrderReturned, 5, [2]int{20, 60}},
}

var msk = time.FixedZone("", 3*3600) // the shop's clock

// genOrders makes 50 orders. Customers 0..4 get extra orders, so some
// phones have several; every order is in its customer's city.
func genOrders(r *rng, tires []store.Tire, stations []store.Station) []store.Order {
	base := day(asOf)
	var plan []store.Order
	for _, sp := range statusPlan {
		for range sp.n {
			created := time.Date(base.Year(), base.Month(), base.Day(), 0, 0, 0, 0, msk).
				AddDate(0, 0, -r.between(sp.age[0], sp.age[1])).
				Add(time.Duration(r.between(9*60, 22*60)) * time.Minute).
				Add(time.Duration(r.intn(60)) * time.Second)
			plan = append(plan, store.Order{Status: sp.status, CreatedAt: created})
		}
	}
	// Oldest first, so that ids grow with time.
	for i := 1; i < len(plan); i++ {
		for j := i; j > 0 && plan[j].CreatedAt.Before(plan[j-1].CreatedAt); j-- {
			plan[j], plan[j-1] = plan[j-1], plan[j]
		}
	}
	for i := range plan {
		o := &plan[i]
		var c customer
		if i%3 == 0 {
			c = customers[(i/3)%5] // regulars, with several orders each
		} else {
			c = pick(r, customers)
		}
		o.ID = strconv.Itoa(100001 + i)
		o.Phone, o.Name = c.phone, c.name
		lines := 1
		if r.intn(5) == 0 {
			lines = 2
		}
		for range lines {
			t := pick(r, tires)
			q := pick(r, []int{4, 4, 4, 2, 4, 1})
			o.Items = append(o.Items, store.OrderItem{
				TireID:      t.ID,
				Description: t.Brand + " " + t.Model + " " + t.Size(),
				Quantity:    q,
				Price:       t.Price,
			})
			o.Total += q * t.Price
		}
		pickup := o.Status == store.OrderReadyForPickup || (o.Status != store.OrderShipped && r.intn(2) == 0)
		if pickup {
			var here []string
			for _, s := range stations {
				if s.City == c.city {
					here = append(here, s.ID)
				}
			}
			o.Delivery = store.Delivery{Method: store.DeliveryPickup, StationID: pick(r, here)}
		} else {
			o.Delivery = store.Delivery{Method: store.DeliveryCourier, Address: c.address}
		}
		o.UpdatedAt = o.CreatedAt
		switch o.Status {
		case store.OrderNew:
		case store.OrderConfirmed, store.OrderPaid, store.OrderShipped:
			o.UpdatedAt = o.CreatedAt.Add(time.Duration(r.between(1, 30)) * time.Hour)
			o.Delivery.ExpectedDate = base.AddDate(0, 0, r.between(1, 5)).Format(time.DateOnly)
		case store.OrderReadyForPickup:
			o.UpdatedAt = o.CreatedAt.Add(time.Duration(r.between(24, 72)) * time.Hour)
			o.Delivery.ExpectedDate = o.UpdatedAt.Format(time.DateOnly)
		default:
			o.UpdatedAt = o.CreatedAt.Add(time.Duration(r.between(48, 200)) * time.Hour)
		}
		// Nothing happens on asOf itself: the mock may start at any hour of
		// the day it moves asOf to, and no record may lie in its future.
		if limit := time.Date(base.Year(), base.Month(), base.Day(), 0, 0, 0, 0, msk).Add(-time.Hour); o.UpdatedAt.After(limit) {
			o.UpdatedAt = limit
			if limit.Before(o.CreatedAt) {
				o.UpdatedAt = o.CreatedAt
			}
		}
	}
	return plan
}
