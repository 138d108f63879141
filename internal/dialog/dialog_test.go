package dialog

import (
	"strings"
	"testing"
)

// TestFiller: every activity has a short filler, a whole sentence that
// says what is being done, and an unknown one the plainest.
func TestFiller(t *testing.T) {
	tests := []struct {
		a    Activity
		want string
	}{
		{ActivityTires, "Секунду, проверяю наличие."},
		{ActivityOrder, "Секунду, смотрю заказ."},
		{ActivityStations, "Секунду, смотрю расписание."},
		{ActivitySlots, "Секунду, смотрю расписание."},
		{ActivityBooking, "Секунду, записываю."},
		{ActivityThinking, "Секунду."},
		{ActivityLookup, "Секунду."},
		{"", "Секунду."},
	}
	for _, tt := range tests {
		got := tt.a.Filler()
		if got != tt.want || !strings.HasSuffix(got, ".") || len([]rune(got)) > 30 {
			t.Errorf("%q.Filler() = %q, want %q", tt.a, got, tt.want)
		}
	}
}
