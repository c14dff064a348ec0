package hub

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/room"
)

// gatedLog records appends; the first one waits until the test opens
// the gate, as a slow fsync would.
type gatedLog struct {
	Log
	gate    chan struct{}
	entered chan struct{}

	mu     sync.Mutex
	events [][]byte
	msgIDs []string
}

func (l *gatedLog) Append(ctx context.Context, _ string, control bool, data []byte, msgID string, _ uint64) (uint64, bool, error) {
	if control {
		return 0, false, fmt.Errorf("input appended as control")
	}
	l.mu.Lock()
	first := len(l.events) == 0
	l.events = append(l.events, data)
	l.msgIDs = append(l.msgIDs, msgID)
	pos := uint64(len(l.events))
	l.mu.Unlock()
	if first {
		close(l.entered)
		select {
		case <-l.gate:
		case <-ctx.Done():
			return 0, false, ctx.Err()
		}
	}
	return pos, false, nil
}

// Input that queues behind an append under way goes out as one batch, in
// the order it arrived, and every caller learns the batch's position. The
// first input, with nothing under way, goes alone with its message id.
func TestInputQueuedBehindAnAppendGoesAsOneBatch(t *testing.T) {
	lg := &gatedLog{gate: make(chan struct{}), entered: make(chan struct{})}
	h := &Hub{cfg: Config{}.withDefaults(), log: lg, metrics: NewMetrics(nil), logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r := &runner{hub: h, id: "room1"}
	r.inputs = &inputBatch{hub: h, roomID: r.id}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	vote := func(i int) *room.Event {
		return &room.Event{Type: room.EvAnswer, At: 1, PID: fmt.Sprintf("p%d", i), ID: "v", Answer: &room.AnswerValue{Step: 1, Choices: []int{0}}}
	}
	type result struct {
		i   int
		pos uint64
		err error
	}
	results := make(chan result, 20)
	go func() {
		pos, _, err := h.appendInput(ctx, r, vote(0), "m0")
		results <- result{0, pos, err}
	}()
	<-lg.entered
	// Queue ten more, one after the other, while the first is under way.
	for i := 1; i <= 10; i++ {
		go func() {
			pos, _, err := h.appendInput(ctx, r, vote(i), fmt.Sprintf("m%d", i))
			results <- result{i, pos, err}
		}()
		for {
			r.inputs.mu.Lock()
			n := len(r.inputs.queue)
			r.inputs.mu.Unlock()
			if n == i {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	close(lg.gate)
	pos := map[int]uint64{}
	for range 11 {
		res := <-results
		if res.err != nil {
			t.Fatalf("input %d: %v", res.i, res.err)
		}
		pos[res.i] = res.pos
	}
	lg.mu.Lock()
	events, msgIDs := lg.events, lg.msgIDs
	lg.mu.Unlock()
	if len(events) != 2 {
		t.Fatalf("want 2 appends (one alone, one batch), got %d", len(lg.events))
	}
	if msgIDs[0] != "m0" || msgIDs[1] != "" || pos[0] != 1 {
		t.Fatalf("first append: msg ids %q, position %d", msgIDs, pos[0])
	}
	batch, err := room.DecodeEvent(events[1])
	if err != nil || batch.Type != room.EvBatch || len(batch.Batch) != 10 {
		t.Fatalf("second append is not a batch of 10: %v %s", err, events[1])
	}
	for i, ev := range batch.Batch {
		if ev.PID != fmt.Sprintf("p%d", i+1) {
			t.Fatalf("batch out of order at %d: %s", i, ev.PID)
		}
		if pos[i+1] != 2 {
			t.Fatalf("input %d got position %d, want the batch's 2", i+1, pos[i+1])
		}
	}
	// The appender ends once the queue is empty.
	for {
		r.inputs.mu.Lock()
		running := r.inputs.running
		r.inputs.mu.Unlock()
		if !running {
			return
		}
		if ctx.Err() != nil {
			t.Fatal("the appender still runs with nothing queued")
		}
		time.Sleep(time.Millisecond)
	}
}
