package instance_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub"
	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// TestObserverAndSafeguarding: an observer sees the dashboard but not the
// "I need to talk" signals; the safeguarding part sees those too; neither
// may act.
func TestObserverAndSafeguarding(t *testing.T) {
	ins, _ := ssoCluster(t, 1)
	in := ins[0]
	kari, ola, siv := newBrowser(t), newBrowser(t), newBrowser(t)
	kari.signInSSO(in, "kari")
	ola.signInSSO(in, "ola")
	siv.signInSSO(in, "siv")
	kari.me(in)
	r := createRoomAs(t, kari, in, "test-plan")
	for who, part := range map[string]string{"ola@skole.example": "observer", "siv@skole.example": "safeguarding"} {
		if code, body := kari.call("POST", in.URL()+"/api/rooms/"+r.Room+"/members", map[string]string{"email": who, "part": part}, true); code != http.StatusNoContent {
			t.Fatalf("share with %s: %d %s", who, code, body)
		}
	}
	// Only the owner shares.
	ola.me(in)
	if code, _ := ola.call("POST", in.URL()+"/api/rooms/"+r.Room+"/members", map[string]string{"email": "siv@skole.example", "part": "cofacilitator"}, true); code != http.StatusForbidden {
		t.Fatalf("an observer shares: %d", code)
	}
	if _, body := kari.call("GET", in.URL()+"/api/my/rooms", nil, false); !strings.Contains(string(body), `"part":"safeguarding"`) || !strings.Contains(string(body), "ola@skole.example") {
		t.Fatalf("my rooms does not say whom the room is shared with: %s", body)
	}
	obs := dialWithCookie(t, in, ola.cookie(in), wire.Hello{Role: wire.RoleFacilitator, Room: r.Room})
	care := dialWithCookie(t, in, siv.cookie(in), wire.Hello{Role: wire.RoleFacilitator, Room: r.Room})
	if obs.err != nil || care.err != nil || obs.welcome.Access != wire.AccessObserver || care.welcome.Access != wire.AccessSafeguarding {
		t.Fatalf("welcomes: %+v %v / %+v %v", obs.welcome, obs.err, care.welcome, care.err)
	}
	ctx := instancetest.Ctx(t, 15*time.Second)
	if _, err := care.phone.Command(ctx, wire.TypeEnd, nil); wire.AsError(err).Code != wire.CodeNotAllowed {
		t.Fatalf("safeguarding ends the room: %v", err)
	}
	phone := instancetest.Participant(t, r.Code, in)
	const message = "I would like to talk about something"
	if _, err := phone.Submit(ctx, wire.TypeTalk, "t1", map[string]any{"message": message}); err != nil {
		t.Fatal(err)
	}
	if _, err := care.phone.Wait(ctx, func(f wsclient.Frame) bool { return f.Type == wire.TypeSignal }); err != nil {
		t.Fatalf("safeguarding does not get the signal: %v", err)
	}
	// The observer, connected before and after, never sees it.
	late := dialWithCookie(t, in, ola.cookie(in), wire.Hello{Role: wire.RoleFacilitator, Room: r.Room})
	time.Sleep(200 * time.Millisecond)
	for _, p := range []*wsclient.Phone{obs.phone, late.phone} {
		for _, f := range p.Frames() {
			if f.Type == wire.TypeSignal || strings.Contains(string(f.Data), message) {
				t.Fatalf("an observer got a %s frame with the signal: %s", f.Type, f.Data)
			}
		}
	}
	// A late safeguarding connection gets it in its snapshot.
	late2 := dialWithCookie(t, in, siv.cookie(in), wire.Hello{Role: wire.RoleFacilitator, Room: r.Room})
	if _, err := late2.phone.Wait(ctx, func(f wsclient.Frame) bool {
		return f.Type == wire.TypeSnapshot && strings.Contains(string(f.Data), message)
	}); err != nil {
		t.Fatalf("safeguarding's snapshot lacks the signal: %v", err)
	}
}

// TestEventOwnerBySession: the owner of a conference event opens its
// overview and sheet by their session, without the organizer key; another
// account cannot.
func TestEventOwnerBySession(t *testing.T) {
	ins, _ := ssoCluster(t, 2)
	a, b := ins[0], ins[1]
	kari, ola := newBrowser(t), newBrowser(t)
	kari.signInSSO(a, "kari")
	ola.signInSSO(a, "ola")
	kari.me(a)
	code, body := kari.call("POST", a.URL()+"/api/events", map[string]any{"plan": "test-plan", "name": "Fagdag", "rooms": 2}, true)
	if code != http.StatusCreated {
		t.Fatalf("event: %d %s", code, body)
	}
	var ev struct{ Event string }
	_ = json.Unmarshal(body, &ev)
	if code, body := kari.call("GET", b.URL()+"/api/events/"+ev.Event, nil, false); code != 200 || !strings.Contains(string(body), "facilitator_url") {
		t.Fatalf("sheet by session on B: %d %.200s", code, body)
	}
	if code, _ := ola.call("GET", b.URL()+"/api/events/"+ev.Event, nil, false); code != http.StatusUnauthorized {
		t.Fatalf("another account reads the sheet: %d", code)
	}
	org := dialWithCookie(t, b, kari.cookie(b), wire.Hello{Role: wire.RoleOrganizer, Event: ev.Event})
	if org.err != nil || org.welcome.Role != wire.RoleOrganizer {
		t.Fatalf("organizer by session: %+v %v", org.welcome, org.err)
	}
	if o := dialWithCookie(t, b, ola.cookie(b), wire.Hello{Role: wire.RoleOrganizer, Event: ev.Event}); o.err == nil {
		t.Fatal("another account opened the overview")
	}
	if _, body := kari.call("GET", a.URL()+"/api/my/rooms", nil, false); !strings.Contains(string(body), `"kind":"event"`) || !strings.Contains(string(body), "Fagdag") {
		t.Fatalf("my rooms lacks the event: %s", body)
	}
}

// TestOrganisationSettings: an administrator's help lines and shorter
// retention go into the rooms created afterwards; bad values and
// non-administrators are refused.
func TestOrganisationSettings(t *testing.T) {
	ns := instancetest.NATS(t)
	in := instancetest.Start(t, ns.ClientURL(), instancetest.Options{Modify: func(c *instance.Config) {
		c.Retention = 30 * 24 * time.Hour
		c.Hub.HelpCard.Lines = []string{"Serverens linje: 11 11 11 11"}
	}})
	admin := newBrowser(t)
	admin.call("POST", in.URL()+"/api/auth/setup", map[string]string{"email": "admin@example.org", "name": "Admin", "password": "long enough password"}, false)
	admin.me(in)
	code, body := admin.call("GET", in.URL()+"/api/admin/settings", nil, false)
	if code != 200 || !strings.Contains(string(body), `"server_retention_hours":720`) || !strings.Contains(string(body), "Serverens linje") {
		t.Fatalf("settings: %d %s", code, body)
	}
	for _, bad := range []map[string]any{
		{"name": "X", "help_lines": []string{}, "retention_hours": 721},
		{"name": "X", "help_lines": []string{strings.Repeat("x", 201)}, "retention_hours": 0},
		{"name": "X", "help_lines": []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}, "retention_hours": 0},
		{"name": strings.Repeat("n", 121), "help_lines": []string{}, "retention_hours": 0},
	} {
		if code, body := admin.call("PUT", in.URL()+"/api/admin/settings", bad, true); code != http.StatusBadRequest && code != http.StatusRequestEntityTooLarge {
			t.Errorf("bad settings %v: %d %s", bad, code, body)
		}
	}
	good := map[string]any{"name": "Eksempel kommune", "help_lines": []string{"Bedriftshelsetjenesten: 22 00 00 00", ""}, "retention_hours": 48}
	if code, body := admin.call("PUT", in.URL()+"/api/admin/settings", good, true); code != http.StatusNoContent {
		t.Fatalf("save: %d %s", code, body)
	}
	if _, body := newBrowser(t).call("GET", in.URL()+"/api/auth/me", nil, false); !strings.Contains(string(body), `"org":"Eksempel kommune"`) {
		t.Errorf("me lacks the organisation's name: %s", body)
	}
	r := createRoomAs(t, admin, in, "avvergingsplikten-45")
	var help []string
	var expires int64
	err := in.Hub().WithRoom(hub.Granted(context.Background(), r.Room), r.Room, "", func(st *room.State) {
		expires = st.ExpiresAt
		for _, s := range st.Plan.Steps {
			if s.Kind == plan.KindClosing {
				help = s.Help
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(help) < 2 || help[0] != "Bedriftshelsetjenesten: 22 00 00 00" || help[1] != "Serverens linje: 11 11 11 11" {
		t.Errorf("help card: %q, want the organisation's line, then the server's", help)
	}
	if d := time.Until(time.UnixMilli(expires)); d < 47*time.Hour || d > 49*time.Hour {
		t.Errorf("room kept for %v, want 48h", d)
	}
	// A facilitator may not change them.
	code, body = admin.call("POST", in.URL()+"/api/admin/invites", map[string]string{"email": "f@example.org", "role": "facilitator"}, true)
	var inv struct{ URL string }
	_ = json.Unmarshal(body, &inv)
	_, token, _ := strings.Cut(inv.URL, "#invite=")
	f := newBrowser(t)
	f.call("POST", in.URL()+"/api/auth/invite", map[string]string{"token": token, "name": "F", "password": "long enough password"}, false)
	f.me(in)
	if code, _ := f.call("PUT", in.URL()+"/api/admin/settings", good, true); code != http.StatusForbidden {
		t.Errorf("a facilitator changes the settings: %d", code)
	}
}
