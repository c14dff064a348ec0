package instance_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// productionLimits sets the hub's default limits on joins and failed
// hellos (instancetest raises them for other tests).
func productionLimits(c *instance.Config) {
	c.Hub.JoinRate, c.Hub.JoinBurst = 0, 0
	c.Hub.FailureRate, c.Hub.FailureBurst = 0, 0
}

// dialHello connects once (no reconnects) and returns the phone or the
// hello's error code.
func dialHello(ctx context.Context, in *instance.Instance, hello wire.Hello) (*wsclient.Phone, wire.Code) {
	p, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: []string{it.WS(in)}, Hello: hello})
	if err != nil {
		if c := errCode(err); c != "" {
			return nil, c
		}
		return nil, wire.Code("dial: " + err.Error())
	}
	return p, ""
}

// wrongCodes sends n hellos with codes that belong to no room, from this
// machine's address, and returns how they were answered.
func wrongCodes(t *testing.T, in *instance.Instance, n int) map[wire.Code]int {
	t.Helper()
	counts := map[wire.Code]int{}
	var ws *websocket.Conn
	for i := range n {
		if i%30 == 0 { // stay under the per-connection message rate
			if ws != nil {
				ws.Close()
			}
			var err error
			if ws, _, err = websocket.DefaultDialer.Dial(it.WS(in), http.Header{}); err != nil {
				t.Fatal(err)
			}
		}
		counts[helloCode(t, ws, fmt.Sprintf("Z%05d", i))]++
	}
	ws.Close()
	return counts
}

// A school behind one address: 500 phones join one room within half a
// minute, 50 of them after typing a wrong code first, and 100 of them
// come back with their tokens. With the default limits every valid join
// and every resume succeeds.
func TestVenueBehindOneAddress(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL(), it.Options{Modify: productionLimits})
	r := it.CreateRoom(t, in, "test-plan")
	ctx := it.Ctx(t, 2*time.Minute)
	start := time.Now()

	// The mistyped codes come first, all at once, as people sit down.
	if counts := wrongCodes(t, in, 50); counts[wire.CodeNotFound] != 50 {
		t.Fatalf("50 mistyped codes: %v, want 50 not_found", counts)
	}

	const phones = 500
	var mu sync.Mutex
	refused := map[wire.Code]int{}
	tokens := make([]string, 0, phones)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for range phones {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			p, code := dialHello(ctx, in, wire.Hello{Role: wire.RoleParticipant, Code: r.Code})
			mu.Lock()
			defer mu.Unlock()
			if code != "" {
				refused[code]++
				return
			}
			tokens = append(tokens, p.Welcome().Token)
			p.Close()
		}()
	}
	wg.Wait()
	if len(refused) > 0 || len(tokens) != phones {
		t.Fatalf("%d of %d joins succeeded; refused: %v", len(tokens), phones, refused)
	}

	// 100 of them lose their connection and come back.
	for i, tok := range tokens[:100] {
		p, code := dialHello(ctx, in, wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Token: tok})
		if code != "" {
			t.Fatalf("resume %d: %s", i, code)
		}
		p.Close()
	}
	if took := time.Since(start); took > 30*time.Second {
		// Not a timing assertion on the server: the scenario is "within
		// half a minute", so the limits were exercised at that pace.
		t.Logf("the scenario took %v (longer than the half minute it models)", took)
	}
}

// Valid tokens and keys are never refused by the failed-hello limit, while
// joins by code alone and further failures are, whatever the code.
func TestValidSecretsPassTheFailureLimit(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL(), it.Options{Modify: productionLimits})
	r := it.CreateRoom(t, in, "test-plan")
	ev := createEvent(t, in, 1)
	ctx := it.Ctx(t, time.Minute)
	p, code := dialHello(ctx, in, wire.Hello{Role: wire.RoleParticipant, Code: r.Code})
	if code != "" {
		t.Fatal(code)
	}
	token := p.Welcome().Token
	p.Close()

	counts := wrongCodes(t, in, 200)
	if counts[wire.CodeRateLimited] < 100 {
		t.Fatalf("200 wrong codes from one address: %v, want most of them refused", counts)
	}

	allowed := map[string]wire.Hello{
		"resume with a token":     {Role: wire.RoleParticipant, Code: r.Code, Token: token},
		"resume without the code": {Role: wire.RoleParticipant, Token: token},
		"facilitator key":         {Role: wire.RoleFacilitator, Room: r.Room, Key: r.Key},
		"presenter":               {Role: wire.RolePresenter, Room: r.Room, Key: r.Key},
		"organizer key":           {Role: wire.RoleOrganizer, Event: ev.Event, Key: ev.Key},
	}
	for name, hello := range allowed {
		p, code := dialHello(ctx, in, hello)
		if code != "" {
			t.Errorf("%s while the address is limited: %s", name, code)
			continue
		}
		p.Close()
	}
	refusedNow := map[string]wire.Hello{
		"a new join with the valid code": {Role: wire.RoleParticipant, Code: r.Code},
		"an unknown token":               {Role: wire.RoleParticipant, Code: r.Code, Token: r.Room + ".aaaaaaaaaaaaaaaaaaaaaa"},
		"a wrong facilitator key":        {Role: wire.RoleFacilitator, Room: r.Room, Key: "wrong"},
	}
	for name, hello := range refusedNow {
		if _, code := dialHello(ctx, in, hello); code != wire.CodeRateLimited {
			t.Errorf("%s while the address is limited: %q, want rate_limited", name, code)
		}
	}
}

// A token is answered by what it is: not a token at all, unknown, or a
// valid one sent with the code of another room.
func TestTokenShapes(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	a := it.CreateRoom(t, in, "test-plan")
	b := it.CreateRoom(t, in, "test-plan")
	ctx := it.Ctx(t, time.Minute)
	p, code := dialHello(ctx, in, wire.Hello{Role: wire.RoleParticipant, Code: a.Code})
	if code != "" {
		t.Fatal(code)
	}
	token := p.Welcome().Token
	id := p.Welcome().Participant
	p.Close()
	cases := []struct {
		name string
		code string
		tok  string
		want wire.Code
	}{
		{"garbage", a.Code, "not-a-token", wire.CodeUnauthorized},
		{"a room id alone", a.Code, a.Room, wire.CodeUnauthorized},
		{"a short secret", a.Code, a.Room + ".abc", wire.CodeUnauthorized},
		{"unknown", a.Code, a.Room + ".aaaaaaaaaaaaaaaaaaaaaa", wire.CodeUnauthorized},
		{"the token with another room's code", b.Code, token, wire.CodeWrongRoom},
		{"the token without a code", "", token, ""},
		{"the token with its code", a.Code, token, ""},
	}
	for _, c := range cases {
		p, got := dialHello(ctx, in, wire.Hello{Role: wire.RoleParticipant, Code: c.code, Token: c.tok})
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		if p != nil {
			if p.Welcome().Participant != id {
				t.Errorf("%s: resumed as %s, want %s", c.name, p.Welcome().Participant, id)
			}
			p.Close()
		}
	}
}

// A join sent again with the same nonce (its welcome lost) gets the first
// join's participant and token; a room has one participant afterwards.
func TestJoinWithANonceIsIdempotent(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	r := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in)
	ctx := it.Ctx(t, time.Minute)
	nonce := "n0nce-Of-a-phone_123456789"
	first, code := dialHello(ctx, in, wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Nonce: nonce})
	if code != "" {
		t.Fatal(code)
	}
	first.Close()
	again, code := dialHello(ctx, in, wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Nonce: nonce})
	if code != "" {
		t.Fatal(code)
	}
	defer again.Close()
	w1, w2 := first.Welcome(), again.Welcome()
	if w1.Participant != w2.Participant || w1.Token == "" || w1.Token != w2.Token {
		t.Fatalf("the retried join: participant %s token %q, first %s %q", w2.Participant, w2.Token, w1.Participant, w1.Token)
	}
	other, code := dialHello(ctx, in, wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Nonce: "another-phone-nonce-0000001"})
	if code != "" {
		t.Fatal(code)
	}
	defer other.Close()
	if other.Welcome().Participant == w1.Participant {
		t.Fatal("another nonce joined as the same participant")
	}
	if _, err := fac.Wait(ctx, func(f wsclient.Frame) bool {
		var rv struct {
			Participants int `json:"participants"`
		}
		return f.Type == wire.TypeRoom && f.Decode(&rv) == nil && rv.Participants == 2
	}); err != nil {
		t.Fatalf("the room should count 2 participants: %v", err)
	}
	if _, code := dialHello(ctx, in, wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Nonce: "short"}); code != wire.CodeInvalid {
		t.Fatalf("a short nonce: %q, want invalid", code)
	}
	// Someone who left cannot come back with their nonce.
	leave(t, ctx, again)
	if _, err := fac.Wait(ctx, func(f wsclient.Frame) bool {
		var rv struct {
			Participants int `json:"participants"`
		}
		return f.Type == wire.TypeRoom && f.Decode(&rv) == nil && rv.Participants == 1
	}); err != nil {
		t.Fatalf("after the leave the room should count 1: %v", err)
	}
	if _, code := dialHello(ctx, in, wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Nonce: nonce}); code != wire.CodeRemoved {
		t.Fatalf("a nonce of someone who left: %q, want removed", code)
	}
}

// Joining and leaving over and over meets the room's limit of joins over
// its life, so that what the room keeps per participant stays bounded.
func TestJoinLeaveLoopMeetsTheJoinCap(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	code, body := post(t, in.URL()+"/api/rooms", `{"plan":"test-plan","max_participants":3}`, nil)
	if code != 201 {
		t.Fatal(body)
	}
	var r it.Room
	_ = jsonUnmarshal(body, &r)
	ctx := it.Ctx(t, time.Minute)
	joins := 0
	for i := range 10 {
		p, code := dialHello(ctx, in, wire.Hello{Role: wire.RoleParticipant, Code: r.Code})
		if code == wire.CodeFull {
			break
		}
		if code != "" {
			t.Fatalf("join %d: %s", i, code)
		}
		joins++
		leave(t, ctx, p)
		p.Close()
	}
	if joins != 6 {
		t.Fatalf("a room of 3 took %d joins over its life, want 6 (twice its cap)", joins)
	}
}

// leave sends leave and waits for the server to close the connection
// with 4001.
func leave(t *testing.T, ctx context.Context, p *wsclient.Phone) {
	t.Helper()
	if err := p.Send("leave", "l1", nil); err != nil {
		t.Fatalf("leave: %v", err)
	}
	for p.CloseCode() != 4001 {
		if ctx.Err() != nil {
			t.Fatalf("no close 4001 after leave (close code %d)", p.CloseCode())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
