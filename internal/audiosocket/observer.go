package audiosocket

// Observer receives the Server's connection events; the service backs it
// with Prometheus metrics. Its methods are called from many goroutines at
// once and must be quick and safe for concurrent use.
type Observer interface {
	// ConnOpened: a connection was admitted to wait for its UUID frame
	// (allowed network, calls under MaxConns). Every ConnOpened is followed
	// by exactly one ConnClosed.
	ConnOpened()
	// ConnClosed: an admitted connection is finished and closed.
	ConnClosed()
	// ProtocolError: a connection ended on a problem, named by a label from
	// Reason ("oversize", "uuid_timeout", "conn_limit", "handshake_limit",
	// "too_fast", "handler_panic", ...). It is called at most once per connection for the first terminal
	// error, plus once more with "handler_panic" if the handler panicked
	// after another error had ended the call.
	ProtocolError(reason string)
}

// NopObserver is an Observer that does nothing.
type NopObserver struct{}

func (NopObserver) ConnOpened()          {}
func (NopObserver) ConnClosed()          {}
func (NopObserver) ProtocolError(string) {}

var _ Observer = NopObserver{}
