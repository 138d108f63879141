// Package speechcodec is the mock speech codec: offline text-to-speech and
// speech-to-text that carry text exactly through a real telephone audio path,
// so that calls can be tested end to end with no cloud provider. The Encoder
// is the mock TTS, the Decoder the mock STT; the call simulator speaks with
// the one and understands the bot with the other.
//
// # Contract
//
// Any valid UTF-8 text of up to MaxText bytes comes back exactly after mu-law
// or A-law transcoding, 8 kHz <-> 16 kHz resampling, gain from -20 dB to
// +6 dB, arbitrary chunking, leading and trailing silence and white noise at
// 20 dB SNR. The audio looks like speech to a VAD (steady energy while a
// phrase lasts, silence around it), runs at about 25 characters per second,
// and is made of single tones, never two at once, all above the DTMF row
// group, so no DTMF detector can hear a digit in it. The decoder reports each
// phrase as soon as its last symbol arrives; whatever it cannot decode it
// reports as unintelligible (Phrase.OK false) once the line goes quiet.
//
// # Signal format
//
// 8 kHz, continuous-phase MFSK: 20 ms symbols (160 samples), each one of 16
// tones, 1100, 1200, ... 2600 Hz, carrying 4 bits. Every tone makes a whole
// number of cycles in a symbol, so the phase is continuous from one symbol to
// the next. The peak amplitude is 5800 (about -15 dBFS); the phrase fades in
// and out over 5 ms (raised cosine). All tones lie at least 159 Hz above the
// highest DTMF row tone (941 Hz): a DTMF digit needs a row tone and a column
// tone together, and a window of this signal never holds a row tone.
//
// A phrase is
//
//	preamble   4 symbols: tones 0, 15, 0, 15 (1100 and 2600 Hz alternating)
//	length     2 bytes, big-endian: the number of payload bytes
//	check      1 byte: CRC-8 (polynomial 0x07) of the length
//	payload    the text, one byte per Cyrillic letter (below)
//	crc        2 bytes, big-endian: CRC-16/CCITT-FALSE of length, check and payload
//
// with every byte sent as two symbols, high nibble first. There is no
// silence inside a phrase, and none before or after it in what Encode
// returns.
//
// The payload is Windows-1251 where it can be: ASCII as is, Cyrillic letters
// and the other Windows-1251 characters as their single byte, so Russian
// and English both run at 25 characters per second of signal (less the 280 ms
// of preamble, header and CRC). Any other rune is the escape byte 0x98 (the
// one code Windows-1251 leaves undefined) followed by the rune's UTF-8. The
// payload of a MaxText-byte text is at most 1536 bytes, about 62 s of audio.
//
// # Decoder
//
// The decoder resamples its input to 8 kHz when built for another rate, and
// then:
//
//  1. Tracks the noise floor over 2.5 ms blocks (quick to fall, slow to rise)
//     and takes four blocks in a row 9 dB above it (and above -53 dBFS) as an
//     onset.
//  2. Finds the start of the preamble to the sample by trying every offset
//     from 12.5 ms before to 5 ms after the onset and keeping the one where
//     the preamble tones stand out most over the alternate ones. Unless each
//     of the four preamble symbols is there, loud, with at least half of its
//     energy on its tone, the sound is not a phrase of ours. (In the first
//     200 ms of a stream such a sound is taken as the noise floor instead:
//     the floor starts from the first 2.5 ms, which may be a resampler's
//     start-up rather than the line's noise.)
//  3. Reads each symbol as the loudest of the 16 tones (Goertzel) over its
//     central 16 ms. The length and its CRC-8 come first; an impossible
//     length gives up on the phrase. When the last symbol is in and the
//     CRC-16 matches, the phrase is reported at once.
//  4. Waits for 20 ms of silence before looking for the next onset.
//
// A phrase that fails its checks, that is not a phrase of ours, or whose
// signal stops before the announced length, is reported with OK false once
// the signal has gone quiet (or at Flush). A sound that never stops is taken
// for the new noise floor after a few seconds and reported then.
package speechcodec
