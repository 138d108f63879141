package rules

import (
	"strconv"
	"strings"

	"github.com/tirevoice/assistant/internal/store"
)

// orderWords are the forms of "заказ" (not "заказать": buying is a search).
var orderWords = words("заказ", "заказа", "заказу", "заказом", "заказе", "заказы", "заказов", "заказам", "заказах", "заказик", "заказика")

// wantsOrder reports whether the caller asks about an order.
func wantsOrder(u utterance) bool {
	for _, f := range u.f {
		if orderWords[f] {
			return true
		}
	}
	return u.hasPrefix("статус", "отслед", "трек", "посылк") || u.hasPhrase("где мой", "где моя", "когда привезут", "когда доставят")
}

// digitRuns are the runs of numbers in u, each as the digits a caller
// dictates: consecutive numbers are written one after another, so "один
// ноль ноль ноль один два" and "сто ноль двенадцать" give "100012", and
// "сто тысяч двенадцать" gives "100012" too.
func digitRuns(u utterance) []string {
	var runs []string
	var cur strings.Builder
	end := -1
	for _, n := range u.numbers() {
		if n.at != end && cur.Len() > 0 {
			runs = append(runs, cur.String())
			cur.Reset()
		}
		if n.Digits != "" {
			cur.WriteString(n.Digits)
		} else {
			cur.WriteString(strconv.Itoa(n.Value))
		}
		end = n.at + n.Words
	}
	if cur.Len() > 0 {
		runs = append(runs, cur.String())
	}
	return runs
}

// parseOrderID reads an order number, 4 to 12 digits, in digits or words
// ("заказ 100012", "номер сто тысяч двенадцать"). Unless expecting (the
// bot asked for the number), the caller must say "заказ" or "номер". A
// run that is a phone number is not an order number.
func parseOrderID(u utterance, expecting bool) string {
	if !expecting && !wantsOrder(u) && !u.hasPrefix("номер") {
		return ""
	}
	for _, r := range digitRuns(u) {
		if len(r) >= 4 && len(r) <= 12 && !looksLikePhone(r) {
			return r
		}
	}
	return ""
}

func looksLikePhone(digits string) bool {
	return len(digits) == 11 && (digits[0] == '7' || digits[0] == '8') || len(digits) == 10 && digits[0] == '9'
}

// parsePhone reads a dictated phone number ("8 916 123 45 67", "плюс семь
// девятьсот шестнадцать...") as E.164, or "".
func parsePhone(u utterance) string {
	for _, r := range digitRuns(u) {
		if p, err := store.NormalizePhone(r); err == nil {
			return p
		}
	}
	return ""
}

// byCallerPhone reports whether the caller points at the number they call
// from: "по моему номеру", "по телефону", "с которого звоню".
func byCallerPhone(u utterance) bool {
	return u.hasPrefix("телефон") || u.hasPhrase("по моему номеру", "по номеру", "мой номер", "моему номеру",
		"этот номер", "этому номеру", "с которого", "с этого номера")
}

// parseLast4 reads the last four digits of a phone number, said to prove
// an order is the caller's: "один три один три", "тринадцать тринадцать",
// "1313"; from a whole dictated number, its last four.
func parseLast4(u utterance) string {
	for _, r := range digitRuns(u) {
		if len(r) == 4 {
			return r
		}
	}
	if p := parsePhone(u); p != "" {
		return p[len(p)-4:]
	}
	return ""
}
