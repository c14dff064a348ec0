package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// overviewClient is the organizer's live overview of a conference event,
// connected to one instance for the whole run, as the organizer's screen
// would be. The server sends the whole picture (overview) once per
// connection and then only the rooms that changed (overview_changes); the
// client applies them as the overview page does. It keeps every frame's
// arrival time and size, the latest picture, and for every room the
// moments its step changed in the overview (from whole pictures and
// changes alike), so that the time from a facilitator's command to the
// overview showing it can be read afterwards on the machine's one clock.
// It reconnects when the server closes it, and counts why.
type overviewClient struct {
	url, event, key, local string

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	ws       *websocket.Conn
	frames   []ovFrame
	changes  map[string][]ovChange // by room id
	latest   *ovView               // the whole picture, with every change applied
	index    map[string]int        // room id -> index in latest.Rooms
	changed  chan struct{}         // closed and replaced on every drawing
	connects int
	errs     map[string]int
}

type ovFrame struct {
	at   time.Time
	size int
}

// ovChange is the moment the overview first showed a room at a step.
type ovChange struct {
	at   time.Time
	step int
}

// ovView is the part of an overview frame loadgen reads.
type ovView struct {
	Event        string   `json:"event"`
	Closed       bool     `json:"closed"`
	Participants int      `json:"participants"`
	Rooms        []ovRoom `json:"rooms"`
}

type ovRoom struct {
	Room         string `json:"room"`
	Loaded       bool   `json:"loaded"`
	Participants int    `json:"participants"`
	Facilitators int    `json:"facilitators"`
	Step         int    `json:"step"`
	Ended        bool   `json:"ended"`
}

// dialOverview connects as the event's organizer from local and keeps the
// overview open until close.
func dialOverview(ctx context.Context, wsURL, event, key, local string) (*overviewClient, error) {
	o := &overviewClient{url: wsURL, event: event, key: key, local: local, done: make(chan struct{}),
		changes: map[string][]ovChange{}, changed: make(chan struct{}), errs: map[string]int{}}
	o.ctx, o.cancel = context.WithCancel(context.Background())
	ws, err := o.connect(ctx)
	if err != nil {
		o.cancel()
		return nil, err
	}
	go o.run(ws)
	return o, nil
}

// connect dials and says hello as the organizer; it returns once the
// welcome has come.
func (o *overviewClient) connect(ctx context.Context) (*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: 15 * time.Second,
		NetDialContext: (&net.Dialer{Timeout: 15 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(o.local)}}).DialContext}
	ws, resp, err := d.DialContext(ctx, o.url, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("overview: dial %s: %w", o.url, err)
	}
	ws.SetReadLimit(64 << 20)
	hello, err := wire.Encode(wire.Out{Type: wire.TypeHello, Data: wire.Hello{Protocol: wire.Version, Role: wire.RoleOrganizer, Event: o.event, Key: o.key}})
	if err != nil {
		ws.Close()
		return nil, fmt.Errorf("overview: encode hello: %w", err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, hello); err != nil {
		ws.Close()
		return nil, fmt.Errorf("overview: hello: %w", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			ws.Close()
			return nil, fmt.Errorf("overview: waiting for welcome: %w", err)
		}
		env, err := parseEnvelope(b)
		if err != nil {
			continue
		}
		if env.Type == wire.TypeError {
			ws.Close()
			return nil, fmt.Errorf("overview: %w", decodeError(env.Data))
		}
		if env.Type == wire.TypeWelcome {
			break
		}
	}
	_ = ws.SetReadDeadline(time.Time{})
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.ctx.Err(); err != nil {
		// close has run meanwhile and will not see this connection.
		ws.Close()
		return nil, fmt.Errorf("overview: %w", err)
	}
	o.ws = ws
	o.connects++
	return ws, nil
}

// run reads frames, and reconnects after the server closed the overview,
// until close.
func (o *overviewClient) run(ws *websocket.Conn) {
	defer close(o.done)
	backoff := 100 * time.Millisecond
	for {
		err := o.readLoop(ws)
		_ = ws.Close()
		if o.ctx.Err() != nil {
			return
		}
		o.count("overview_close:" + closeCode(err))
		for {
			sleepCtx(o.ctx, backoff/2+rand.N(backoff/2+1))
			if o.ctx.Err() != nil {
				return
			}
			var cerr error
			if ws, cerr = o.connect(o.ctx); cerr == nil {
				break
			}
			o.count("overview_reconnect_failed")
			backoff = min(backoff*2, 5*time.Second)
		}
		backoff = 100 * time.Millisecond
	}
}

func (o *overviewClient) readLoop(ws *websocket.Conn) error {
	for {
		_, r, err := ws.NextReader()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		o.onFrame(b, time.Now())
	}
}

// onFrame records one frame: a whole picture replaces the latest, changes
// are applied to it, and either is compared with what the overview showed
// before, room by room.
func (o *overviewClient) onFrame(b []byte, at time.Time) {
	env, err := parseEnvelope(b)
	if err != nil {
		o.count("overview_bad_frame")
		return
	}
	switch env.Type {
	case wire.TypeOverview, wire.TypeOverviewChanges:
	case wire.TypeError:
		o.count("overview_error:" + string(decodeError(env.Data).Code))
		return
	default:
		return
	}
	var v ovView
	if err := json.Unmarshal(env.Data, &v); err != nil {
		o.count("overview_bad_frame")
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.frames = append(o.frames, ovFrame{at: at, size: len(b)})
	if env.Type == wire.TypeOverview {
		o.latest = &v
		o.index = make(map[string]int, len(v.Rooms))
		for i, rm := range v.Rooms {
			o.index[rm.Room] = i
		}
	} else if !o.applyChanges(&v) {
		return
	}
	for _, rm := range v.Rooms {
		if !rm.Loaded {
			continue
		}
		ch := o.changes[rm.Room]
		if len(ch) == 0 || ch[len(ch)-1].step != rm.Step {
			o.changes[rm.Room] = append(ch, ovChange{at: at, step: rm.Step})
		}
	}
	close(o.changed)
	o.changed = make(chan struct{})
}

// applyChanges applies an overview_changes frame to the latest picture:
// the event's fields, and every room it lists, replaced whole. It reports
// false for changes that came before any picture (a protocol error).
// Called with mu held.
func (o *overviewClient) applyChanges(v *ovView) bool {
	if o.latest == nil {
		o.errs["overview_changes_before_picture"]++
		return false
	}
	o.latest.Event, o.latest.Closed, o.latest.Participants = v.Event, v.Closed, v.Participants
	for _, rm := range v.Rooms {
		i, ok := o.index[rm.Room]
		if !ok {
			o.errs["overview_changes_unknown_room"]++
			continue
		}
		o.latest.Rooms[i] = rm
	}
	return true
}

func (o *overviewClient) count(key string) {
	o.mu.Lock()
	o.errs[key]++
	o.mu.Unlock()
}

// waitFor blocks until cond holds for the latest picture, ctx ends, or
// timeout passes; it reports whether cond held. cond must not keep v,
// which later changes are applied to.
func (o *overviewClient) waitFor(ctx context.Context, timeout time.Duration, cond func(v *ovView) bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		o.mu.Lock()
		v, ch := o.latest, o.changed
		ok := v != nil && cond(v)
		o.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// errorCounts returns the overview's closes and bad frames by kind.
func (o *overviewClient) errorCounts() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]int, len(o.errs))
	for k, v := range o.errs {
		out[k] = v
	}
	return out
}

// close ends the overview for good.
func (o *overviewClient) close() {
	o.mu.Lock()
	o.cancel()
	ws := o.ws
	o.mu.Unlock()
	if ws != nil {
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = ws.Close()
	}
	<-o.done
}

// lagOf is how long after sent the overview first showed the room at step
// or past it (a room may pass a step between two drawings). ok is false if
// it never did; skipped is true if it first showed a later step.
func (o *overviewClient) lagOf(room string, step int, sent time.Time) (lag time.Duration, skipped, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, c := range o.changes[room] {
		if c.step >= step {
			return c.at.Sub(sent), c.step > step, true
		}
	}
	return 0, false, false
}

// traffic sums the frames that arrived in [from, to).
func (o *overviewClient) traffic(from, to time.Time) (frames int, bytes int64, sizes []int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, f := range o.frames {
		if f.at.Before(from) || !f.at.Before(to) {
			continue
		}
		frames++
		bytes += int64(f.size)
		sizes = append(sizes, f.size)
	}
	slices.Sort(sizes)
	return frames, bytes, sizes
}

// OverviewReport is what the organizer's overview cost and how current it
// was.
type OverviewReport struct {
	// Seconds is the measured span: from the first facilitator command to
	// the end of the rooms' plans.
	Seconds      float64 `json:"seconds"`
	Frames       int     `json:"frames"`
	FramesPerSec float64 `json:"frames_per_s"`
	BytesPerSec  float64 `json:"bytes_per_s"`
	SizeP50      int     `json:"frame_bytes_p50"`
	SizeMax      int     `json:"frame_bytes_max"`
	// Lag is, per facilitator "next", the time from sending it until the
	// overview first showed the room at the new step.
	Lag LatencySummary `json:"lag"`
	// Skipped counts steps the overview never showed because the room had
	// moved past them between two drawings; their lag is to the later step.
	Skipped int `json:"skipped,omitempty"`
	// Unseen counts steps the overview never showed, nor any later one.
	Unseen   int `json:"unseen,omitempty"`
	Connects int `json:"connects"`
}

// print writes the overview's figures as a table.
func (ov *OverviewReport) print(tw io.Writer) {
	if ov == nil {
		return
	}
	fmt.Fprintf(tw, "\noverview (organizer)\tframes\tframes/s\tKB/s\tframe KB p50\tframe KB max\tconnects\n")
	fmt.Fprintf(tw, "%.0f s\t%d\t%.2f\t%.1f\t%.1f\t%.1f\t%d\n", ov.Seconds, ov.Frames, ov.FramesPerSec, ov.BytesPerSec/1024,
		float64(ov.SizeP50)/1024, float64(ov.SizeMax)/1024, ov.Connects)
	printLatencies(tw, "overview lag (next sent → overview shows the step)", map[string]LatencySummary{"next": ov.Lag})
	if ov.Skipped > 0 || ov.Unseen > 0 {
		fmt.Fprintf(tw, "steps passed between two drawings\t%d\nsteps never shown\t%d\n", ov.Skipped, ov.Unseen)
	}
}
