package rules

// What the engine says in its own words. Tool answers (tools.Result.Say)
// are spoken as they are; these phrases ask, apologise and bridge. The
// bot speaks of itself in the feminine, as the shop's tools do.
const (
	sayRepeat        = "Извините, я не расслышала. Повторите, пожалуйста."
	sayNotUnderstood = "Извините, я не поняла."
	sayOfferOperator = "Извините, я вас плохо понимаю. Соединить вас с оператором?"
	sayUnavailable   = "Извините, сейчас не получается получить данные магазина. Соединить вас с оператором?"
	sayAnythingElse  = "Чем ещё могу помочь?"
	sayHelp          = "Чем могу помочь? Могу подобрать шины, узнать статус заказа или записать на шиномонтаж."
	sayHello         = "Здравствуйте!"
	sayYoureWelcome  = "Пожалуйста!"
	sayListening     = "Слушаю вас."
	sayOK            = "Хорошо."
	saySorry         = "Извините, что не получилось помочь."
	sayTransfer      = "Соединяю вас с оператором."
	sayBye           = "Спасибо за звонок, до свидания!"
	askSizeText      = "Подскажите размер шин. Например: двести пять пятьдесят пять эр шестнадцать."
	askSeasonText    = "На какой сезон: летние, зимние или всесезонные?"
	askOrderText     = "Назовите, пожалуйста, номер заказа."
	askOrderOrPhone  = "Назовите, пожалуйста, номер заказа. Или могу найти заказы по номеру, с которого вы звоните."
	askProofText     = "Назовите, пожалуйста, последние четыре цифры номера телефона, на который оформлен заказ."
	sayNoProof       = "Без этого я не могу назвать данные заказа. Соединить вас с оператором?"
	askCityText      = "В каком городе вам удобно?"
	askStationText   = "Какая станция вам удобна?"
	askDateText      = "На какой день вас записать?"
	askOtherDateText = "Выберите, пожалуйста, другой день."
	askTimeText      = "Какое время вам удобно?"
	askNameText      = "Как вас зовут?"
	askPhoneText     = "Назовите, пожалуйста, номер телефона для связи."
)
