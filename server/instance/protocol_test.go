package instance_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// rawConn is a bare websocket for tests of the protocol's edges.
type rawConn struct {
	t  *testing.T
	ws *websocket.Conn
}

func dialRaw(t *testing.T, in *instance.Instance) *rawConn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(it.WS(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	return &rawConn{t: t, ws: ws}
}

func (c *rawConn) send(frame string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		c.t.Fatal(err)
	}
}

// next reads frames until one of the given types (skipping the others).
func (c *rawConn) next(types ...string) wsclient.Frame {
	c.t.Helper()
	for {
		var f wsclient.Frame
		if err := c.ws.ReadJSON(&f); err != nil {
			c.t.Fatalf("waiting for %v: %v", types, err)
		}
		for _, typ := range types {
			if f.Type == typ {
				return f
			}
		}
	}
}

func (c *rawConn) errorCode(frame string) wire.Code {
	c.t.Helper()
	c.send(frame)
	f := c.next(wire.TypeError, wire.TypePong, wire.TypeAck)
	if e := f.Error(); e != nil {
		return e.Code
	}
	return ""
}

// The findings of a client written from docs/protocol.md alone, each
// against a real server: a frame that is not an object, payloads on types
// that take none, a negative last_seq, a hello after a refused one.
func TestProtocolEdges(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	r := it.CreateRoom(t, in, "test-plan")

	c := dialRaw(t, in)
	for _, frame := range []string{`[{"type":"ping"}]`, `"ping"`, `7`} {
		if got := c.errorCode(frame); got != wire.CodeBadJSON {
			t.Errorf("%s: %q, want bad_json", frame, got)
		}
	}
	if got := c.errorCode(`{"type":"ping","id":"p1","data":{"x":1}}`); got != wire.CodeInvalid {
		t.Errorf("ping with data: %q, want invalid", got)
	}
	if got := c.errorCode(`{"type":"ping","id":"p2"}`); got != "" {
		t.Errorf("ping: %q, want a pong", got)
	}
	c.send(`{"type":"hello","data":{"protocol":1,"role":"participant","code":"JEPB7Z","last_seq":-5}}`)
	e := c.next(wire.TypeError).Error()
	if e == nil || e.Code != wire.CodeInvalid || e.Message != "field last_seq must be a whole number, 0 or more, not -5" {
		t.Errorf("last_seq -5: %+v", e)
	}
	// A refused hello leaves the connection open for another hello.
	c.send(`{"type":"hello","data":{"protocol":1,"role":"participant","code":"` + r.Code + `"}}`)
	if f := c.next(wire.TypeWelcome, wire.TypeError); f.Type != wire.TypeWelcome {
		t.Fatalf("a hello after a refused one: %s %s", f.Type, f.Data)
	}
	if got := c.errorCode(`{"type":"leave","id":"l1","data":{"now":true}}`); got != wire.CodeInvalid {
		t.Errorf("leave with data: %q, want invalid", got)
	}

	fac := dialRaw(t, in)
	fac.send(`{"type":"hello","data":{"protocol":1,"role":"facilitator","room":"` + r.Room + `","key":"` + r.Key + `"}}`)
	fac.next(wire.TypeWelcome)
	for _, typ := range []string{"lock", "unlock", "end"} {
		if got := fac.errorCode(`{"type":"` + typ + `","id":"c1","data":{"room":"x"}}`); got != wire.CodeInvalid {
			t.Errorf("%s with an extra field: %q, want invalid", typ, got)
		}
	}
	fac.send(`{"type":"lock","id":"c2"}`)
	first := fac.next(wire.TypeAck, wire.TypeError)
	fac.send(`{"type":"lock","id":"c3"}`)
	again := fac.next(wire.TypeAck, wire.TypeError)
	var a1, a2 wire.Ack
	if first.Type != wire.TypeAck || again.Type != wire.TypeAck || first.Decode(&a1) != nil || again.Decode(&a2) != nil {
		t.Fatalf("lock twice: %s %s, %s %s", first.Type, first.Data, again.Type, again.Data)
	}
	// A command that changes nothing appends no event: acknowledged at
	// the sequence the room already had.
	if a2.Seq != a1.Seq {
		t.Errorf("locking a locked room moved the room from seq %d to %d", a1.Seq, a2.Seq)
	}
}

// The flood rule, exactly as documented: +1 for every refused frame, -1
// for every accepted one while above 0, closed with 1008 when the count
// passes 50. With no refill during the test: 40 frames of burst are
// accepted, then 50 are refused with rate_limited, and the 51st refused
// frame closes the connection.
func TestFloodCloseCountsAsDocumented(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL(), it.Options{Modify: func(c *instance.Config) { c.Hub.MessageRate, c.Hub.MessageBurst = 0.001, 40 }})
	c := dialRaw(t, in)
	for range 200 {
		if c.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`)) != nil {
			break
		}
	}
	pongs, limited, closeCode := 0, 0, 0
	for {
		var f wsclient.Frame
		err := c.ws.ReadJSON(&f)
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				closeCode = ce.Code
			}
			break
		}
		switch {
		case f.Type == wire.TypePong:
			pongs++
		case f.Error() != nil && f.Error().Code == wire.CodeRateLimited:
			limited++
		}
	}
	if pongs != 40 || limited != 50 || closeCode != 1008 {
		t.Fatalf("flood: %d pongs, %d rate_limited, close %d; want 40, 50, 1008", pongs, limited, closeCode)
	}
}

// A websocket ping from the client is answered with a pong carrying the
// same data (RFC 6455 5.5.2), before and after the hello.
func TestClientPingGetsAPong(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	r := it.CreateRoom(t, in, "test-plan")
	c := dialRaw(t, in)
	got := make(chan string, 4)
	c.ws.SetPongHandler(func(data string) error { got <- data; return nil })
	go func() {
		for {
			if _, _, err := c.ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	ping := func(data string) {
		t.Helper()
		if err := c.ws.WriteControl(websocket.PingMessage, []byte(data), time.Now().Add(5*time.Second)); err != nil {
			t.Fatal(err)
		}
		select {
		case d := <-got:
			if d != data {
				t.Fatalf("pong data %q, want %q", d, data)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no pong to the ping %q", data)
		}
	}
	ping("before hello")
	hello, _ := json.Marshal(wire.Out{Type: wire.TypeHello, Data: wire.Hello{Protocol: 1, Role: wire.RoleParticipant, Code: r.Code}})
	c.send(string(hello))
	ping("")
	ping("after hello, a longer payload of up to 125 bytes: 0123456789 0123456789 0123456789")
}
