package instance_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/natslog"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// defaultLimits restores the production limits on failed attempts.
func defaultLimits(c *instance.Config) {
	c.Hub.FailureRate, c.Hub.FailureBurst = 0, 0
}

// helloCode sends one hello on a raw websocket and returns the error code
// of the answer ("" for a welcome).
func helloCode(t *testing.T, ws *websocket.Conn, code string) wire.Code {
	t.Helper()
	if err := ws.WriteJSON(wire.Out{Type: wire.TypeHello, Data: wire.Hello{Protocol: 1, Role: wire.RoleParticipant, Code: code}}); err != nil {
		t.Fatal(err)
	}
	var f wsclient.Frame
	if err := ws.ReadJSON(&f); err != nil {
		t.Fatal(err)
	}
	if e := f.Error(); e != nil {
		return e.Code
	}
	return ""
}

// Abuse 15: guessing join codes is blocked after the failures a venue may
// make (60, then one a second),
// the answers do not tell which codes exist, and a forged X-Forwarded-For
// does not get around it.
func TestGuessingJoinCodesIsBlocked(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL(), it.Options{Modify: defaultLimits})
	r := it.CreateRoom(t, in, "test-plan")
	counts := map[wire.Code]int{}
	var ws *websocket.Conn
	start := time.Now()
	for i := 0; i < 10000; i++ {
		if i%40 == 0 { // stay under the per-connection message rate
			if ws != nil {
				ws.Close()
			}
			hdr := http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i%250)}}
			var err error
			if ws, _, err = websocket.DefaultDialer.Dial(it.WS(in), hdr); err != nil {
				t.Fatal(err)
			}
		}
		counts[helloCode(t, ws, fmt.Sprintf("Z%05d", i))]++
	}
	// The valid code gets the same refusal as the guesses now.
	got := helloCode(t, ws, r.Code)
	ws.Close()
	// The burst, then one a second while the guesses went on.
	most := 60 + int(time.Since(start).Seconds()) + 2
	if counts[wire.CodeNotFound] > most || counts[wire.CodeNotFound]+counts[wire.CodeRateLimited] != 10000 {
		t.Fatalf("answers to 10,000 guesses: %v", counts)
	}
	if got != wire.CodeRateLimited {
		t.Fatalf("a valid code after the guesses: %q, want rate_limited", got)
	}
}

// Abuse 16: a flood of joins with a valid code meets the room's cap.
func TestJoinFloodMeetsTheCap(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	code, body := post(t, in.URL()+"/api/rooms", `{"plan":"test-plan","max_participants":5}`, nil)
	if code != 201 {
		t.Fatal(body)
	}
	var r it.Room
	_ = jsonUnmarshal(body, &r)
	ctx := it.Ctx(t, 30*time.Second)
	var mu sync.Mutex
	results := map[wire.Code]int{}
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: []string{it.WS(in)}, Hello: wire.Hello{Role: wire.RoleParticipant, Code: r.Code}})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				results[errCode(err)]++
				return
			}
			results[""]++
			t.Cleanup(p.Close)
		}()
	}
	wg.Wait()
	if results[""] != 5 || results[wire.CodeFull] != 35 {
		t.Fatalf("40 joins into a room of 5: %v", results)
	}
}

// Abuse 17: a phone sending 1,000 frames a second is throttled, then
// disconnected; the others are unaffected.
func TestMessageFloodIsThrottledThenCut(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL(), it.Options{Modify: func(c *instance.Config) { c.Hub.MessageRate, c.Hub.MessageBurst = 20, 40 }})
	ctx := it.Ctx(t, 30*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in)
	calm := it.Participant(t, r.Code, in)
	ws, _, err := websocket.DefaultDialer.Dial(it.WS(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if got := helloCode(t, ws, r.Code); got != "" {
		t.Fatal(got)
	}
	done := make(chan struct{})
	limited, closeCode := 0, 0
	go func() {
		defer close(done)
		for {
			var f wsclient.Frame
			if err := ws.ReadJSON(&f); err != nil {
				if ce, ok := err.(*websocket.CloseError); ok {
					closeCode = ce.Code
				}
				return
			}
			if e := f.Error(); e != nil && e.Code == wire.CodeRateLimited {
				limited++
			}
		}
	}()
	for i := 0; i < 1000; i++ {
		if ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`)) != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	<-done
	if limited == 0 || closeCode != 1008 {
		t.Fatalf("flood: %d rate_limited answers, close code %d", limited, closeCode)
	}
	command(t, ctx, fac, wire.TypeNext, nil)
	stepOf(t, ctx, calm, 1)
}

// Abuse 18 and privacy 20: neither the access log nor the application log
// of a whole session holds a key, token, nickname or text, even at debug
// level; the access log leaves out query strings.
func TestLogsHoldNoSecretsOrText(t *testing.T) {
	ns := it.NATS(t)
	var logs syncBuf
	in := it.Start(t, ns.ClientURL(), it.Options{Log: &logs})
	ctx := it.Ctx(t, 60*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in)
	nick := "Nickname-Kari-Secret"
	p := it.Dial(t, wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Nickname: nick}, in)
	command(t, ctx, fac, wire.TypeGoto, map[string]int{"step": 3})
	stepOf(t, ctx, p, 3)
	text := "A very private reflection about my colleague"
	if _, err := p.Submit(ctx, wire.TypeAnswer, "x1", map[string]any{"step": 3, "text": text}); err != nil {
		t.Fatal(err)
	}
	command(t, ctx, fac, wire.TypeGoto, map[string]int{"step": 6})
	if _, err := p.Submit(ctx, wire.TypeEntry, "e1", map[string]any{"step": 6, "entry": "a", "ver": 1, "text": "Shared secret text"}); err != nil {
		t.Fatal(err)
	}
	_ = p.SendRaw([]byte(`{"type":"answer","id":"bad","data":{"step":6,"text":"Malformed secret"`))
	get(t, in.URL()+"/api/plans?key=QuerySecret123&token="+p.Welcome().Token)
	authed(t, "GET", in.URL()+"/api/rooms/"+r.Room+"/report", r.Key)
	settle(t, func() bool { return strings.Contains(logs.String(), "/api/rooms/:room/report") }, "the access log")
	out := logs.String()
	if !strings.Contains(out, "http request") {
		t.Fatal("no access log at debug level; the test would prove nothing")
	}
	for _, secret := range []string{r.Key, p.Welcome().Token, nick, text, "Shared secret text", "Malformed secret", "QuerySecret123", r.Code} {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
}

// Privacy 19: deleting a room leaves nothing of it in JetStream: no
// events but a content-free tombstone, no join code, no room record.
func TestDeleteLeavesNothingInJetStream(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 30*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in)
	p := it.Dial(t, wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Nickname: "Ola"}, in)
	command(t, ctx, fac, wire.TypeGoto, map[string]int{"step": 3})
	stepOf(t, ctx, p, 3)
	if _, err := p.Submit(ctx, wire.TypeAnswer, "x", map[string]any{"step": 3, "text": "forget me"}); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := authed(t, "DELETE", in.URL()+"/api/rooms/"+r.Room, r.Key); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	stream, err := js.Stream(ctx, natslog.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter("stp.room."+r.Room+".>"))
	if err != nil {
		t.Fatal(err)
	}
	left := info.State.Subjects
	if left["stp.room."+r.Room+".i"] != 0 || left["stp.room."+r.Room+".c"] != 1 {
		t.Fatalf("events left after delete: %v", left)
	}
	last, err := stream.GetLastMsgForSubject(ctx, "stp.room."+r.Room+".c")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"forget me", "Ola", "test-plan", r.Code} {
		if bytes.Contains(last.Data, []byte(s)) {
			t.Fatalf("the tombstone holds %q: %s", s, last.Data)
		}
	}
	for bucket, key := range map[string]string{natslog.CodesBucket: r.Code, natslog.RoomsBucket: r.Room} {
		kv, err := js.KeyValue(ctx, bucket)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kv.Get(ctx, key); err == nil {
			t.Fatalf("%s still has %s", bucket, key)
		}
		hist, _ := kv.History(ctx, key)
		for _, e := range hist {
			if len(e.Value()) > 0 {
				t.Fatalf("%s history of %s still holds %q", bucket, key, e.Value())
			}
		}
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
