package audiosocket

import (
	"fmt"

	"github.com/tirevoice/assistant/internal/audio"
)

// Kind is the first byte of an AudioSocket message: what the payload holds.
type Kind byte

// The kinds Asterisk defines. Audio kinds carry signed 16-bit little-endian
// mono samples at the rate in their name.
const (
	KindHangup    Kind = 0x00 // end of call; no payload
	KindUUID      Kind = 0x01 // call ID, 16 raw bytes; always the first message from Asterisk
	KindDTMF      Kind = 0x03 // one ASCII digit: 0-9 * # A-D
	KindAudio     Kind = 0x10 // 8 kHz; 20 ms = 320 bytes
	KindAudio12k  Kind = 0x11 // 12 kHz; 20 ms = 480 bytes
	KindAudio16k  Kind = 0x12 // 16 kHz; 20 ms = 640 bytes
	KindAudio24k  Kind = 0x13 // 24 kHz; 20 ms = 960 bytes
	KindAudio32k  Kind = 0x14 // 32 kHz; 20 ms = 1280 bytes
	KindAudio44k1 Kind = 0x15 // 44.1 kHz; 20 ms = 1764 bytes
	KindAudio48k  Kind = 0x16 // 48 kHz; 20 ms = 1920 bytes
	KindAudio96k  Kind = 0x17 // 96 kHz; 20 ms = 3840 bytes
	KindAudio192k Kind = 0x18 // 192 kHz; 20 ms = 7680 bytes
	KindError     Kind = 0xff // error reported by the peer; payload starts with a one-byte code
)

// String names k for logs ("hangup", "audio 16 kHz", "Kind(0x42)"). It does
// not allocate for the defined kinds.
func (k Kind) String() string {
	switch k {
	case KindHangup:
		return "hangup"
	case KindUUID:
		return "uuid"
	case KindDTMF:
		return "dtmf"
	case KindAudio:
		return "audio 8 kHz"
	case KindAudio12k:
		return "audio 12 kHz"
	case KindAudio16k:
		return "audio 16 kHz"
	case KindAudio24k:
		return "audio 24 kHz"
	case KindAudio32k:
		return "audio 32 kHz"
	case KindAudio44k1:
		return "audio 44.1 kHz"
	case KindAudio48k:
		return "audio 48 kHz"
	case KindAudio96k:
		return "audio 96 kHz"
	case KindAudio192k:
		return "audio 192 kHz"
	case KindError:
		return "error"
	}
	return fmt.Sprintf("Kind(%#02x)", byte(k))
}

// IsAudio reports whether k is one of the audio kinds 0x10..0x18.
func (k Kind) IsAudio() bool { return k >= KindAudio && k <= KindAudio192k }

// Known reports whether k is a kind Asterisk defines.
func (k Kind) Known() bool {
	switch k {
	case KindHangup, KindUUID, KindDTMF, KindError:
		return true
	}
	return k.IsAudio()
}

// Rate is the sample rate of an audio kind, or 0 if k is not audio.
func (k Kind) Rate() audio.Rate {
	switch k {
	case KindAudio:
		return audio.Rate8k
	case KindAudio12k:
		return audio.Rate12k
	case KindAudio16k:
		return audio.Rate16k
	case KindAudio24k:
		return audio.Rate24k
	case KindAudio32k:
		return audio.Rate32k
	case KindAudio44k1:
		return audio.Rate44k1
	case KindAudio48k:
		return audio.Rate48k
	case KindAudio96k:
		return audio.Rate96k
	case KindAudio192k:
		return audio.Rate192k
	}
	return 0
}

// AudioKind is the kind that carries audio at r; ok is false when AudioSocket
// has no kind for r.
func AudioKind(r audio.Rate) (k Kind, ok bool) {
	for k := KindAudio; k <= KindAudio192k; k++ {
		if k.Rate() == r {
			return k, true
		}
	}
	return 0, false
}
