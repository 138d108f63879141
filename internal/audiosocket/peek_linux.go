package audiosocket

import (
	"net"
	"syscall"
)

// uuidWaiting reports whether a whole UUID frame waits in nc's receive
// buffer, unread: the peer has said which call it is, and only this side's
// goroutine has yet to read it. It peeks without blocking and without
// taking the connection's read lock, which the goroutine's read may hold.
func uuidWaiting(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var buf [HeaderSize + 16]byte
	n := 0
	err = rc.Control(func(fd uintptr) {
		n, _, _ = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	})
	return err == nil && n == len(buf) && Kind(buf[0]) == KindUUID && buf[1] == 0 && buf[2] == 16
}
