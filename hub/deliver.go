package hub

// How a runner turns what an event changed into frames, and hands them to
// the room's local sessions in log order.

import (
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// emit renders what an event changed and queues the frames. Control
// events redraw their parts now; input events mark coalesced parts dirty
// for the next flush. Called with mu held.
func (r *runner) emit(ev *room.Event, ch room.Changes) {
	if r.state.Deleted && !ch.Deleted && !r.purgedLate {
		// Input an instance appended after the room was purged, having
		// decided on it before it applied the tombstone: purge again, so
		// that nothing but the tombstone stays in the log.
		r.purgedLate = true
		go r.hub.purgeLate(r.id)
	}
	if ch.Forgotten {
		// Frames sent before hold what was forgotten: none is replayed,
		// and staff and big screens start again from a snapshot of what
		// is kept (a resume from before this event cannot be recovered).
		// Phones have ended and stay as they are.
		r.ring, r.ringFrom, r.dirty = nil, r.state.Seq+1, 0
		r.roster.Reset()
		for s := range r.sessions {
			if s.role != wire.RoleParticipant {
				s.conn.Close(CloseServiceRestart, "the room's texts were forgotten; connect again")
			}
		}
		return
	}
	parts := ch.Parts
	if r.staff > 0 {
		// Staff connecting later get the roster whole in their snapshot.
		r.roster.Note(ch)
	}
	control := room.Control(ev.Type)
	if !control {
		r.dirty |= parts & room.Coalesced
		parts &^= room.Coalesced
	} else {
		r.dirty &^= parts
	}
	effects := room.Render(r.state, parts)
	if control && parts&room.PartRoster != 0 {
		// A removal shows on the dashboard before its command's ack.
		if e, ok := r.roster.Take(r.state, room.MaxRosterChanges); ok {
			effects = append(effects, e)
		}
	}
	effects = append(effects, room.RenderReplies(r.state, ch)...)
	seq := r.state.Seq
	var bcast []bcastFrame
	for _, e := range effects {
		e.Out.Seq = seq
		f, err := wire.NewFrame(e.Out)
		if err != nil {
			r.hub.logger.Error("encode frame", "room", r.id, "type", e.Out.Type, "err", err)
			continue
		}
		r.remember(ringEntry{seq: seq, to: e.To, pids: e.PIDs, frame: f})
		if e.PIDs == nil {
			bcast = append(bcast, bcastFrame{to: e.To, typ: e.Out.Type, f: f})
			continue
		}
		r.deliver(e.To, e.PIDs, e.Out.Type, f)
	}
	r.deliverAll(bcast)
	if ch.Deleted {
		for s := range r.sessions {
			s.conn.Close(CloseDeleted, "the room's data was deleted")
		}
		r.ring, r.dirty = nil, 0
		r.roster.Reset()
		if r.lingers != nil {
			// Nobody comes back to a deleted room: stop following it now.
			r.lingers.Reset(0)
		}
		return
	}
	for _, pid := range ch.Removed {
		reason := "left the room"
		if r.state.Participants[pid].Removed {
			reason = "removed by the facilitator"
		}
		for _, s := range r.byPID[pid] {
			s.conn.Close(CloseRemoved, reason)
		}
	}
}

// remember keeps a frame for replay. When the ring holds more than
// ReplayWindow frames it drops the oldest quarter, never splitting the
// frames of one event, and moves ringFrom past what it dropped.
func (r *runner) remember(e ringEntry) {
	r.ring = append(r.ring, e)
	limit := r.hub.cfg.ReplayWindow
	if len(r.ring) <= limit {
		return
	}
	drop := len(r.ring) - limit*3/4
	for drop < len(r.ring) && r.ring[drop].seq == r.ring[drop-1].seq {
		drop++
	}
	r.ringFrom = r.ring[drop-1].seq + 1
	r.ring = append(r.ring[:0:0], r.ring[drop:]...)
}

// deliver queues a frame to every local session it is for: the listed
// participants, or everyone of the audience. Called with mu held.
func (r *runner) deliver(to room.Audience, pids []string, typ string, f *wire.Frame) {
	n := 0
	if pids != nil {
		for _, pid := range pids {
			for _, s := range r.byPID[pid] {
				if s.conn.Send(f) {
					n++
				}
			}
		}
	} else {
		for s := range r.sessions {
			if s.aud&to != 0 && s.conn.Send(f) {
				n++
			}
		}
	}
	r.hub.metrics.out(typ, n)
}

type bcastFrame struct {
	to  room.Audience
	typ string
	f   *wire.Frame
}

// deliverAll queues an event's broadcast frames to each session in one
// call, so that its writer wakes once and writes them in one system call.
func (r *runner) deliverAll(frames []bcastFrame) {
	if len(frames) == 0 {
		return
	}
	counts := make([]int, len(frames))
	buf := make([]*wire.Frame, 0, len(frames))
	idx := make([]int, 0, len(frames))
	for s := range r.sessions {
		buf, idx = buf[:0], idx[:0]
		for i, b := range frames {
			if s.aud&b.to != 0 {
				buf = append(buf, b.f)
				idx = append(idx, i)
			}
		}
		if len(buf) > 0 && s.conn.SendMany(buf) {
			for _, i := range idx {
				counts[i]++
			}
		}
	}
	for i, b := range frames {
		r.hub.metrics.out(b.typ, counts[i])
	}
}

// flush redraws the coalesced parts that changed since the last flush,
// and sends staff the roster changes since then (the roster first, so that
// names are known when groups name their members).
func (r *runner) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if (r.dirty == 0 && r.roster.Empty()) || !r.state.Exists() {
		return
	}
	var effects []room.Effect
	if e, ok := r.roster.Take(r.state, room.MaxRosterChanges); ok {
		effects = append(effects, e)
	}
	effects = append(effects, room.Render(r.state, r.dirty)...)
	r.dirty = 0
	bcast := make([]bcastFrame, 0, len(effects))
	for _, e := range effects {
		e.Out.Seq = r.state.Seq
		f, err := wire.NewFrame(e.Out)
		if err != nil {
			r.hub.logger.Error("encode frame", "room", r.id, "type", e.Out.Type, "err", err)
			continue
		}
		bcast = append(bcast, bcastFrame{to: e.To, typ: e.Out.Type, f: f})
	}
	r.deliverAll(bcast)
}
