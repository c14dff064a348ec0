// Package instancetest starts real NATS servers and Stoppunkt instances for
// tests: an embedded nats-server on a free loopback port with a temporary
// store, and instances on port 0 against it.
package instancetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/natsembed"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
)

// NATS starts an embedded NATS server with JetStream listening on a free
// loopback port, shut down when the test ends.
func NATS(t testing.TB) *natsembed.Server {
	t.Helper()
	ns, err := natsembed.Start(natsembed.Options{Dir: t.TempDir(), Listen: "127.0.0.1:-1", ServerName: "test"})
	if err != nil {
		t.Fatalf("start nats: %v", err)
	}
	t.Cleanup(ns.Shutdown)
	return ns
}

// TestPlan is a small plan covering the common step kinds, in YAML.
var TestPlan = `id: test-plan
title: Test plan
language: en
duration: 10m
audience: Tests
description: A plan for tests.
steps:
  - kind: info
    title: Welcome
    body: Hello *there*.
    notes: Only the facilitator sees this.
  - kind: poll
    title: Is the duty triggered?
    duration: 1m
    options: ["Yes", "No", "Unsure"]
  - kind: scale
    title: How sure are you?
    min_label: Not at all
    max_label: Very
  - kind: open
    title: What would you do?
    max_length: 200
  - kind: wordcloud
    title: One word
    max_words: 2
  - kind: info
    title: Thanks
  - kind: breakout
    title: Talk together
    duration: 2m
    group_size: 4
    prompts: ["What would you do first?"]
  - kind: actions
    title: What do we change?
  - kind: plenary
    title: Together
  - kind: info
    title: A long read
    body: |
      ` + longBody + `
`

// longBody is a paragraph of about 9,000 characters, for tests that need
// big frames.
var longBody = strings.Repeat("This paragraph is long on purpose. ", 250)

// Options tune Start.
type Options struct {
	// Modify changes the configuration before the instance starts.
	Modify func(*instance.Config)
	// Log receives the instance's log (default: discarded).
	Log io.Writer
}

// Start starts an instance on a free loopback port against natsURL, with
// TestPlan available; it is shut down when the test ends.
func Start(t testing.TB, natsURL string, opts ...Options) *instance.Instance {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "test-plan.yaml"), []byte(TestPlan), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := instance.Config{
		Addr: "127.0.0.1:0", NATSURL: natsURL, PlansDir: dir, Name: "test-" + filepath.Base(dir),
		Retention: time.Hour, DrainTimeout: 5 * time.Second,
	}
	cfg.Hub.MessageRate, cfg.Hub.MessageBurst = 1000, 2000
	cfg.Hub.JoinRate, cfg.Hub.JoinBurst = 1000, 10000
	cfg.Hub.FailureRate, cfg.Hub.FailureBurst = 1000, 1000
	cfg.Hub.FlushInterval = 20 * time.Millisecond
	if o.Modify != nil {
		o.Modify(&cfg)
	}
	w := o.Log
	if w == nil {
		w = io.Discard
	}
	in, err := instance.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatalf("start instance: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = in.Shutdown(ctx)
	})
	return in
}

// Room is a created room as the REST API returned it.
type Room struct {
	Room           string `json:"room"`
	Code           string `json:"code"`
	Key            string `json:"key"`
	JoinURL        string `json:"join_url"`
	FacilitatorURL string `json:"facilitator_url"`
}

// CreateRoom creates a room from a plan through the REST API.
func CreateRoom(t testing.TB, in *instance.Instance, planID string) Room {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"plan": planID})
	resp, err := http.Post(in.URL()+"/api/rooms", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("create room: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("create room: %s: %s", resp.Status, b)
	}
	var r Room
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

// WS is an instance's websocket URL.
func WS(in *instance.Instance) string {
	return "ws" + strings.TrimPrefix(in.URL(), "http") + "/ws"
}

// Participant joins a room as a participant who keeps frames and
// reconnects by itself over the given instances.
func Participant(t testing.TB, code string, ins ...*instance.Instance) *wsclient.Phone {
	t.Helper()
	return Dial(t, wire.Hello{Role: wire.RoleParticipant, Code: code}, ins...)
}

// Facilitator connects as the room's facilitator.
func Facilitator(t testing.TB, r Room, ins ...*instance.Instance) *wsclient.Phone {
	t.Helper()
	return Dial(t, wire.Hello{Role: wire.RoleFacilitator, Room: r.Room, Key: r.Key}, ins...)
}

// Dial connects a Phone with the hello to the instances, closed at the end.
func Dial(t testing.TB, hello wire.Hello, ins ...*instance.Instance) *wsclient.Phone {
	t.Helper()
	urls := make([]string, len(ins))
	for i, in := range ins {
		urls[i] = WS(in)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: urls, Hello: hello, Reconnect: true, KeepFrames: true})
	if err != nil {
		t.Fatalf("dial %s: %v", hello.Role, err)
	}
	t.Cleanup(p.Close)
	return p
}

// Ctx is a context that ends with the test or after d.
func Ctx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Cluster starts n embedded NATS servers with JetStream, routed to each
// other as one cluster, and returns them with a comma-separated URL list
// of all of them. They are shut down when the test ends.
func Cluster(t testing.TB, n int) ([]*natsembed.Server, string) {
	t.Helper()
	ports := make([]string, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().String()
		l.Close()
	}
	servers := make([]*natsembed.Server, n)
	var urls []string
	for i := range servers {
		var routes []string
		for j, p := range ports {
			if j != i {
				routes = append(routes, "nats://"+p)
			}
		}
		ns, err := natsembed.Start(natsembed.Options{
			Dir: t.TempDir(), Listen: "127.0.0.1:-1", ServerName: fmt.Sprintf("node-%d", i+1),
			ClusterName: "test-cluster", ClusterListen: ports[i], Routes: routes,
		})
		if err != nil {
			t.Fatalf("start nats node %d: %v", i+1, err)
		}
		t.Cleanup(ns.Shutdown)
		servers[i] = ns
		urls = append(urls, ns.ClientURL())
	}
	return servers, strings.Join(urls, ",")
}
