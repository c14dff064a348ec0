package hub

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/room"
)

// Presence timing: every instance says which event rooms have facilitators
// connected to it every presenceInterval; a word older than presenceTTL no
// longer counts (its instance may be gone).
const (
	presenceInterval = 2 * time.Second
	presenceTTL      = 3 * presenceInterval
	presenceSubject  = "stp.presence"
)

// presenceNote is one instance's word about its facilitator connections
// in event rooms.
type presenceNote struct {
	Instance string `json:"instance"`
	// Rooms maps event id to room id to facilitators connected.
	Rooms map[string]map[string]int `json:"rooms"`
}

// presenceBook keeps the latest note of every instance.
type presenceBook struct {
	mu    sync.Mutex
	notes map[string]presenceNote
	seen  map[string]int64
}

func (b *presenceBook) record(n presenceNote, now int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.notes == nil {
		b.notes, b.seen = map[string]presenceNote{}, map[string]int64{}
	}
	b.notes[n.Instance], b.seen[n.Instance] = n, now
}

// counts sums the facilitators of an event's rooms over fresh notes.
func (b *presenceBook) counts(event string, now int64) map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]int{}
	for inst, n := range b.notes {
		if now-b.seen[inst] > presenceTTL.Milliseconds() {
			continue
		}
		for room, c := range n.Rooms[event] {
			out[room] += c
		}
	}
	return out
}

// presenceLoop publishes this instance's note and records everyone's.
func (h *Hub) presenceLoop() {
	if h.bus == nil {
		return
	}
	unsub, err := h.bus.Subscribe(presenceSubject, func(data []byte) {
		var n presenceNote
		if json.Unmarshal(data, &n) == nil && n.Instance != "" {
			h.presence.record(n, h.cfg.Now().UnixMilli())
		}
	})
	if err != nil {
		h.logger.Warn("presence: subscribe failed", "err", err)
		return
	}
	defer unsub()
	t := time.NewTicker(presenceInterval)
	defer t.Stop()
	for {
		select {
		case <-h.stopFlush:
			return
		case <-t.C:
			n := presenceNote{Instance: h.cfg.Instance, Rooms: h.localFacilitators()}
			data, _ := json.Marshal(n)
			_ = h.bus.Publish(presenceSubject, data)
		}
	}
}

// localFacilitators counts facilitator sessions per event room here.
func (h *Hub) localFacilitators() map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, r := range h.liveRooms() {
		r.mu.Lock()
		event, n := r.state.Event, 0
		for s := range r.sessions {
			if s.aud&room.ToStaff != 0 {
				n++
			}
		}
		r.mu.Unlock()
		if event == "" || n == 0 {
			continue
		}
		if out[event] == nil {
			out[event] = map[string]int{}
		}
		out[event][r.id] = n
	}
	return out
}
