package audiosocket_test

import (
	"testing"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/audiosocket"
)

func TestKind(t *testing.T) {
	tests := []struct {
		kind  audiosocket.Kind
		name  string
		audio bool
		rate  audio.Rate
	}{
		{audiosocket.KindHangup, "hangup", false, 0},
		{audiosocket.KindUUID, "uuid", false, 0},
		{audiosocket.KindDTMF, "dtmf", false, 0},
		{audiosocket.KindAudio, "audio 8 kHz", true, audio.Rate8k},
		{audiosocket.KindAudio12k, "audio 12 kHz", true, audio.Rate12k},
		{audiosocket.KindAudio16k, "audio 16 kHz", true, audio.Rate16k},
		{audiosocket.KindAudio24k, "audio 24 kHz", true, audio.Rate24k},
		{audiosocket.KindAudio32k, "audio 32 kHz", true, audio.Rate32k},
		{audiosocket.KindAudio44k1, "audio 44.1 kHz", true, audio.Rate44k1},
		{audiosocket.KindAudio48k, "audio 48 kHz", true, audio.Rate48k},
		{audiosocket.KindAudio96k, "audio 96 kHz", true, audio.Rate96k},
		{audiosocket.KindAudio192k, "audio 192 kHz", true, audio.Rate192k},
		{audiosocket.KindError, "error", false, 0},
		{0x02, "Kind(0x02)", false, 0},
		{0x19, "Kind(0x19)", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.kind.String(); got != tt.name {
				t.Errorf("String() = %q, want %q", got, tt.name)
			}
			if got := tt.kind.IsAudio(); got != tt.audio {
				t.Errorf("IsAudio() = %v, want %v", got, tt.audio)
			}
			if got := tt.kind.Rate(); got != tt.rate {
				t.Errorf("Rate() = %v, want %v", got, tt.rate)
			}
			if tt.audio {
				k, ok := audiosocket.AudioKind(tt.rate)
				if !ok || k != tt.kind {
					t.Errorf("AudioKind(%v) = %v, %v; want %v, true", tt.rate, k, ok, tt.kind)
				}
			}
		})
	}
	if k, ok := audiosocket.AudioKind(11025); ok {
		t.Errorf("AudioKind(11025) = %v, true; want false", k)
	}
}
