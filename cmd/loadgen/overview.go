package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
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
	c      *wsclient.Conn
	cancel context.CancelFunc // ends Run's waits between reconnects
	done   chan struct{}

	mu       sync.Mutex
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
	o := &overviewClient{done: make(chan struct{}),
		changes: map[string][]ovChange{}, changed: make(chan struct{}), errs: map[string]int{}}
	cfg := &wsclient.Config{URLs: []string{wsURL}, ReadLimit: 64 << 20, Reconnect: true,
		Hello: wire.Hello{Protocol: wire.Version, Role: wire.RoleOrganizer, Event: event, Key: key}}
	o.c = wsclient.New(cfg, (*overviewEvents)(o), wsclient.Params{LocalAddr: local})
	if err := o.c.Connect(ctx); err != nil {
		return nil, fmt.Errorf("overview: %w", err)
	}
	run, cancel := context.WithCancel(context.Background())
	o.cancel = cancel
	go func() {
		defer close(o.done)
		o.c.Run(run)
	}()
	return o, nil
}

// overviewEvents is the overview as its connection's Handler: it
// reconnects when the server closes it, and counts why.
type overviewEvents overviewClient

func (e *overviewEvents) Connected(*wire.Welcome, bool, time.Duration) {
	o := (*overviewClient)(e)
	o.mu.Lock()
	o.connects++
	o.mu.Unlock()
}

func (e *overviewEvents) Frame(env wsclient.Envelope, at time.Time) {
	(*overviewClient)(e).onFrame(env, at)
}

func (e *overviewEvents) Lost(err error, _ bool) {
	(*overviewClient)(e).count("overview_close:" + closeName(err))
}

func (e *overviewEvents) Failed(error) {
	o := (*overviewClient)(e)
	o.mu.Lock()
	if o.connects > 0 {
		o.errs["overview_reconnect_failed"]++
	}
	o.mu.Unlock()
}

// onFrame records one frame: a whole picture replaces the latest, changes
// are applied to it, and either is compared with what the overview showed
// before, room by room.
func (o *overviewClient) onFrame(env wsclient.Envelope, at time.Time) {
	if env.Type == "" {
		o.count("overview_bad_frame")
		return
	}
	switch env.Type {
	case wire.TypeOverview, wire.TypeOverviewChanges:
	case wire.TypeError:
		o.count("overview_error:" + string(wsclient.DecodeError(env.Data).Code))
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
	o.frames = append(o.frames, ovFrame{at: at, size: env.Size})
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
	o.c.Close()
	o.cancel()
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
