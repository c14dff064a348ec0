package webtest

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/stoppunkt/stoppunkt/server/instance"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// withLAN makes the instance believe its machine has this LAN address
// (nothing is sent to it: the browser only reads the link).
func withLAN(addr string) func(*instance.Config) {
	return func(c *instance.Config) {
		c.Server.LAN = func() []netip.Addr { return []netip.Addr{netip.MustParseAddr(addr)} }
	}
}

// joinWarning is the dashboard's warning that phones cannot join, or ""
// when none is shown.
const joinWarning = `(() => { const w = document.querySelector('#join-warning'); return w && !w.hidden && w.offsetParent !== null ? w.innerText : ''; })()`

// TestDashboardWarnsWhenPhonesCannotJoin: a server that knows no address
// of its machine but loopback gives a join link on localhost, and the
// dashboard says in the facilitator's language that phones cannot open it
// and what to do; with a LAN address or a public URL there is no warning.
func TestDashboardWarnsWhenPhonesCannotJoin(t *testing.T) {
	startBrowser(t)
	alone := server(t, map[string]string{"web-session": sessionPlan})
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
		"LAN address": withLAN("192.168.1.23"),
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
	}
}
