package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

func noEnv(string) string { return "" }

func TestHelpListsEverySettingWithItsEnv(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"--help"}, noEnv, &out, &out)
	if err == nil || exitCode(err) != 0 {
		t.Fatalf("--help: %v (exit %d)", err, exitCode(err))
	}
	s := newSettings(&bytes.Buffer{})
	registerSettings(s)
	for _, st := range s.list {
		if !strings.Contains(out.String(), "--"+st.name) || !strings.Contains(out.String(), st.env) {
			t.Errorf("--help lacks --%s or %s", st.name, st.env)
		}
	}
	for _, required := range []string{"--addr", "STOPPUNKT_ADDR", "--data", "STOPPUNKT_DATA", "--nats-url", "STOPPUNKT_NATS_URL", "--public-url", "STOPPUNKT_PUBLIC_URL", "--allowed-origins"} {
		if !strings.Contains(out.String(), required) {
			t.Errorf("--help lacks %s", required)
		}
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, noEnv, &out, &out); err != nil || !strings.HasPrefix(out.String(), "stoppunkt ") {
		t.Fatalf("--version: %q %v", out.String(), err)
	}
}

func TestInvalidConfigNamesTheSetting(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--addr", "nonsense"}, nil, "--addr"},
		{[]string{"--retention", "forever"}, nil, "--retention"},
		{nil, map[string]string{"STOPPUNKT_RETENTION": "1s"}, "--retention"},
		{[]string{"--public-url", "ftp://x"}, nil, "--public-url"},
		{[]string{"--allowed-origins", "nope"}, nil, "--allowed-origins"},
		{[]string{"--nats-replicas", "3"}, nil, "--nats-replicas"},
		{[]string{"--log-format", "xml"}, nil, "--log-format"},
		{[]string{"--access-code", "short"}, nil, "--access-code"},
		{[]string{"--tls-cert", "a.pem"}, nil, "--tls-cert"},
		{[]string{"--pprof-addr", "0.0.0.0:6060"}, nil, "--pprof-addr"},
		{[]string{"--join-rate", "-1"}, nil, "--join-rate"},
		{[]string{"--release-idle-memory", "soon"}, nil, "--release-idle-memory"},
		{nil, map[string]string{"STOPPUNKT_RELEASE_IDLE_MEMORY": "-1m"}, "--release-idle-memory"},
		{[]string{"--nats-creds", "main_test.go"}, nil, "--nats-creds"},
		{[]string{"--nats-url", "nats://127.0.0.1:4222", "--nats-ca", "no-such-ca.pem"}, nil, "--nats-ca"},
		{[]string{"--nats-url", "nats://127.0.0.1:4222", "--nats-cert", "main_test.go"}, nil, "--nats-cert"},
		{[]string{"--time-zone", "Mars/Olympus_Mons"}, nil, "--time-zone"},
		{nil, map[string]string{"STOPPUNKT_TIME_ZONE": "Local"}, "--time-zone"},
		{[]string{"stray"}, nil, "stray"},
	}
	for _, tt := range tests {
		getenv := func(k string) string { return tt.env[k] }
		var out bytes.Buffer
		err := run(context.Background(), tt.args, getenv, &out, &out)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v %v: want an error naming %s, got %v", tt.args, tt.env, tt.want, err)
		}
	}
}

// TestTimeZoneSetting: reports are dated in Europe/Oslo unless the
// setting names another zone, which reaches the server's configuration.
func TestTimeZoneSetting(t *testing.T) {
	for env, want := range map[string]string{"": "Europe/Oslo", "Europe/Copenhagen": "Europe/Copenhagen", "UTC": "UTC"} {
		s := newSettings(&bytes.Buffer{})
		o := registerSettings(s)
		if err := s.parse(nil, func(k string) string { return map[string]string{"STOPPUNKT_TIME_ZONE": env}[k] }); err != nil {
			t.Fatal(err)
		}
		cfg, err := o.config()
		if err != nil {
			t.Fatalf("time zone %q: %v", env, err)
		}
		if cfg.Server.TimeZone == nil || cfg.Server.TimeZone.String() != want {
			t.Errorf("STOPPUNKT_TIME_ZONE=%q: the server gets %v, want %s", env, cfg.Server.TimeZone, want)
		}
	}
}

func TestFlagBeatsEnvironment(t *testing.T) {
	s := newSettings(&bytes.Buffer{})
	o := registerSettings(s)
	env := map[string]string{"STOPPUNKT_ADDR": ":9999", "STOPPUNKT_DATA": "/env/data"}
	if err := s.parse([]string{"--addr", ":7777"}, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if *o.addr != ":7777" || *o.data != "/env/data" {
		t.Fatalf("addr %q data %q", *o.addr, *o.data)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// start runs the server in the background and waits until it is healthy.
func start(t *testing.T, addr, data string) (stop func() error, out *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--data", data, "--log-format", "json"}, noEnv, out, out)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not become ready: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return func() error { cancel(); return <-done }, out
}

func TestRunServesDrainsAndKeepsData(t *testing.T) {
	addr, data := freeAddr(t), t.TempDir()
	stop, out := start(t, addr, data)
	var hc bytes.Buffer
	if err := run(context.Background(), []string{"healthcheck"}, func(k string) string {
		if k == "STOPPUNKT_ADDR" {
			return addr
		}
		return ""
	}, &hc, &hc); err != nil || hc.String() != "ok\n" {
		t.Fatalf("healthcheck: %q %v", hc.String(), err)
	}
	// Listening on loopback only, the start message says phones cannot
	// join and how to let them.
	for _, want := range []string{"Start a session: http://" + addr + "/new\n",
		"Phones join at http://" + addr + ", which only this machine can open.", "--addr :"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("start message lacks %q: %s", want, out.String())
		}
	}
	resp, err := http.Post("http://"+addr+"/api/rooms", "application/json", strings.NewReader(`{"plan":"avvergingsplikten-45"}`))
	if err != nil {
		t.Fatal(err)
	}
	var room struct{ Code, Key, Room string }
	_ = json.NewDecoder(resp.Body).Decode(&room)
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	phone, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: []string{"ws://" + addr + "/ws"}, Hello: wire.Hello{Role: wire.RoleParticipant, Code: room.Code}, KeepFrames: true})
	if err != nil {
		t.Fatal(err)
	}
	defer phone.Close()
	token := phone.Welcome().Token
	// SIGTERM (here: ctx cancelled) tells phones to reconnect elsewhere.
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for phone.CloseCode() != 1012 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if phone.CloseCode() != 1012 {
		t.Fatalf("want close 1012 on shutdown, got %d", phone.CloseCode())
	}
	// The room survives a restart on the same data folder.
	stop, _ = start(t, addr, data)
	defer stop()
	again, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: []string{"ws://" + addr + "/ws"}, Hello: wire.Hello{Role: wire.RoleParticipant, Code: room.Code, Token: token}})
	if err != nil {
		t.Fatalf("rejoin after restart: %v", err)
	}
	defer again.Close()
	if again.Welcome().Participant != phone.Welcome().Participant {
		t.Fatal("token did not resume the same participant after restart")
	}
	// Logs hold no codes, keys or tokens.
	for _, secret := range []string{room.Key, token} {
		if strings.Contains(out.String(), secret) {
			t.Fatal("a secret reached the log")
		}
	}
}
