// Package audiosocket speaks Asterisk's AudioSocket protocol over TCP: the
// wire framing (Frame, Reader, Writer), the server side that the call
// processor runs (Server, Conn, Handler) and the Asterisk side that the call
// simulator and the tests use (Client).
//
// A message is one kind byte, a two-byte big-endian payload length and the
// payload. Audio is signed 16-bit little-endian mono at the rate the kind
// names; Asterisk sends one 20 ms frame every 20 ms (320 bytes as KindAudio,
// 640 bytes as KindAudio16k).
//
// A hostile or broken peer is expected: every read has a deadline, every
// protocol violation ends the connection with a sentinel error (see
// errors.go), one log line and one Observer call, and no goroutine outlives
// the Server.
package audiosocket
