package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// facilitator is a room's facilitator connection, driven by the
// coordinator. It keeps what the dashboard shows that a script needs (the
// step, the timer, progress, the queue) and nothing else, so that a big
// room's roster frames cost it nothing but the read.
type facilitator struct {
	c *wsclient.Conn

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every state change
	waiting  map[string]chan envelopeCopy
	nextID   int
	steps    int
	step     facStep
	timer    facTimer
	progress struct{ Step, Answered, Participants int }
	items    []facItem
	// lastSeqOf is the newest seq seen per frame type; a command's event
	// is the newest frame of its primary type before the ack.
	lastSeqOf map[string]uint64
	errs      map[string]int
	closed    error
}

type facStep struct {
	Index    int  `json:"index"`
	Open     bool `json:"open"`
	Revealed bool `json:"revealed"`
	Content  struct {
		Kind     string `json:"kind"`
		Duration int    `json:"duration"`
	} `json:"content"`
}

type facTimer struct {
	Step    int  `json:"step"`
	Running bool `json:"running"`
	Expired bool `json:"expired"`
}

type facItem struct {
	ID     string `json:"id"`
	Step   int    `json:"step"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
}

type envelopeCopy struct {
	Type string
	Seq  uint64
	Data []byte
}

// dialFacilitator connects as the room's facilitator from local.
func dialFacilitator(ctx context.Context, wsURL, roomID, key, local string) (*facilitator, error) {
	f := &facilitator{changed: make(chan struct{}), waiting: map[string]chan envelopeCopy{},
		lastSeqOf: map[string]uint64{}, errs: map[string]int{}}
	cfg := &wsclient.Config{URLs: []string{wsURL}, ReadLimit: 64 << 20,
		Hello: wire.Hello{Protocol: wire.Version, Role: wire.RoleFacilitator, Room: roomID, Key: key}}
	f.c = wsclient.New(cfg, (*facilitatorEvents)(f), wsclient.Params{LocalAddr: local})
	if err := f.c.Connect(ctx); err != nil {
		return nil, fmt.Errorf("facilitator: %w", err)
	}
	go f.c.Run(context.Background())
	// The snapshot follows the welcome: wait for it so the script knows
	// the plan's length and the current step.
	if err := f.waitFor(ctx, func() bool { return f.steps > 0 }); err != nil {
		f.close()
		return nil, fmt.Errorf("facilitator: no snapshot: %w", err)
	}
	return f, nil
}

// facilitatorEvents is the facilitator as its connection's Handler.
type facilitatorEvents facilitator

func (e *facilitatorEvents) Connected(*wire.Welcome, bool, time.Duration) {}
func (e *facilitatorEvents) Failed(error)                                 {}

func (e *facilitatorEvents) Frame(env wsclient.Envelope, _ time.Time) {
	if env.Type != "" {
		(*facilitator)(e).onFrame(env)
	}
}

// Lost ends the commands waiting for an answer: the facilitator does not
// reconnect.
func (e *facilitatorEvents) Lost(err error, _ bool) {
	f := (*facilitator)(e)
	f.mu.Lock()
	f.closed = err
	for id, ch := range f.waiting {
		close(ch)
		delete(f.waiting, id)
	}
	f.signal()
	f.mu.Unlock()
}

// onFrame updates the script's view.
func (f *facilitator) onFrame(env wsclient.Envelope) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if env.Seq > f.lastSeqOf[env.Type] {
		f.lastSeqOf[env.Type] = env.Seq
	}
	switch env.Type {
	case wire.TypeAck, wire.TypeError:
		if ch := f.waiting[env.ID]; ch != nil {
			delete(f.waiting, env.ID)
			ch <- envelopeCopy{Type: env.Type, Seq: env.Seq, Data: append([]byte(nil), env.Data...)}
		} else if env.Type == wire.TypeError {
			f.errs[string(wsclient.DecodeError(env.Data).Code)]++
		}
	case wire.TypeSnapshot:
		var s struct {
			Room struct {
				Steps int `json:"steps"`
			} `json:"room"`
			Step  facStep   `json:"step"`
			Timer facTimer  `json:"timer"`
			Queue []facItem `json:"queue"`
		}
		if json.Unmarshal(env.Data, &s) == nil {
			f.steps, f.step, f.timer, f.items = s.Room.Steps, s.Step, s.Timer, s.Queue
		}
	case wire.TypeStep:
		_ = json.Unmarshal(env.Data, &f.step)
	case wire.TypeTimerView:
		_ = json.Unmarshal(env.Data, &f.timer)
	case wire.TypeProgress:
		_ = json.Unmarshal(env.Data, &f.progress)
	case wire.TypeItem:
		var it facItem
		if json.Unmarshal(env.Data, &it) == nil {
			f.upsertItem(it)
		}
	case wire.TypeRoom:
		var r struct {
			Steps int `json:"steps"`
		}
		if json.Unmarshal(env.Data, &r) == nil && r.Steps > 0 {
			f.steps = r.Steps
		}
	}
	f.signal()
}

func (f *facilitator) upsertItem(it facItem) {
	for i := range f.items {
		if f.items[i].ID == it.ID {
			f.items[i] = it
			return
		}
	}
	f.items = append(f.items, it)
}

// signal wakes waitFor callers. Called with mu held.
func (f *facilitator) signal() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// waitFor blocks until cond (called with mu held) is true.
func (f *facilitator) waitFor(ctx context.Context, cond func() bool) error {
	for {
		f.mu.Lock()
		ok, closed, ch := cond(), f.closed, f.changed
		f.mu.Unlock()
		if ok {
			return nil
		}
		if closed != nil {
			return fmt.Errorf("facilitator connection lost: %w", closed)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// commandTypes is, per command, the frame types its event sends to
// participants; the first is the one every phone must get.
var commandTypes = map[string][]string{
	"next": {"step", "timer", "results"}, "back": {"step", "timer", "results"}, "goto": {"step", "timer", "results"},
	"open": {"step", "results"}, "close": {"step", "results"}, "reveal": {"step", "results"}, "hide": {"step", "results"},
	"timer": {"timer"}, "show": {"screen"}, "end": {"step", "room", "timer"}, "lock": {"room"}, "unlock": {"room"},
}

// command sends a command and waits for its ack. It returns when the
// command was sent and the room sequence of the event it caused: the newest
// frame of the command's primary type that arrived before the ack (the
// server queues an event's frames before the command's ack), or the ack's
// own seq if there was none.
func (f *facilitator) command(ctx context.Context, typ string, data any) (sent time.Time, seq uint64, err error) {
	f.mu.Lock()
	if f.closed != nil {
		f.mu.Unlock()
		return time.Time{}, 0, fmt.Errorf("facilitator connection lost: %w", f.closed)
	}
	f.nextID++
	id := "f" + strconv.Itoa(f.nextID)
	ch := make(chan envelopeCopy, 1)
	f.waiting[id] = ch
	primary := ""
	if ts := commandTypes[typ]; len(ts) > 0 {
		primary = ts[0]
	}
	before := f.lastSeqOf[primary]
	f.mu.Unlock()
	frame, err := wire.Encode(wire.Out{Type: typ, ID: id, Data: data})
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("encode %s: %w", typ, err)
	}
	sent = time.Now()
	if err := f.c.Write(frame); err != nil {
		return sent, 0, fmt.Errorf("send %s: %w", typ, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return sent, 0, errors.New("facilitator connection lost")
		}
		if r.Type == wire.TypeError {
			return sent, 0, wsclient.DecodeError(r.Data)
		}
		var a wire.Ack
		_ = json.Unmarshal(r.Data, &a)
		f.mu.Lock()
		after := f.lastSeqOf[primary]
		f.mu.Unlock()
		if after > before {
			return sent, after, nil
		}
		return sent, a.Seq, nil
	case <-ctx.Done():
		f.mu.Lock()
		delete(f.waiting, id)
		f.mu.Unlock()
		return sent, 0, fmt.Errorf("%s: %w", typ, ctx.Err())
	}
}

// lost returns why the connection ended, or nil while it is up.
func (f *facilitator) lost() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// view returns the script's view.
func (f *facilitator) view() (steps int, step facStep, timer facTimer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.steps, f.step, f.timer
}

// pendingItem returns a queue item of the kind, for step, still pending.
func (f *facilitator) pendingItem(kinds ...string) (facItem, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, it := range f.items {
		if it.Status != "pending" {
			continue
		}
		for _, k := range kinds {
			if it.Kind == k {
				return it, true
			}
		}
	}
	return facItem{}, false
}

// errorCounts returns error frames that answered nothing this script sent.
func (f *facilitator) errorCounts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, v := range f.errs {
		out[k] = v
	}
	return out
}

// close says goodbye and closes the connection.
func (f *facilitator) close() { f.c.Close() }

// asWireError returns err's protocol error, if it is one.
func asWireError(err error) *wire.Error {
	var we *wire.Error
	if errors.As(err, &we) {
		return we
	}
	return nil
}
