package rules

import "strings"

// wantsHuman reports a request for a person: "оператор", "человек",
// "живой", "соедините с менеджером", "позовите сотрудника".
func wantsHuman(u utterance) bool {
	return u.hasPrefix("оператор", "человек", "менеджер", "сотрудник", "консультант", "специалист",
		"администратор", "диспетчер", "operator") ||
		u.has("живой", "живого", "живым", "живому", "живая", "живую", "живые", "живыми", "люди", "людьми")
}

// swearStems begin rude words; the list is short on purpose and matches
// from a word's start only ("ебург" is a city).
var swearStems = []string{"бля", "хуй", "хуе", "хуя", "хуи", "пизд", "ебан", "ебат", "ебал", "ебуч", "заеб",
	"уеб", "наеб", "выеб", "ебну", "мудак", "мудил", "говн", "дерьм", "нахер", "нахрен", "срань", "жоп"}

// angry reports frustration: "вы меня не понимаете", "бесполезно",
// "достали", swearing.
func angry(u utterance) bool {
	if u.hasPhrase("не понимаете", "не понимаешь", "не слышите", "не слышишь", "сколько можно", "не можете помочь",
		"ничего не можете", "толку нет", "толку никакого") {
		return true
	}
	for _, f := range u.f {
		if f == "сука" || f == "суки" {
			return true
		}
		for _, s := range swearStems {
			if strings.HasPrefix(f, s) {
				return true
			}
		}
	}
	return u.hasPrefix("бесполезн", "достал", "надоел", "задолбал", "издеваете", "бестолков", "тупой", "тупая",
		"тупица", "идиот", "дебил", "кретин", "бесит", "бесите", "отстой", "дурацк", "безобраз", "хамств")
}

// saysGoodbye reports the end of the conversation: "до свидания",
// "спасибо, всё", "пока", "больше ничего".
func saysGoodbye(u utterance) bool {
	if u.hasPhrase("до свидания", "до свиданья", "досвидания", "всего доброго", "всего хорошего", "до встречи",
		"больше ничего", "ничего больше", "ничего не надо", "ничего не нужно", "больше не нужно", "больше не надо",
		"вопросов нет", "вопросов больше нет", "больше вопросов нет", "это все", "на этом все", "вот и все") ||
		u.hasPrefix("прощай", "свидани") || u.has("bye", "goodbye") {
		return true
	}
	// "пока" ends a short goodbye, not "пока не знаю".
	if n := len(u.f); n > 0 && n <= 4 && u.f[n-1] == "пока" {
		return true
	}
	// "спасибо, всё": only thanks and "всё".
	return u.has("все") && u.only(words("спасибо", "все", "да", "ну", "вот", "и", "это", "пожалуйста", "большое", "тогда", "благодарю", "пока", "на", "этом"))
}

// greets reports a greeting.
func greets(u utterance) bool {
	return u.hasPrefix("здравств", "здрасьт", "привет", "приветств") || u.has("алло", "ало") ||
		u.hasPhrase("добрый день", "добрый вечер", "доброе утро", "доброго дня")
}

// thanks reports thanks.
func thanks(u utterance) bool {
	return u.hasPrefix("спасиб", "благодар") || u.has("спс")
}

// tireNoun reports a word for tires: "шины" (not "шиномонтаж"),
// "резина", "покрышки", "колёса".
func tireNoun(u utterance) bool {
	return u.has("шина", "шины", "шин", "шине", "шину", "шиной", "шинами", "шинах", "шинам", "шинки", "шинку", "шинок") ||
		u.hasPrefix("резин", "покрышк", "покрышек", "колес", "скаты", "tire", "tyre")
}

// wantsBooking reports a wish to book a fitting or to find a fitting
// station: "запишите на шиномонтаж", "хочу переобуться", "где у вас
// шиномонтаж в Казани". A question about the price or the time of
// fitting is a question for the knowledge base instead.
func wantsBooking(u utterance) bool {
	verb := bookingVerb(u)
	noun := u.hasPrefix("шиномонтаж", "монтаж", "переобу", "переобув", "станци", "сервис", "автосервис") ||
		u.hasPhrase("поменять резину", "поменять шины", "сменить резину", "сменить шины", "заменить резину", "заменить шины")
	if verb {
		return true
	}
	if !noun {
		return false
	}
	if fittingQuestion(u) {
		return false
	}
	return true
}

// bookingVerb reports a word of booking itself: "запишите", "запись",
// "забронировать", "свободное время".
func bookingVerb(u utterance) bool {
	return u.hasPrefix("запис", "запиш", "запись", "забронир", "слот", "окошк", "окно") ||
		u.hasPhrase("свободное время", "свободные места", "свободно время")
}

// addressQuestion reports a question of where: "где у вас шиномонтаж",
// "адреса станций", "где вы находитесь".
func addressQuestion(u utterance) bool {
	return u.has("где", "куда") || u.hasPrefix("адрес", "находит", "расположен")
}

// hoursQuestion reports a question about the working hours of a day: "до
// скольки вы сегодня работаете", "во сколько открываетесь в субботу", "вы
// завтра работаете?", "часы работы в воскресенье". A bare "как работает
// рассрочка" is not one: a work word needs a day, "сейчас", or a word of
// time with it; nor is a question of the weekly schedule ("какой у вас
// график работы?"), which the knowledge base answers.
func hoursQuestion(u utterance) bool {
	work := u.hasPrefix("работает", "работаете", "работают", "открыт", "открыва", "закрыва", "закрыт") ||
		u.hasPhrase("часы работы", "режим работы", "график работы")
	when := u.hasPrefix("сегодн", "завтр", "послезавтр") || u.has("сейчас") ||
		u.hasPhrase("во сколько", "до скольки", "со скольки", "до какого", "с какого")
	for _, f := range u.f {
		if _, ok := weekdays[f]; ok {
			when = true
		}
	}
	return work && when && !priceQuestion(u)
}

// deliveryQuestion reports a yes-or-no question about delivery: "у вас
// есть доставка?", "вы доставляете в Казань?", "можно с доставкой?". How
// much it costs or how long it takes is a question for the knowledge base.
func deliveryQuestion(u utterance) bool {
	if !u.hasPrefix("доставк", "доставля", "доставит", "доставят", "доставите", "привез", "привоз") {
		return false
	}
	if priceQuestion(u) || u.has("сколько", "когда", "как", "какие", "какая", "какой", "срок", "сроки", "долго") {
		return false
	}
	return u.has("есть", "ли", "можно", "возможна", "бывает", "делаете", "осуществляете") || u.hasPrefix("доставляет", "доставите", "привезет", "привезете") ||
		parseCityOK(u)
}

func parseCityOK(u utterance) bool {
	_, ok := parseCity(u, false)
	return ok
}

// fittingQuestion reports a question about the shop rather than a
// booking: the price of fitting, when to change tires, working hours.
func fittingQuestion(u utterance) bool {
	return priceQuestion(u) || u.hasPrefix("работает", "работаете", "работы", "открыт", "закрыва", "выходн") ||
		u.has("когда", "зачем", "почему", "штраф") || u.hasPhrase("нужно ли", "надо ли", "обязательно ли", "стоит ли")
}

// priceQuestion reports "сколько стоит", "цена", "почём".
func priceQuestion(u utterance) bool {
	return u.hasPhrase("сколько стоит", "сколько стоят", "сколько будет стоить", "сколько стоить") ||
		u.hasPrefix("стоимост", "цен", "почем", "прайс", "расценк", "тариф")
}

// kbTopic reports a topic the knowledge base answers: delivery, payment,
// warranty, returns, storage, pressure, stud rules, hours, addresses,
// discounts, repairs, wear and markings.
func kbTopic(u utterance) bool {
	return u.has("правила", "правил", "правилам", "правилах") || u.hasPrefix("доставк", "доставля", "доставит", "доставят", "привез", "курьер", "самовывоз",
		"оплат", "оплач", "плат", "наличн", "рассрочк", "кредит", "сбп", "безнал", "картой", "карте",
		"гаранти", "возврат", "вернуть", "верну", "обмен", "хранени", "хранить", "храните", "хранят", "отель",
		"давлени", "накач", "подкач", "атмосфер", "штраф", "закон", "запрет", "разреш",
		"износ", "протектор", "грыж", "порез", "прокол", "проколол", "ремонт", "латк", "балансир",
		"адрес", "находитесь", "доехать", "добраться", "проехать", "скидк", "акци", "промокод", "бонус",
		"маркировк", "индекс", "ранфлет", "ранфлэт", "runflat", "выпал", "выпада", "ошиповк", "дошип",
		"юрлиц", "юридическ", "чек", "документ", "режим", "работаете", "работает", "выходн", "график",
		"ездить", "езди", "эксплуатац", "балон", "баллон", "вентил", "ниппел") ||
		u.hasPhrase("часы работы", "во сколько", "до скольки", "со скольки", "как узнать", "как выбрать",
			"как проверить", "как часто", "как долго", "что делать", "что лучше", "какое давление",
			"можно ли", "нужно ли", "надо ли", "обязательно ли", "стоит ли", "где вы", "как вас найти")
}
