package hub

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// Limits of one batch append. The room log refuses events over 1 MiB.
const (
	maxBatchEvents = 512
	maxBatchBytes  = 256 << 10
)

// inputBatch is group commit for a room's participant input (joins,
// answers, shared-text entries, submits) on this instance. Input that
// arrives while an append for the room is under way waits, and the next
// append carries all of it as one EvBatch: one round trip and one fsync
// for what would have been hundreds. Input that arrives when nothing is
// under way is appended at once, alone, so a quiet room waits for nothing.
// Each event stays idempotent inside a batch (room.Batchable), so the
// log's de-duplication by message id is not needed for them.
type inputBatch struct {
	hub    *Hub
	roomID string

	mu      sync.Mutex
	queue   []*pendingInput
	running bool // a goroutine is appending; it takes what queues meanwhile
}

// pendingInput is one event waiting for its append.
type pendingInput struct {
	typ   string
	data  []byte
	msgID string
	done  chan appendResult // buffered: the appender never waits for the caller
}

type appendResult struct {
	pos uint64
	dup bool
	err error
}

// appendInput appends a batchable event to the room's log through the
// room's group commit and returns its position; dup is true when the log
// recognised msgID from an earlier append of the same event.
func (h *Hub) appendInput(ctx context.Context, r *runner, ev *room.Event, msgID string) (uint64, bool, error) {
	data, err := ev.Encode()
	if err != nil {
		return 0, false, err
	}
	if len(data) > maxBatchBytes {
		return h.appendData(ctx, r.id, ev.Type, data, msgID, 0)
	}
	p := &pendingInput{typ: ev.Type, data: data, msgID: msgID, done: make(chan appendResult, 1)}
	b := r.inputs
	b.mu.Lock()
	b.queue = append(b.queue, p)
	if !b.running {
		b.running = true
		go b.run()
	}
	b.mu.Unlock()
	select {
	case res := <-p.done:
		return res.pos, res.dup, res.err
	case <-ctx.Done():
		// The append may still land; the event is idempotent, so a retry
		// with the same id is safe.
		return 0, false, wire.Errorf(wire.CodeUnavailable, "the server could not store this in time; try again")
	}
}

// run appends what is queued until the queue is empty.
func (b *inputBatch) run() {
	for {
		b.mu.Lock()
		take := b.next()
		if len(take) == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		res := b.append(take)
		for _, p := range take {
			p.done <- res
		}
	}
}

// next takes the longest prefix of the queue that fits one append. Called
// with mu held.
func (b *inputBatch) next() []*pendingInput {
	n, size := 0, 0
	for n < len(b.queue) && n < maxBatchEvents {
		size += len(b.queue[n].data) + 1
		if n > 0 && size > maxBatchBytes {
			break
		}
		n++
	}
	take := make([]*pendingInput, n)
	copy(take, b.queue)
	rest := copy(b.queue, b.queue[n:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
	return take
}

// append writes one event, or a batch of several, to the log.
func (b *inputBatch) append(take []*pendingInput) appendResult {
	h := b.hub
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.AppendTimeout)
	defer cancel()
	if len(take) == 1 {
		pos, dup, err := h.appendData(ctx, b.roomID, take[0].typ, take[0].data, take[0].msgID, 0)
		return appendResult{pos, dup, err}
	}
	events := make([][]byte, len(take))
	for i, p := range take {
		events[i] = p.data
	}
	h.metrics.BatchSize.Observe(float64(len(take)))
	pos, _, err := h.appendData(ctx, b.roomID, room.EvBatch, room.EncodeBatch(h.now(), events), "", 0)
	return appendResult{pos: pos, err: err}
}

// appendData writes encoded event data to the room's log, timing it and
// turning a storage failure into a retryable error for the client.
func (h *Hub) appendData(ctx context.Context, roomID, evType string, data []byte, msgID string, expect uint64) (uint64, bool, error) {
	start := time.Now()
	pos, dup, err := h.log.Append(ctx, roomID, room.Control(evType), data, msgID, expect)
	h.metrics.AppendLatency.Observe(time.Since(start).Seconds())
	switch {
	case errors.Is(err, ErrConflict):
		return 0, false, err
	case err != nil:
		h.metrics.AppendErrors.Inc()
		h.logger.Warn("append to room log failed", "room", roomID, "type", evType, "err", err)
		return 0, false, wire.Errorf(wire.CodeUnavailable, "the server cannot store this right now; try again")
	}
	return pos, dup, nil
}
