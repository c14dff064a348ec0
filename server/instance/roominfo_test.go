package instance_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/hub"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// TestRoomInfo: the facilitator key reads where its room stands (for the
// list of one's rooms on /new), other keys and unknown rooms do not, and
// an ended or deleted room says so.
func TestRoomInfo(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 60*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	url := in.URL() + "/api/rooms/" + r.Room
	read := func() map[string]any {
		t.Helper()
		code, body, hdr := authed(t, "GET", url, r.Key)
		if code != 200 || hdr.Get("Cache-Control") != "no-store" {
			t.Fatalf("room info: %d %s", code, body)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := read()
	if got["room"] != r.Room || got["code"] != r.Code || got["plan"] != "test-plan" || got["ended"] != false || got["participants"] != 0.0 {
		t.Fatalf("room info %v", got)
	}
	if _, err := time.Parse(time.RFC3339, got["created_at"].(string)); err != nil {
		t.Errorf("created_at: %v", err)
	}
	for _, key := range []string{"", "wrong", hub.PresenterKey(r.Key)} {
		if code, body, _ := authed(t, "GET", url, key); code != 401 {
			t.Errorf("key %q: %d %s", key, code, body)
		}
	}
	if code, _, _ := authed(t, "GET", in.URL()+"/api/rooms/aaaaaaaaaaaaaaaaaaaa", r.Key); code != 404 {
		t.Errorf("unknown room: %d", code)
	}

	it.Participant(t, r.Code, in)
	fac := it.Facilitator(t, r, in)
	deadline := time.Now().Add(10 * time.Second)
	for read()["participants"] != 1.0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := read()["participants"]; got != 1.0 {
		t.Errorf("participants %v", got)
	}
	if _, err := fac.Command(ctx, "end", nil); err != nil {
		t.Fatal(err)
	}
	if got := read(); got["ended"] != true {
		t.Errorf("after end: %v", got)
	}
	if code, _, _ := authed(t, "DELETE", url, r.Key); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, _, _ := authed(t, "GET", url, r.Key); code != 404 {
		t.Errorf("after delete: %d", code)
	}
}
