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
// 20 dB SNR, and after the loss of 20 ms frames that a phone line inflicts:
//
//   - any single loss of 1, 2 or 3 frames (up to 60 ms) anywhere in the
//     phrase, preamble, header and tail included, wherever the frame grid
//     falls on the symbols, at 8 or 16 kHz, whether the line joins the
//     audio on either side (a deletion: Asterisk forwards nothing for a lost
//     packet) or fills the gap with silence or its own noise (a hole: a
//     phone plays out a lost packet as silence);
//   - random loss of 2 % of the frames, each lost on its own, with bursts
//     of 2 or 3 frames besides, of either kind. BenchmarkLossRate measured,
//     over 10,000 phrases a case: of 100 to 200 characters none lost at
//     2 %; at 4 %, 24 in 10,000 with deletions and none with holes; of 20
//     to 60 characters (less parity) 1 or 2 in 10,000 at 2 %, and at 4 %
//     66 with deletions, 7 with holes.
//
// Its limits: a gap of 160 ms or more of silence ends a phrase (gapSymbols),
// so a longer hole cuts it, and the part before it is unintelligible unless
// all its data was in; a phrase that loses more than its parity covers (see
// below; short phrases have the least) is unintelligible; the alignment
// follows deletions of up to 4 frames at one place, and loses its way when
// many more go within a few symbols.
//
// The audio looks like speech to a VAD (steady energy while a phrase lasts,
// silence around it), runs at about 20 characters per second for a sentence
// of 40 characters, 25 for 100 and 26 for 200 (the header costs a fixed
// 0.46 s), and is made of single tones, never two at once, all above the
// DTMF row group, so no DTMF detector can hear a digit in it. The decoder
// reports each phrase as soon as the input reaches its end (as soon as it
// could tell that the frames it lost took the rest, when it lost its end);
// whatever it cannot decode it reports as unintelligible (Phrase.OK false)
// once the line has been quiet for 160 ms (20 ms after a sound that is no
// phrase of ours). Start and End are where the first and the last symbol of
// the phrase that were heard begin and end.
//
// # Signal format
//
// 8 kHz, continuous-phase MFSK: 10 ms symbols (80 samples, so a 20 ms frame
// is two symbols and a lost frame takes two whole symbols' worth), each one
// of 16 tones, 1100, 1200, ... 2600 Hz. Every tone makes a whole number of
// cycles in a symbol, so each symbol starts and ends at phase 0 and the
// phase is continuous from one to the next. The peak amplitude is 5800
// (about -15 dBFS); the phrase fades in over 5 ms and out over 2 ms (raised
// cosine). All tones lie at least 159 Hz above the highest DTMF row tone
// (941 Hz): a DTMF digit needs a row tone and a column tone together, and a
// window of this signal never holds a row tone.
//
// Tone 2v+m carries 3 data bits v and a mark bit m. The marks are a fixed
// sequence, known to both sides, by which the decoder tells which symbol a
// slot holds after frames were lost: they go in pairs, each pair different
// from the one before and otherwise random, so that the marks shifted by two
// symbols (one lost frame) never match a whole pair, and shifted by four or
// six match one in three or two in nine, at random, never for long.
//
// A phrase is
//
//	preamble  8 symbols, tones 1, 14, 6, 11, 0, 9, 15, 4 (no marks)
//	header    14 bytes: the length of the text's byte form, 2 bytes
//	          big-endian, and 12 Reed-Solomon parity bytes
//	payload   the text's byte form (below) and its CRC-16/CCITT-FALSE,
//	          2 bytes big-endian, cut into ceil((n+2)/190) Reed-Solomon
//	          codewords of as nearly equal size as can be, k data bytes and
//	          6+ceil(k/4) parity bytes each, sent interleaved byte by byte
//	          (byte 0 of every codeword, then byte 1, ...)
//	tail      1 or 2 symbols of no data, so that the phrase is whole 20 ms
//	          frames and the decoder has its data before its end
//
// The header and payload bytes, XORed with a fixed pseudo-random sequence
// (so that no text makes a run of one tone), are sent 3 bits to a symbol,
// most significant first. Reed-Solomon is over GF(256), polynomial 0x11d,
// generator roots 2^0 .. 2^(p-1). There is no silence inside a phrase, and
// none before or after it in what Encode returns. The parity costs about a
// quarter of the payload, plus 6 bytes a codeword: a phrase survives as
// many lost or unreliable bytes in each codeword as it has parity bytes.
//
// The text's byte form is Windows-1251 where it can be: ASCII as is,
// Cyrillic letters and the other Windows-1251 characters as their single
// byte. Any other rune is the escape byte 0x98 (the one code Windows-1251
// leaves undefined) followed by the rune's UTF-8. The byte form of a
// MaxText-byte text is at most 1536 bytes, about 53 s of audio.
//
// # Decoder
//
// The decoder resamples its input to 8 kHz when built for another rate, and
// then:
//
//  1. Tracks the noise floor over 2.5 ms blocks (quick to fall, slow to
//     rise) and takes four blocks in a row 9 dB above it (and above
//     -53 dBFS) as an onset. The threshold remembers a higher floor for a
//     second or so, so that the line's noise coming back after a silent
//     hole is no onset.
//  2. Finds the symbol grid to the sample near the onset: the offset at
//     which the next 12 symbols, each taken whole, hold the cleanest tones
//     (a sliding DFT gives every tone's power at every offset). It needs no
//     particular symbol there, the preamble may be lost, and a lost frame
//     does not move the grid. Unless four of those symbols are clean tones,
//     the sound is not a phrase of ours (in the first 200 ms of a stream it
//     is taken as the noise floor instead: the floor starts from the first
//     2.5 ms, which may be a resampler's start-up rather than the line).
//  3. Reads each slot of the grid over its central 8 ms (Goertzel): the
//     loudest even and odd tones, whose powers give the mark bit and the
//     data either way; a slot far below the phrase's level is silent (a
//     hole); one at full level whose loudest tone has little of it sounds
//     spliced (two symbols joined by a deletion inside a symbol).
//  4. Aligns the slots with the symbols sent: a Viterbi search over the
//     drift (sent symbol minus slot), which grows by two for each lost
//     frame joined over, scored by the mark bits (and the preamble's tones),
//     where a loss costs about what it is unlikely, less at a spliced slot,
//     and a hole (silent slots) about as much. The slots next to a drift
//     change that another alignment explains almost as well are marked
//     ambiguous. The header is decoded from the first 62 slots (and again
//     16 and 32 later if it fails, then the phrase is given up).
//  5. Once all the phrase's data symbols are in (the slots heard, plus the
//     symbols the alignment says were lost), or once the line has been
//     silent for 160 ms, aligns the whole phrase and reads each byte as
//     sure, doubtful (a slot ambiguous, weak or spliced) or lost (no slot
//     holds a symbol of it, or it is silent). Each codeword is decoded
//     with the lost bytes erased and the doubtful ones as heard (an erasure
//     costs one parity byte, an error two), and if that fails, with the
//     doubtful ones erased too. When the CRC matches, the phrase is
//     reported as soon as the input reaches its end.
//  6. Waits for 20 ms of silence before looking for the next onset.
//
// A phrase that cannot be decoded, that is not a phrase of ours, or that
// stops short, is reported with OK false once the signal has gone quiet (or
// at Flush, which also reports a phrase whose end was lost if what was
// heard of it decodes). A sound that never stops is taken for the new noise
// floor after a few seconds and reported then.
package speechcodec
