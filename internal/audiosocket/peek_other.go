//go:build !linux

package audiosocket

import "net"

// uuidWaiting cannot peek at a socket here: a connection counts as having
// said nothing until its goroutine has read its UUID frame.
func uuidWaiting(net.Conn) bool { return false }
