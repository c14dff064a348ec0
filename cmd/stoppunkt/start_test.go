package main

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stoppunkt/stoppunkt/server/publicurl"
)

// venue is a laptop at a venue: loopback, Docker's bridge and the venue's
// Wi-Fi; home is one with loopback alone.
var (
	venue = []publicurl.Interface{
		{Name: "lo", Up: true, Loopback: true, Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}},
		{Name: "docker0", Up: true, Addrs: []netip.Addr{netip.MustParseAddr("172.17.0.1")}},
		{Name: "wlan0", Up: true, Addrs: []netip.Addr{netip.MustParseAddr("2001:db8::7"), netip.MustParseAddr("192.168.1.23")}},
	}
	alone = venue[:1]
)

func TestStartMessage(t *testing.T) {
	tests := []struct {
		name, listenURL, addr, public string
		ifaces                        []publicurl.Interface
		want, not                     []string
	}{
		{name: "the LAN address for phones, localhost for the facilitator", listenURL: "http://[::]:8080", addr: ":8080", ifaces: venue,
			want: []string{"Start a session: http://localhost:8080/new\n", "Phones join at http://192.168.1.23:8080 (", "also has http://[2001:db8::7]:8080"},
			not:  []string{"172.17", "only this machine"}},
		{name: "loopback only: a warning and what to do", listenURL: "http://[::]:8080", addr: ":8080", ifaces: alone,
			want: []string{"Phones join at http://localhost:8080, which only this machine can open.", "venue's Wi-Fi", "--public-url"}},
		{name: "listening on loopback: no LAN address, listen wider", listenURL: "http://127.0.0.1:8080", addr: "127.0.0.1:8080", ifaces: venue,
			want: []string{"Start a session: http://127.0.0.1:8080/new\n", "Phones join at http://127.0.0.1:8080, which only", "--addr :8080"}},
		{name: "the public URL wins", listenURL: "http://[::]:8080", addr: ":8080", public: "https://kurs.example.no", ifaces: venue,
			want: []string{"Start a session: https://kurs.example.no/new\n", "Phones join at https://kurs.example.no ("},
			not:  []string{"192.168", "only this machine"}},
		{name: "TLS in the binary", listenURL: "https://0.0.0.0:8443", addr: "0.0.0.0:8443", ifaces: venue,
			want: []string{"Start a session: https://localhost:8443/new\n", "Phones join at https://192.168.1.23:8443 ("},
			not:  []string{"2001:db8"}},
	}
	for _, tt := range tests {
		ifaces := tt.ifaces
		m := machine{interfaces: func() ([]publicurl.Interface, error) { return ifaces, nil }}
		got := startMessage(tt.listenURL, tt.addr, tt.public, m.lan(tt.addr).Addrs())
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: lacks %q:\n%s", tt.name, w, got)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: has %q:\n%s", tt.name, n, got)
			}
		}
		if strings.Contains(got, "/j/") || strings.Contains(got, "Open the dashboard") {
			t.Errorf("%s: points the facilitator at the phone page:\n%s", tt.name, got)
		}
	}
}
