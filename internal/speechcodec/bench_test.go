package speechcodec

import (
	"strings"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

func BenchmarkEncode(b *testing.B) {
	enc := NewEncoder()
	text := "Здравствуйте! Чем могу помочь?"
	dst := make(audio.PCM16, 0, rate.Samples(enc.Duration(text)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = enc.AppendEncode(dst[:0], text); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/enc.Duration(text).Seconds(), "ns/audio-s")
}

// BenchmarkDecoderWrite feeds a conversation (phrases and silences) in 20 ms
// frames, as a call does, and reports the cost per second of audio.
func BenchmarkDecoderWrite(b *testing.B) {
	enc := NewEncoder()
	var stream audio.PCM16
	for _, s := range []string{"Здравствуйте! Чем могу помочь?", "205/55 R16, зимние, Nokian", strings.Repeat("Номер заказа 12345. ", 3)} {
		stream = append(stream, silence(500*time.Millisecond)...)
		stream = append(stream, mustEncode(b, enc, s)...)
	}
	stream = append(stream, silence(500*time.Millisecond)...)
	for _, r := range []audio.Rate{audio.Rate8k, audio.Rate16k} {
		b.Run(r.String(), func(b *testing.B) {
			in := stream
			if r != audio.Rate8k {
				in = resample(stream, audio.Rate8k, r)
			}
			n := r.FrameSamples()
			in = in[:len(in)/n*n]
			d := NewDecoder(r)
			b.ReportAllocs()
			b.SetBytes(int64(2 * len(in)))
			for b.Loop() {
				heard := 0
				for i := 0; i < len(in); i += n {
					heard += len(d.Write(in[i : i+n]))
				}
				heard += len(d.Flush())
				if heard != 3 {
					b.Fatalf("heard %d phrases, want 3", heard)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/r.Duration(len(in)).Seconds(), "ns/audio-s")
		})
	}
}
