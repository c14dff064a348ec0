package instance_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, url, body string, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthReadyMetrics(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	if code, _ := get(t, in.URL()+"/healthz"); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	if code, body := get(t, in.URL()+"/readyz"); code != 200 || !strings.Contains(body, "ready") {
		t.Fatalf("readyz %d %s", code, body)
	}
	// Uptime checks and load balancers ask with HEAD: the same status, no body.
	for _, path := range []string{"/healthz", "/readyz", "/", "/j/ABC234", "/static/js/phone.js"} {
		resp, err := http.Head(in.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(b) != 0 {
			t.Fatalf("HEAD %s: %d with %d bytes", path, resp.StatusCode, len(b))
		}
	}
	r := it.CreateRoom(t, in, "test-plan")
	it.Participant(t, r.Code, in)
	code, body := get(t, in.URL()+"/metrics")
	if code != 200 {
		t.Fatalf("metrics %d", code)
	}
	for _, name := range []string{
		"stoppunkt_connections", "stoppunkt_rooms_active", "stoppunkt_participants",
		"stoppunkt_messages_in_total", "stoppunkt_messages_out_total", "stoppunkt_fanout_latency_seconds",
		"stoppunkt_slow_disconnects_total", "stoppunkt_nats_reconnects_total", "stoppunkt_jetstream_publish_errors_total",
	} {
		if !strings.Contains(body, name) {
			t.Errorf("metrics lack %s", name)
		}
	}
	if strings.Contains(body, r.Code) || strings.Contains(body, r.Key) {
		t.Fatal("metrics contain a code or key")
	}
}

func TestRoomCreationErrors(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	for _, tt := range []struct {
		body string
		code int
		want string
	}{
		{`{"plan":"no-such-plan"}`, 404, `"not_found"`},
		{`{"plan":`, 400, `"bad_json"`},
		{`{"plan":"test-plan","extra":1}`, 400, `"bad_json"`},
		{`{"plan":"test-plan","max_participants":-1}`, 400, `"invalid"`},
		{`{"plan":"test-plan"}`, 201, `"code"`},
	} {
		code, body := post(t, in.URL()+"/api/rooms", tt.body, nil)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s: got %d %s", tt.body, code, body)
		}
	}
}

func TestWhoMayCreateRooms(t *testing.T) {
	ns := it.NATS(t)
	// Behind a trusted proxy, a remote client needs the access code.
	open := it.Start(t, ns.ClientURL(), it.Options{Modify: func(c *instance.Config) { c.Server.TrustedProxies = []string{"127.0.0.1"} }})
	remote := map[string]string{"X-Forwarded-For": "203.0.113.7"}
	if code, body := post(t, open.URL()+"/api/rooms", `{"plan":"test-plan"}`, remote); code != 401 {
		t.Fatalf("remote create without access code: %d %s", code, body)
	}
	if code, _ := post(t, open.URL()+"/api/rooms", `{"plan":"test-plan"}`, nil); code != 201 {
		t.Fatalf("local create: %d", code)
	}
	// Without trusted proxies a forwarded request never counts as local:
	// a proxy on the same machine must not open room creation to all.
	plain := it.Start(t, ns.ClientURL())
	if code, _ := post(t, plain.URL()+"/api/rooms", `{"plan":"test-plan"}`, map[string]string{"X-Forwarded-For": "127.0.0.1"}); code != 401 {
		t.Fatalf("a forwarded request counted as local: %d", code)
	}
	coded := it.Start(t, ns.ClientURL(), it.Options{Modify: func(c *instance.Config) { c.Server.AccessCode = "organizer-secret-1" }})
	if code, _ := post(t, coded.URL()+"/api/rooms", `{"plan":"test-plan"}`, nil); code != 401 {
		t.Fatalf("create without the access code: %d", code)
	}
	if code, _ := post(t, coded.URL()+"/api/rooms", `{"plan":"test-plan"}`, map[string]string{"Authorization": "Bearer wrong"}); code != 401 {
		t.Fatalf("create with a wrong access code: %d", code)
	}
	if code, _ := post(t, coded.URL()+"/api/rooms", `{"plan":"test-plan"}`, map[string]string{"Authorization": "Bearer organizer-secret-1"}); code != 201 {
		t.Fatalf("create with the access code: %d", code)
	}
}

func TestWebsocketOriginCheck(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL(), it.Options{Modify: func(c *instance.Config) {
		c.Server.AllowedOrigins = []string{"https://allowed.example"}
	}})
	dial := func(origin string) int {
		hdr := http.Header{}
		if origin != "" {
			hdr.Set("Origin", origin)
		}
		ws, resp, err := websocket.DefaultDialer.Dial(it.WS(in), hdr)
		if err == nil {
			ws.Close()
			return 101
		}
		if resp == nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	if got := dial("https://evil.example"); got != 403 {
		t.Fatalf("foreign origin: %d", got)
	}
	if got := dial("https://allowed.example"); got != 101 {
		t.Fatalf("allowed origin: %d", got)
	}
	if got := dial(strings.Replace(in.URL(), "127.0.0.1", "127.0.0.1", 1)); got != 101 {
		t.Fatalf("own origin: %d", got)
	}
	if got := dial(""); got != 101 {
		t.Fatalf("no origin (not a browser): %d", got)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
