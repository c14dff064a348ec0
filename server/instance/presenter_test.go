package instance_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/hub"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// The big screen has a read-only key of its own: a leaked projector link
// shows the room and cannot control it, nor fetch its report, nor open
// the dashboard.
func TestPresenterKeyIsReadOnly(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, time.Minute)
	code, body := post(t, in.URL()+"/api/rooms", `{"plan":"test-plan"}`, nil)
	if code != 201 {
		t.Fatal(body)
	}
	var created struct {
		it.Room
		PresenterURL string `json:"presenter_url"`
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatal(err)
	}
	r := created.Room
	_, pkey, _ := strings.Cut(created.PresenterURL, "#key=")
	if pkey == "" || pkey == r.Key || pkey != hub.PresenterKey(r.Key) || strings.Contains(created.PresenterURL, r.Key) {
		t.Fatalf("presenter_url %s: want the read-only key, not the facilitator key", created.PresenterURL)
	}

	fac := it.Facilitator(t, r, in)
	if got := fac.Welcome().PresenterKey; got != pkey {
		t.Fatalf("the facilitator's welcome carries presenter key %q, want %q", got, pkey)
	}
	screen := it.Dial(t, wire.Hello{Role: wire.RolePresenter, Room: r.Room, Key: pkey}, in)
	if w := screen.Welcome(); w.PresenterKey != "" {
		t.Fatal("the big screen got a presenter key")
	}
	if _, code := dialHello(ctx, in, wire.Hello{Role: wire.RoleFacilitator, Room: r.Room, Key: pkey}); code != wire.CodeUnauthorized {
		t.Fatalf("the dashboard with the presenter key: %q, want unauthorized", code)
	}
	commands := map[string]any{
		wire.TypeNext: nil, wire.TypeBack: nil, wire.TypeGoto: map[string]int{"step": 2},
		wire.TypeOpen: nil, wire.TypeClose: nil, wire.TypeReveal: nil, wire.TypeHide: nil,
		wire.TypeTimer: map[string]string{"action": "start"}, wire.TypeLock: nil, wire.TypeUnlock: nil,
		wire.TypeRemove: map[string]string{"participant": "x"}, wire.TypeEnd: nil,
		wire.TypeGroups: nil, wire.TypeMove: map[string]any{"participant": "x", "group": 1},
		wire.TypeMerge: map[string]any{"groups": []int{1, 2}}, wire.TypeModerate: map[string]string{"item": "i1", "status": "approved"},
		wire.TypeShow: map[string]any{"items": []string{}}, wire.TypeCombine: map[string]any{"into": "i1", "from": []string{"i2"}},
		wire.TypeJoinPanel: map[string]string{"size": "small"},
	}
	for typ, data := range commands {
		if _, err := screen.Command(ctx, typ, data); wire.AsError(err).Code != wire.CodeNotAllowed {
			t.Errorf("%s from the big screen: %v, want not_allowed", typ, err)
		}
	}
	// The room did not move.
	if f, ok := screen.Last(wire.TypeStep); ok {
		var sv struct {
			Index int `json:"index"`
		}
		_ = f.Decode(&sv)
		if sv.Index != 0 {
			t.Fatalf("the room moved to step %d", sv.Index)
		}
	}
	if code, _, _ := authed(t, "GET", in.URL()+"/api/rooms/"+r.Room+"/report", pkey); code != 401 {
		t.Fatalf("the report with the presenter key: %d, want 401", code)
	}
	if code, _, _ := authed(t, "DELETE", in.URL()+"/api/rooms/"+r.Room, pkey); code != 401 {
		t.Fatalf("delete with the presenter key: %d, want 401", code)
	}
	// The facilitator key still opens the big screen too.
	it.Dial(t, wire.Hello{Role: wire.RolePresenter, Room: r.Room, Key: r.Key}, in)
}
