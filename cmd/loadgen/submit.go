package main

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// A phone's submissions (answers, entries, submits) must each take effect
// exactly once: wsclient.Conn keeps each with its id until acknowledged
// and resends it with the same id after a reconnect or a retryable
// refusal; the phone counts its acks so that a second effect would show.

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

func (p *phone) onAck(env wsclient.Envelope, now time.Time) {
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

func (p *phone) onError(env wsclient.Envelope) {
	e := wsclient.DecodeError(env.Data)
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
		// The Conn sends it again after a pause.
		p.mu.Unlock()
		p.w.count("retry:"+string(e.Code), 1)
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
	p.c.Submit(id, frame)
}

// unacked counts submissions never acknowledged or refused.
func (p *phone) unacked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.order)
}
