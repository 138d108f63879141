package rules

import "github.com/tirevoice/assistant/internal/tools/shop"

// What the engine says in its own words. Tool answers (tools.Result.Say)
// are spoken as they are; these phrases ask, apologise and bridge. The
// bot speaks of itself in the feminine, as the shop's tools do. An
// apology ("Извините") comes only after something did go wrong: a
// misheard or misunderstood turn, a store that did not answer.
const (
	sayRepeat           = "Извините, я не расслышала. Повторите, пожалуйста."
	sayNotUnderstood    = "Извините, я не поняла."
	sayOfferOperator    = "Извините, я вас плохо понимаю. Соединить вас с оператором?"
	sayUnavailable      = "Извините, сейчас не получается получить данные магазина. Соединить вас с оператором?"
	sayAnythingElse     = "Чем ещё могу помочь?"
	sayHelp             = "Могу подобрать шины, узнать статус заказа или записать на шиномонтаж. Что вас интересует?"
	sayHello            = "Здравствуйте!"
	sayYoureWelcome     = "Пожалуйста!"
	sayListening        = "Слушаю вас."
	sayOK               = "Хорошо."
	saySorry            = "Извините, что не получилось помочь."
	sayTransfer         = shop.SayTransfer
	sayBye              = "Спасибо за звонок, до свидания!"
	sayDeliveryYes      = "Да, доставляем по всей России."
	askSizeText         = "Подскажите размер шин. Например: двести пять пятьдесят пять эр шестнадцать."
	askSeasonText       = "На какой сезон: летние, зимние или всесезонные?"
	askOrderText        = "Назовите, пожалуйста, номер заказа."
	askOrderKeypadText  = "Назовите, пожалуйста, номер заказа или наберите его на телефоне и нажмите решётку."
	askOrderOrPhone     = "Назовите, пожалуйста, номер заказа. Или могу найти заказы по номеру, с которого вы звоните."
	askProofText        = "Назовите, пожалуйста, последние четыре цифры номера телефона, на который оформлен заказ."
	sayNoProof          = "Без этого я не могу назвать данные заказа. Соединить вас с оператором?"
	askCityText         = "В каком городе вам удобно?"
	askDateText         = "На какой день вас записать?"
	askOtherDateText    = "Выберите, пожалуйста, другой день."
	askTimeText         = "Какое время вам удобно?"
	askNameText         = "Как вас зовут?"
	askPhoneText        = "Назовите, пожалуйста, номер телефона для связи."
	askPhoneKeypadText  = "Назовите, пожалуйста, номер телефона для связи или наберите его на телефоне и нажмите решётку."
	askHoursCityText    = "Часы у станций разные. В каком вы городе?"
	askStationsCityText = "Станции есть в пяти городах. В каком вы городе?"
	askDeliveryText     = "В какой город нужна доставка?"
	askBookOfferText    = "Записать вас на шиномонтаж?"
)
