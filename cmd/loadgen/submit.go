package main

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// A phone's submissions (answers, entries, submits) must each take effect
// exactly once: each is kept with its id until acknowledged, resent with
// the same id after a reconnect or a retryable refusal, and its acks are
// counted so that a second effect would show.

// submission is one frame that must take effect exactly once.
type submission struct {
	typ     string
	frame   []byte
	step    int
	sent    time.Time
	acks    int // plain acks
	dupAcks int // acks marked duplicate (answers to a retry)
	done    bool
	answr   bool // an answer (counts for the room's answered tally)
}

// pendingFrames returns the unacknowledged submissions to resend. Called
// with mu held.
func (p *phone) pendingFrames() [][]byte {
	out := make([][]byte, 0, len(p.order))
	for _, id := range p.order {
		out = append(out, p.subs[id].frame)
	}
	return out
}

func (p *phone) onAck(env envelope, now time.Time) {
	if env.ID == "" {
		return
	}
	var a wire.Ack
	_ = json.Unmarshal(env.Data, &a)
	p.mu.Lock()
	s := p.subs[env.ID]
	if s == nil {
		p.mu.Unlock()
		p.w.count("unexpected_ack", 1)
		return
	}
	// After a retry, the first attempt's ack and the retry's ack (marked
	// duplicate) may both come; two plain acks would mean two effects.
	if a.Duplicate {
		s.dupAcks++
	} else {
		s.acks++
	}
	if s.acks+s.dupAcks > 1 {
		p.mu.Unlock()
		if s.acks > 1 {
			p.w.count("duplicate_ack", 1)
		} else {
			p.w.count("ack_after_retry", 1)
		}
		return
	}
	first := !s.done
	s.done = true
	p.forget(env.ID)
	if s.answr {
		p.answered[s.step] = true
	}
	p.checkDone()
	p.mu.Unlock()
	if first {
		p.w.hist(p.b.Label+" ack "+s.typ, now.Sub(s.sent))
		p.rt.burst(s.step, now.UnixNano(), true)
	}
}

func (p *phone) onError(env envelope) {
	e := decodeError(env.Data)
	p.mu.Lock()
	s := p.subs[env.ID]
	if s == nil {
		p.mu.Unlock()
		p.w.count("error:"+string(e.Code), 1)
		return
	}
	if s.done {
		// The submission was acknowledged, and then refused too.
		p.mu.Unlock()
		p.w.count("error_after_ack:"+string(e.Code), 1)
		return
	}
	if e.Retry {
		p.mu.Unlock()
		p.w.count("retry:"+string(e.Code), 1)
		time.AfterFunc(500*time.Millisecond, func() { p.resend(env.ID) })
		return
	}
	s.done = true
	p.forget(env.ID)
	p.checkDone()
	p.mu.Unlock()
	p.w.count(refusalKind(e.Code), 1)
}

// refusalKind names a final refusal of a submission: late input (the room
// had moved on, or the step closed, while the phone acted or was away) is
// the protocol working, and is counted apart from errors.
func refusalKind(code wire.Code) string {
	if code == wire.CodeStale || code == wire.CodeNotOpen {
		return "refused:" + string(code)
	}
	return "error:" + string(code)
}

func decodeError(data []byte) *wire.Error {
	var e wire.Error
	if err := json.Unmarshal(data, &e); err != nil || e.Code == "" {
		return &wire.Error{Code: "unparsable", Message: "error frame without a code"}
	}
	return &e
}

// forget drops an id from the resend list. Called with mu held.
func (p *phone) forget(id string) {
	for i, o := range p.order {
		if o == id {
			p.order = append(p.order[:i], p.order[i+1:]...)
			return
		}
	}
}

// submit sends a frame that must take effect once, keeping it for resend
// until it is acknowledged. Called with mu held.
func (p *phone) submit(typ string, step int, data any) {
	p.nextSub++
	id := "p" + strconv.Itoa(p.g) + "." + strconv.Itoa(p.nextSub)
	frame, err := wire.Encode(wire.Out{Type: typ, ID: id, Data: data})
	if err != nil {
		p.w.count("encode", 1)
		return
	}
	now := time.Now()
	p.subs[id] = &submission{typ: typ, frame: frame, step: step, sent: now, answr: typ == wire.TypeAnswer}
	p.order = append(p.order, id)
	p.rt.burst(step, now.UnixNano(), false)
	if p.ws != nil {
		_ = p.writeLocked(frame)
	}
}

// resend writes a submission again (after a retryable error).
func (p *phone) resend(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.subs[id]; s != nil && !s.done && p.ws != nil {
		_ = p.writeLocked(s.frame)
	}
}

// unacked counts submissions never acknowledged or refused.
func (p *phone) unacked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.order)
}
