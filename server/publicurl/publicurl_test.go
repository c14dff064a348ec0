package publicurl

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func list(as []netip.Addr) string {
	var ss []string
	for _, a := range as {
		ss = append(ss, a.String())
	}
	return strings.Join(ss, " ")
}

// venueLaptop is a laptop at a venue: a public IPv6 and a LAN address on
// its Wi-Fi, Docker's bridge, a VPN tunnel, a cable unplugged.
var venueLaptop = []Interface{
	{Name: "lo", Up: true, Loopback: true, Addrs: addrs("127.0.0.1", "::1")},
	{Name: "eth0", Up: false, Addrs: addrs("10.0.0.5")},
	{Name: "docker0", Up: true, Addrs: addrs("172.17.0.1")},
	{Name: "br-3f2a9c", Up: true, Addrs: addrs("172.18.0.1")},
	{Name: "veth12ab", Up: true, Addrs: addrs("fe80::1")},
	{Name: "virbr0", Up: true, Addrs: addrs("192.168.122.1")},
	{Name: "tun0", Up: true, PointToPoint: true, Addrs: addrs("10.8.0.2")},
	{Name: "wlp2s0", Up: true, Addrs: addrs("2001:db8::25", "fd12:3456::25", "169.254.10.1", "fe80::aa", "192.168.1.23")},
}

func TestCandidatesPutTheLANAddressFirst(t *testing.T) {
	tests := []struct {
		name   string
		ifaces []Interface
		want   string
	}{
		{"venue laptop", venueLaptop, "192.168.1.23 fd12:3456::25 2001:db8::25"},
		{"loopback only", venueLaptop[:1], ""},
		{"nothing up", []Interface{{Name: "eth0", Addrs: addrs("192.168.1.2")}}, ""},
		{"private IPv4 before public IPv4, in interface order", []Interface{
			{Name: "eth0", Up: true, Addrs: addrs("203.0.113.7", "10.1.2.3")},
			{Name: "wlan0", Up: true, Addrs: addrs("172.20.1.9")},
		}, "10.1.2.3 172.20.1.9 203.0.113.7"},
		{"IPv4-mapped addresses count as IPv4; duplicates once", []Interface{
			{Name: "en0", Up: true, Addrs: addrs("::ffff:192.168.0.10", "192.168.0.10")},
		}, "192.168.0.10"},
		{"link-local only", []Interface{{Name: "en0", Up: true, Addrs: addrs("169.254.3.4", "fe80::5")}}, ""},
	}
	for _, tt := range tests {
		if got := list(Candidates(tt.ifaces)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestFinderFollowsTheListenAddress(t *testing.T) {
	ifs := func() ([]Interface, error) { return venueLaptop, nil }
	tests := []struct {
		listen string
		want   string
	}{
		{":8080", "192.168.1.23 fd12:3456::25 2001:db8::25"},
		{"[::]:8080", "192.168.1.23 fd12:3456::25 2001:db8::25"},
		{"0.0.0.0:8080", "192.168.1.23"},
		{"127.0.0.1:8080", ""},
		{"[::1]:8080", ""},
		{"localhost:8080", ""},
		{"192.168.1.23:8080", "192.168.1.23"},
		{"nonsense", ""},
	}
	for _, tt := range tests {
		if got := list(Finder{Listen: tt.listen, Interfaces: ifs}.Addrs()); got != tt.want {
			t.Errorf("listen %s: %q, want %q", tt.listen, got, tt.want)
		}
	}
	failing := func() ([]Interface, error) { return nil, errors.New("no netlink") }
	if got := (Finder{Listen: ":8080", Interfaces: failing}).Addrs(); got != nil {
		t.Errorf("interfaces unreadable: %v, want none", got)
	}
	if got := (Finder{Listen: ":8080"}).Addrs(); got != nil {
		t.Errorf("no interface lister: %v, want none", got)
	}
}

func TestChoose(t *testing.T) {
	lan := addrs("192.168.1.23", "fd12::25")
	v6 := addrs("fd12::25")
	tests := []struct {
		name   string
		public string
		req    Request
		lan    []netip.Addr
		want   string
	}{
		{"public URL wins over everything", "https://stoppunkt.example.no/", Request{Scheme: "http", Host: "192.168.1.23:8080", Port: "8080"}, lan, "https://stoppunkt.example.no"},
		{"public URL wins on localhost", "https://stoppunkt.example.no", Request{Host: "localhost:8080", Port: "8080"}, lan, "https://stoppunkt.example.no"},
		{"localhost gets the LAN address", "", Request{Scheme: "http", Host: "localhost:8080", Port: "8080"}, lan, "http://192.168.1.23:8080"},
		{"127.0.0.1 too, with the port it arrived on", "", Request{Scheme: "http", Host: "127.0.0.1:9000", Port: "8080"}, lan, "http://192.168.1.23:8080"},
		{"[::1] too", "", Request{Scheme: "https", Host: "[::1]:8443", Port: "8443"}, lan, "https://192.168.1.23:8443"},
		{"the port from Host when the socket's is unknown", "", Request{Scheme: "http", Host: "localhost:8080"}, lan, "http://192.168.1.23:8080"},
		{"default ports are left out", "", Request{Scheme: "http", Host: "localhost", Port: "80"}, lan, "http://192.168.1.23"},
		{"IPv6 in brackets", "", Request{Scheme: "http", Host: "localhost:8080", Port: "8080"}, v6, "http://[fd12::25]:8080"},
		{"a LAN host is kept", "", Request{Scheme: "http", Host: "10.0.0.7:8080", Port: "8080"}, lan, "http://10.0.0.7:8080"},
		{"a domain is kept", "", Request{Scheme: "https", Host: "kurs.kommune.no", Port: "8080"}, lan, "https://kurs.kommune.no"},
		{"loopback only: the request's host", "", Request{Scheme: "http", Host: "localhost:8080", Port: "8080"}, nil, "http://localhost:8080"},
	}
	for _, tt := range tests {
		if got := Choose(tt.public, tt.req, tt.lan); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestLocal(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST:8080": true, "app.localhost:8080": true, "127.0.0.1": true, "127.1.2.3:80": true,
		"[::1]:8080": true, "::1": true, "0.0.0.0:8080": true, "[::]:8080": true, "": true, "localhost.": true,
		"192.168.1.23:8080": false, "[fd12::25]:8080": false, "kurs.kommune.no": false, "localhost.example.no": false,
	} {
		if got := Local(host); got != want {
			t.Errorf("Local(%q) = %v, want %v", host, got, want)
		}
	}
}

// TestSystemListsThisMachine reads the real interfaces: only that it
// works and finds loopback (no traffic is sent).
func TestSystemListsThisMachine(t *testing.T) {
	ifs, err := System()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ifc := range ifs {
		for _, a := range ifc.Addrs {
			found = found || (ifc.Loopback && a.IsLoopback())
		}
	}
	if !found {
		t.Fatalf("no loopback address among %s", fmt.Sprint(ifs))
	}
	for _, a := range Candidates(ifs) {
		if a.IsLoopback() {
			t.Fatalf("a loopback address is a candidate: %v", a)
		}
	}
}
