package webtest

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/stoppunkt/stoppunkt/server/instance"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
	"github.com/stoppunkt/stoppunkt/server/publicurl"
)

// onInterfaces makes the instance believe it runs, listening on every
// address, on a machine with these interfaces (it listens on loopback;
// nothing is sent anywhere: the browser only reads the link).
func onInterfaces(ifaces ...publicurl.Interface) func(*instance.Config) {
	return func(c *instance.Config) {
		c.Server.LAN = publicurl.Finder{Listen: ":8080", Interfaces: func() ([]publicurl.Interface, error) { return ifaces, nil }}.Addrs
	}
}

var (
	loopbackIface = publicurl.Interface{Name: "lo", Up: true, Loopback: true, Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}
	dockerIface   = publicurl.Interface{Name: "docker0", Up: true, Addrs: []netip.Addr{netip.MustParseAddr("172.17.0.1")}}
	wifiIface     = publicurl.Interface{Name: "wlan0", Up: true, Addrs: []netip.Addr{netip.MustParseAddr("192.168.1.23")}}
)

// joinWarning is the dashboard's warning that phones cannot join, or ""
// when none is shown.
const joinWarning = `(() => { const w = document.querySelector('#join-warning'); return w && !w.hidden && w.offsetParent !== null ? w.innerText : ''; })()`

// TestDashboardWarnsWhenPhonesCannotJoin: on a machine with loopback and
// a container bridge only, the join link stays on this machine, and the
// dashboard says in the facilitator's language that phones cannot open it
// and what to do; with the venue's Wi-Fi or a public URL there is no
// warning, and the dashboard's join link is the Wi-Fi address.
func TestDashboardWarnsWhenPhonesCannotJoin(t *testing.T) {
	startBrowser(t)
	alone := server(t, map[string]string{"web-session": sessionPlan}, onInterfaces(loopbackIface, dockerIface))
	room := instancetest.CreateRoom(t, alone, "web-session")
	dash := newPage(t, "dashboard", laptopW, laptopH)
	dash.open(room.FacilitatorURL)
	dash.wait("warning", joinWarning+` !== ''`)
	host := strings.TrimPrefix(alone.URL(), "http://")
	want := map[string][]string{
		"en": {"Phones cannot open the join link.", host, "--public-url", "Wi-Fi"},
		"nb": {"Telefonene kan ikke åpne lenken", host, "--public-url", "trådløse nettet"},
		"da": {"Telefonerne kan ikke åbne linket", host, "--public-url", "trådløse net"},
	}
	for _, lang := range []string{"en", "nb", "da"} {
		chooseLanguage(dash, lang)
		got := dash.str(joinWarning)
		for _, w := range want[lang] {
			if !strings.Contains(got, w) {
				t.Errorf("%s: the warning %q lacks %q", lang, got, w)
			}
		}
	}
	if role := dash.str(`document.querySelector('#join-warning').getAttribute('role')`); role != "status" {
		t.Errorf("the warning has role %q, want status", role)
	}

	for name, modify := range map[string]func(*instance.Config){
		"LAN address": onInterfaces(loopbackIface, dockerIface, wifiIface),
		"public URL":  func(c *instance.Config) { c.Server.PublicURL = "https://kurs.kommune.no" },
	} {
		in := server(t, map[string]string{"web-session": sessionPlan}, modify)
		r := instancetest.CreateRoom(t, in, "web-session")
		p := newPage(t, "dashboard-"+slug(name), laptopW, laptopH)
		p.open(in.URL() + "/f/" + r.Room + "#key=" + r.Key)
		p.wait("dashboard live", `document.querySelector('#conn-state').classList.contains('ok')`)
		// The welcome came before the state: the warning would be drawn by now.
		p.wait("room drawn", fmt.Sprintf(`document.querySelector('#room-code').textContent === %q`, r.Code))
		if got := p.str(joinWarning); got != "" {
			t.Errorf("%s: the dashboard warns although phones can join: %q", name, got)
		}
		if name == "LAN address" {
			p.wait("the join link on the Wi-Fi address", `document.querySelector('#join-link').value.startsWith('http://192.168.1.23:')`)
		}
	}
}
