package rules

import (
	"slices"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		in   string
		task task
		want intent
	}{
		// A human.
		{"оператор", taskNone, intentHuman},
		{"Соедините с оператором!", taskNone, intentHuman},
		{"Позовите человека", taskNone, intentHuman},
		{"хочу поговорить с живым человеком", taskNone, intentHuman},
		{"соедините с менеджером", taskNone, intentHuman},
		{"позовите сотрудника", taskNone, intentHuman},
		{"можно консультанта?", taskNone, intentHuman},
		{"дайте живого", taskNone, intentHuman},
		// Anger.
		{"Вы меня не понимаете", taskNone, intentAnger},
		{"бесполезно", taskNone, intentAnger},
		{"Достали уже!", taskNone, intentAnger},
		{"да сколько можно", taskNone, intentAnger},
		{"что за бред, блин... бля", taskNone, intentAnger},
		{"тупой робот", taskNone, intentAnger},
		{"надоело", taskNone, intentAnger},
		// Goodbye.
		{"до свидания", taskNone, intentGoodbye},
		{"Спасибо, всё.", taskNone, intentGoodbye},
		{"спасибо, это всё", taskNone, intentGoodbye},
		{"пока", taskNone, intentGoodbye},
		{"ну всё, пока", taskNone, intentGoodbye},
		{"больше ничего", taskNone, intentGoodbye},
		{"всего доброго", taskNone, intentGoodbye},
		{"пока всё, спасибо", taskNone, intentGoodbye},
		{"Больше ничего не нужно, спасибо", taskNone, intentGoodbye},
		// Booking and stations.
		{"хочу записаться на шиномонтаж", taskNone, intentBooking},
		{"Запишите меня на переобувку", taskNone, intentBooking},
		{"мне нужно переобуться", taskNone, intentBooking},
		{"где у вас шиномонтаж в Казани", taskNone, intentStations},
		{"где мой заказ, я в Москве", taskNone, intentOrder},
		{"адреса в Москве", taskNone, intentStations},
		{"есть свободное время на завтра?", taskNone, intentBooking},
		{"хочу поменять резину", taskNone, intentBooking},
		{"в Москве", taskBooking, intentBooking},
		{"а на субботу?", taskBooking, intentBooking},
		// Orders.
		{"где мой заказ", taskNone, intentOrder},
		{"статус заказа 100012", taskNone, intentOrder},
		{"заказ номер сто тысяч двенадцать", taskNone, intentOrder},
		{"когда привезут мой заказ?", taskNone, intentOrder},
		{"проверьте заказ по моему номеру", taskNone, intentOrder},
		// Tire search.
		{"нужны зимние шины", taskNone, intentTires},
		{"205/55 R16", taskNone, intentTires},
		{"сколько стоят шины 205 55 16", taskNone, intentTires},
		{"Есть Nokian на 16?", taskNone, intentTires},
		{"хочу заказать резину", taskNone, intentTires},
		{"мне нужна липучка", taskNone, intentTires},
		{"есть шипованные?", taskNone, intentTires},
		{"а летние?", taskTires, intentTires},
		{"а до восьми тысяч?", taskTires, intentTires},
		{"а на 17?", taskTires, intentTires},
		{"покрышки на лето", taskNone, intentTires},
		// Knowledge base.
		{"сколько стоит доставка", taskNone, intentKB},
		{"как у вас с оплатой картой?", taskNone, intentKB},
		{"какая гарантия на шины", taskNone, intentKB},
		{"можно вернуть шины", taskNone, intentKB},
		{"у вас есть хранение шин?", taskNone, intentKB},
		{"какое давление в шинах зимой", taskNone, intentKB},
		{"можно ли ездить на шипах летом", taskNone, intentKB},
		{"во сколько вы открываетесь", taskNone, intentHours},
		{"где вы находитесь", taskNone, intentKB},
		{"сколько стоит шиномонтаж", taskNone, intentKB},
		{"когда нужно переобуваться на зимнюю резину", taskNone, intentKB},
		{"у меня грыжа на колесе, что делать?", taskNone, intentKB},
		{"вы работаете в воскресенье?", taskNone, intentHours},
		{"до скольки вы сегодня открыты", taskNone, intentHours},
		{"как работает рассрочка", taskNone, intentKB},
		{"какой у вас график работы", taskNone, intentKB},
		{"часы работы в воскресенье", taskNone, intentHours},
		{"у вас есть доставка?", taskNone, intentDelivery},
		{"вы доставляете в Казань", taskNone, intentDelivery},
		{"сколько дней идёт доставка", taskNone, intentKB},
		{"продаёте ли вы диски?", taskNone, intentKB},
		// Small talk.
		{"Здравствуйте", taskNone, intentGreeting},
		{"алло, добрый день", taskNone, intentGreeting},
		{"спасибо большое", taskNone, intentThanks},
		{"да", taskNone, intentYesNo},
		{"нет", taskNone, intentYesNo},
		{"ммм", taskNone, intentUnknown},
		// Not what a keyword suggests.
		{"пока не знаю, какие нужны", taskNone, intentKB}, // a question, not a goodbye
		{"доставка в Екатеринбург, ебург", taskNone, intentDelivery},
		{"все равно", taskNone, intentUnknown},
	}
	for _, tt := range tests {
		c := &conversation{r: New(nil, func() time.Time { return testNow }), task: tt.task}
		if got := c.classify(newUtterance(tt.in)); got != tt.want {
			t.Errorf("classify(%q, task %d) = %v, want %v", tt.in, tt.task, got, tt.want)
		}
	}
}

func TestSentences(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Привет.", []string{"Привет."}},
		{"Готово, Анна, вы записаны завтра в 11:00. Номер записи B0007.", []string{"Готово, Анна, вы записаны завтра в 11:00.", "Номер записи B0007."}},
		{"В городе Казань 2 станции. Первая: Казань, пр. Победы, 91, сегодня работает. Вторая: ул. Копылова, 12.",
			[]string{"В городе Казань 2 станции.", "Первая: Казань, пр. Победы, 91, сегодня работает.", "Вторая: ул. Копылова, 12."}},
		{"Не знаю. Соединить вас с оператором?", []string{"Не знаю.", "Соединить вас с оператором?"}},
		{"Стоит 5 400 рублей. это всё", []string{"Стоит 5 400 рублей. это всё"}},
		{"  ", nil},
	}
	for _, tt := range tests {
		if got := sentences(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("sentences(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
