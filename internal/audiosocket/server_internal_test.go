package audiosocket

import (
	"net"
	"net/netip"
	"testing"
)

// fakeAddr is a net.Addr that is not a *net.TCPAddr, as a wrapped listener
// may return.
type fakeAddr string

func (a fakeAddr) Network() string { return "fake" }
func (a fakeAddr) String() string  { return string(a) }

func TestAllowed(t *testing.T) {
	nets := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("fd00::/8")}
	tcp := func(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
	tests := []struct {
		name string
		nets []netip.Prefix
		addr net.Addr
		want bool
	}{
		{"no list allows all", nil, tcp("192.0.2.1:5000"), true},
		{"IPv4 inside", nets, tcp("10.1.2.3:5000"), true},
		{"IPv4 outside", nets, tcp("10.2.0.1:5000"), false},
		{"IPv4-mapped IPv6 inside", nets, tcp("[::ffff:10.1.2.3]:5000"), true},
		{"IPv6 inside", nets, tcp("[fd12::1]:5000"), true},
		{"IPv6 with zone inside", nets, &net.TCPAddr{IP: net.ParseIP("fd12::1"), Port: 5000, Zone: "eth0"}, true},
		{"IPv6 outside", nets, tcp("[2001:db8::1]:5000"), false},
		{"other addr type inside", nets, fakeAddr("10.1.0.9:7"), true},
		{"unreadable addr", nets, fakeAddr("pipe"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{AllowedNets: tt.nets}
			if got := s.allowed(remoteIP(tt.addr)); got != tt.want {
				t.Errorf("allowed(%v) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}
