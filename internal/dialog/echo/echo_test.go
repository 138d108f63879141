package echo

import (
	"context"
	"testing"

	"github.com/tirevoice/assistant/internal/dialog"
)

func TestRespond(t *testing.T) {
	tests := []struct {
		name       string
		req        dialog.Request
		wantSaid   string
		wantAction dialog.Action
	}{
		{"echoes the caller", dialog.Request{Text: "Нужны зимние шины"}, "Вы сказали: Нужны зимние шины", dialog.Continue},
		{"asks again when unintelligible", dialog.Request{Unintelligible: true}, "Извините, я вас не расслышал. Повторите, пожалуйста.", dialog.Continue},
		{"goodbye ends the call", dialog.Request{Text: "Спасибо, до свидания"}, "До свидания! Хорошего дня.", dialog.Hangup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var said []string
			out, err := Responder{}.Respond(context.Background(), tt.req, func(_ context.Context, s string) error {
				said = append(said, s)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(said) != 1 || said[0] != tt.wantSaid {
				t.Errorf("said %q, want %q", said, tt.wantSaid)
			}
			if out.Action != tt.wantAction {
				t.Errorf("action %v, want %v", out.Action, tt.wantAction)
			}
		})
	}
}
