package main

import (
	"slices"
	"sync"
	"time"
)

// roomTrack times the frames of one room's marked events in one worker.
// A phone may receive an event's frames before the mark for it arrives
// (the facilitator learns the sequence only from its ack), so frames of
// unmarked sequences newer than the last mark wait in early until their
// mark comes or a newer mark makes them irrelevant.
type roomTrack struct {
	id string
	w  *worker

	mu          sync.Mutex
	phones      []*phone
	marks       []*markState
	bySeq       map[uint64]*markState
	lastMarkSeq uint64
	early       map[uint64][]earlyFrame
	hists       Histograms
	bursts      map[int]*Burst // by step index
	stepBytes   int
	stepCache   stepCacheEntry
}

// stepCacheEntry keeps the last decoded participant step frame, which is
// the same for every phone of the room.
type stepCacheEntry struct {
	seq  uint64
	size int
	info stepInfo
	ok   bool
}

type markState struct {
	Mark
	idx      int
	matched  int
	expected int
	known    bool // expected has been counted
	replied  bool
}

type earlyFrame struct {
	p      *phone
	typ    string
	at     int64
	replay bool
}

// maxMarkTypes bounds the frame types one mark may name.
const maxMarkTypes = 4

// trackedTypes are the frame types a mark can name.
var trackedTypes = map[string]bool{"step": true, "timer": true, "results": true, "screen": true, "room": true}

func newRoomTrack(id string, w *worker) *roomTrack {
	return &roomTrack{id: id, w: w, bySeq: map[uint64]*markState{}, early: map[uint64][]earlyFrame{},
		hists: Histograms{}, bursts: map[int]*Burst{}}
}

// observe records that phone p received a frame of type typ, size bytes
// and sequence seq at time at (Unix ns). replay is true for frames
// replayed after a reconnect.
func (rt *roomTrack) observe(p *phone, seq uint64, typ string, size int, at int64, replay bool) {
	if seq == 0 || !trackedTypes[typ] {
		return
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if typ == "step" {
		rt.stepBytes = size
	}
	if m := rt.bySeq[seq]; m != nil {
		rt.match(m, p, typ, at, replay)
		return
	}
	if seq > rt.lastMarkSeq {
		rt.early[seq] = append(rt.early[seq], earlyFrame{p: p, typ: typ, at: at, replay: replay})
	}
}

// match times one frame of a marked event. Called with mu held.
func (rt *roomTrack) match(m *markState, p *phone, typ string, at int64, replay bool) {
	ti := slices.Index(m.Types, typ)
	if ti < 0 {
		return
	}
	// Only a phone's first frame of each type of the event is timed: the
	// room and results parts are redrawn later with the same sequence
	// (after a reconnect, or at the next coalesced flush).
	if ti > 0 {
		bit := m.idx*maxMarkTypes + ti
		if ti >= maxMarkTypes || p.seenTypes.has(bit) {
			return
		}
		p.seenTypes.set(bit)
	}
	key := m.Key + "/" + typ
	if replay {
		key += " (replayed)"
	}
	rt.hists.Get(key).Record(time.Duration(at - m.T0))
	if typ != m.Types[0] {
		return
	}
	if p.marks.has(m.idx) {
		rt.w.count("duplicate_event", 1)
		return
	}
	p.marks.set(m.idx)
	m.matched++
	rt.maybeDelivered(m)
}

// addMark registers an event and times the frames that came before it.
func (rt *roomTrack) addMark(mk Mark) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if _, dup := rt.bySeq[mk.Seq]; dup || mk.Seq <= rt.lastMarkSeq {
		rt.w.count("mark_out_of_order", 1)
		return
	}
	m := &markState{Mark: mk, idx: len(rt.marks)}
	rt.marks = append(rt.marks, m)
	rt.bySeq[mk.Seq] = m
	rt.lastMarkSeq = mk.Seq
	for _, e := range rt.early[mk.Seq] {
		rt.match(m, e.p, e.typ, e.at, e.replay)
	}
	for seq := range rt.early {
		if seq <= mk.Seq {
			delete(rt.early, seq)
		}
	}
	for _, p := range rt.phones {
		if p.expects(mk.Seq) {
			m.expected++
		}
	}
	m.known = true
	rt.maybeDelivered(m)
}

// maybeDelivered tells the coordinator once every phone that should have
// the event has it. Called with mu held.
func (rt *roomTrack) maybeDelivered(m *markState) {
	if !m.Barrier || !m.known || m.replied || m.matched < m.expected {
		return
	}
	m.replied = true
	rt.w.emit(Msg{Op: opDelivered, Delivered: &Delivered{Room: rt.id, Seq: m.Seq, Matched: m.matched, Expected: m.expected}})
}

// missing counts, over every mark, the phones that were in the room when
// the event happened but never got it, neither live, nor replayed, nor in
// a later snapshot.
func (rt *roomTrack) missing() int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	n := 0
	for _, m := range rt.marks {
		for _, p := range rt.phones {
			if !p.wasIn(m.Seq) || p.marks.has(m.idx) || p.snapAt >= m.Seq {
				continue
			}
			n++
		}
	}
	return n
}

// burst records a submission of a step being sent (acked false) or
// acknowledged (acked true).
func (rt *roomTrack) burst(step int, at int64, acked bool) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	b := rt.bursts[step]
	if b == nil {
		b = &Burst{}
		rt.bursts[step] = b
	}
	if acked {
		b.Acked++
		b.LastAck = max(b.LastAck, at)
		return
	}
	b.Sent++
	if b.FirstSend == 0 || at < b.FirstSend {
		b.FirstSend = at
	}
}

// snapshot notes that p got a full snapshot at seq after a reconnect: it
// now has the state of every event up to seq.
func (rt *roomTrack) snapshot(p *phone, seq uint64) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	p.snapAt = max(p.snapAt, seq)
}

// stepFor decodes a participant step frame once per sequence for the room.
func (rt *roomTrack) stepFor(seq uint64, data []byte) (stepInfo, bool) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.stepCache.seq == seq && rt.stepCache.size == len(data) {
		return rt.stepCache.info, rt.stepCache.ok
	}
	info, err := decodeStep(data)
	rt.stepCache = stepCacheEntry{seq: seq, size: len(data), info: info, ok: err == nil}
	if err != nil {
		rt.w.count("bad_frame", 1)
	}
	return info, err == nil
}

// bitset is a growable set of small integers.
type bitset []uint64

func (b bitset) has(i int) bool { return i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }

func (b *bitset) set(i int) {
	for i/64 >= len(*b) {
		*b = append(*b, 0)
	}
	(*b)[i/64] |= 1 << (i % 64)
}
