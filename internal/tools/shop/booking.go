package shop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tirevoice/assistant/internal/russian"
	"github.com/tirevoice/assistant/internal/store"
	"github.com/tirevoice/assistant/internal/tools"
)

// BookingAnswer is the Data of book_slot: the booking made, or what must
// come first. It holds neither the name nor the phone.
type BookingAnswer struct {
	Booked    bool      `json:"booked"`
	Need      string    `json:"need,omitempty"`   // NeedPhone or NeedPhoneConfirmation
	Reason    string    `json:"reason,omitempty"` // why not booked: "slot taken", "invalid slot"
	ID        string    `json:"id,omitempty"`
	StationID string    `json:"station_id,omitempty"`
	Start     time.Time `json:"start,omitzero"`
	End       time.Time `json:"end,omitzero"`
}

const (
	sayAskPhone      = "Назовите, пожалуйста, номер телефона для связи."
	sayReadBackPhone = "Записываю на номер %s. Верно?"
)

// bookSlot books a slot for the caller's own number. Another number (or
// any number when the caller's is unknown) is first read back; it is
// booked only when a later call says phone_confirmed for the number read
// back in an earlier turn, that is, after the caller heard it and could
// answer.
func (t *shopTools) bookSlot(ctx context.Context, args json.RawMessage) (tools.Result, error) {
	var a struct {
		StationID      string `json:"station_id"`
		Start          string
		Name           string
		Phone          string
		PhoneConfirmed bool `json:"phone_confirmed"`
		Note           string
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return tools.Result{}, fmt.Errorf("%w: %v", tools.ErrInvalidArgs, err)
	}
	caller := tools.CallerFrom(ctx)
	phone := caller.Phone()
	if a.Phone != "" {
		p, err := store.NormalizePhone(a.Phone)
		if err != nil {
			// The number stays out of the error: errors reach logs.
			return tools.Result{Say: sayAskPhone, Data: BookingAnswer{Need: NeedPhone}},
				fmt.Errorf("%w: phone: not a phone number", tools.ErrInvalidArgs)
		}
		if p != phone {
			if !a.PhoneConfirmed || !caller.ReadBackBefore(p) {
				caller.ReadBack(p)
				return tools.Result{Say: fmt.Sprintf(sayReadBackPhone, speakPhone(p)), Data: BookingAnswer{Need: NeedPhoneConfirmation}}, nil
			}
			phone = p
		}
	}
	if phone == "" {
		return tools.Result{Say: sayAskPhone, Data: BookingAnswer{Need: NeedPhone}}, nil
	}
	b, err := t.s.Book(ctx, store.BookingRequest{StationID: a.StationID, Start: a.Start, Name: a.Name, Phone: phone, Note: a.Note})
	switch {
	case errors.Is(err, store.ErrConflict):
		return tools.Result{Say: "Это время уже занято. Давайте выберем другое.", Data: BookingAnswer{Reason: "slot taken"}}, err
	case errors.Is(err, store.ErrInvalid):
		return tools.Result{Say: "На это время записаться нельзя: станция в это время не работает или время уже прошло.", Data: BookingAnswer{Reason: "invalid slot"}}, err
	case err != nil:
		return fail(err, "Такой станции я не нашла.")
	}
	return tools.Result{
		Say: fmt.Sprintf("Готово, %s, вы записаны %s в %s. Номер записи %s.", a.Name,
			withComma(russian.SpokenDate(b.Start, t.now().In(b.Start.Location()))),
			russian.ClockWords(b.Start.Hour(), b.Start.Minute(), russian.Accusative), b.ID),
		Data: BookingAnswer{Booked: true, ID: b.ID, StationID: b.StationID, Start: b.Start, End: b.End},
	}, nil
}

// withComma closes a date with an apposition ("завтра, третьего
// декабря") with a comma before what follows it.
func withComma(when string) string {
	if strings.Contains(when, ",") {
		return when + ","
	}
	return when
}

// speakPhone writes an E.164 number the way it is read out: a Russian
// one in the groups people dictate ("+7 903 555 12 34"), others as they
// are.
func speakPhone(p string) string {
	if len(p) != 12 || !strings.HasPrefix(p, "+7") {
		return p
	}
	return strings.Join([]string{p[:2], p[2:5], p[5:8], p[8:10], p[10:]}, " ")
}
