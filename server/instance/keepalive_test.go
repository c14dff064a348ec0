package instance_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// TestKeepAliveKeepsADashboardSignedIn: a sign-in used only by a
// dashboard's websocket would end as idle in the middle of a long session.
// The page asks /api/auth/me every keep_alive seconds (a third of the idle
// limit, here 3 s), which keeps it: after five idle limits the dashboard
// reconnects by its session. Without the asks it ends, and a reconnect is
// refused as unauthorized.
func TestKeepAliveKeepsADashboardSignedIn(t *testing.T) {
	const idle = 3 * time.Second
	ns := instancetest.NATS(t)
	in := instancetest.Start(t, ns.ClientURL(), instancetest.Options{Modify: func(c *instance.Config) {
		c.Accounts.SessionIdle = idle
	}})
	kept, dropped := newBrowser(t), newBrowser(t)
	code, body := kept.call("POST", in.URL()+"/api/auth/setup", map[string]string{"email": "kari@skole.example", "name": "Kari", "password": "long enough password"}, false)
	if code != 200 {
		t.Fatalf("setup: %d %s", code, body)
	}
	kept.me(in)
	r := createRoomAs(t, kept, in, "test-plan")
	// A second session of the same account, which nobody keeps alive.
	if code, body := dropped.call("POST", in.URL()+"/api/auth/signin", map[string]string{"email": "kari@skole.example", "password": "long enough password"}, false); code != 200 {
		t.Fatalf("second sign-in: %d %s", code, body)
	}

	var ka struct {
		KeepAlive int `json:"keep_alive"`
	}
	_, body = kept.call("GET", in.URL()+"/api/auth/me", nil, false)
	if err := json.Unmarshal(body, &ka); err != nil || ka.KeepAlive != 1 {
		t.Fatalf("keep_alive %d (%v), want 1 (a third of 3 s)", ka.KeepAlive, err)
	}
	hello := wire.Hello{Protocol: 1, Role: wire.RoleFacilitator, Room: r.Room}
	if d := dialWithCookie(t, in, kept.cookie(in), hello); d.err != nil {
		t.Fatalf("dashboard by session: %v", d.err)
	}
	until := time.Now().Add(5 * idle)
	for time.Now().Before(until) {
		time.Sleep(time.Duration(ka.KeepAlive) * time.Second)
		if m := kept.me(in); !m.SignedIn {
			t.Fatal("a sign-in kept alive by its page ended as idle")
		}
	}
	if d := dialWithCookie(t, in, kept.cookie(in), hello); d.err != nil {
		t.Fatalf("reconnect after %s kept alive: %v", 5*idle, d.err)
	}
	d := dialWithCookie(t, in, dropped.cookie(in), hello)
	if errCode(d.err) != wire.CodeUnauthorized {
		t.Fatalf("reconnect with a session idle for %s: %v, want unauthorized", 5*idle, d.err)
	}
	if m := dropped.me(in); m.SignedIn {
		t.Fatal("an idle sign-in is still signed in")
	}
}
