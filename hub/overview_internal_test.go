package hub

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestOverviewChangesAreCapped: when every room of a big event changes at
// once, the changes go out at most MaxOverviewChanges per drawing until
// every room has been sent, and then nothing more.
func TestOverviewChangesAreCapped(t *testing.T) {
	view := func(step int) OverviewView {
		v := OverviewView{Event: "ev"}
		for i := range 250 {
			v.Rooms = append(v.Rooms, RoomSummary{Room: fmt.Sprintf("room%03d", i), Step: step})
		}
		return v
	}
	prev, err := encodeDrawing(view(1))
	if err != nil {
		t.Fatal(err)
	}
	next, err := encodeDrawing(view(2))
	if err != nil {
		t.Fatal(err)
	}
	drawn := prev
	var sent []int
	for range 5 {
		changed, deferred, _ := next.changedSince(drawn, MaxOverviewChanges, 0)
		sent = append(sent, len(changed))
		if len(deferred) > 0 {
			drawn = next.keeping(drawn, deferred)
		} else {
			drawn = next
		}
	}
	want := []int{100, 100, 50, 0, 0}
	if fmt.Sprint(sent) != fmt.Sprint(want) {
		t.Fatalf("rooms per drawing %v, want %v", sent, want)
	}
}

// TestOverviewChangesTakeTurns: with more rooms changing at every drawing
// than a frame holds, a step change goes out at the next drawing, and
// every other changed room within a few drawings, wherever it stands in
// the event's order.
func TestOverviewChangesTakeTurns(t *testing.T) {
	const rooms = 250
	view := func(drawing int, stepped map[int]bool) OverviewView {
		v := OverviewView{Event: "ev"}
		for i := range rooms {
			r := RoomSummary{Room: fmt.Sprintf("room%03d", i), Step: 1}
			r.Progress.Answered = drawing // every room's count moves every time
			if stepped[i] {
				r.Step = 2
			}
			v.Rooms = append(v.Rooms, r)
		}
		return v
	}
	drawn, err := encodeDrawing(view(0, nil))
	if err != nil {
		t.Fatal(err)
	}
	lastSent := make([]int, rooms) // drawing at which each room was last sent
	turn := 0
	stepped := map[int]bool{}
	for n := 1; n <= 30; n++ {
		if n == 20 {
			stepped[rooms-1] = true // the last room of the event moves on
		}
		next, err := encodeDrawing(view(n, stepped))
		if err != nil {
			t.Fatal(err)
		}
		changed, deferred, nt := next.changedSince(drawn, MaxOverviewChanges, turn)
		turn = nt
		if len(changed) != MaxOverviewChanges {
			t.Fatalf("drawing %d sent %d rooms, want a full frame", n, len(changed))
		}
		sentStep := false
		for _, raw := range changed {
			var r RoomSummary
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatal(err)
			}
			i := next.byID[r.Room]
			lastSent[i] = n
			sentStep = sentStep || (r.Step == 2 && i == rooms-1 && n == 20)
		}
		if n == 20 && !sentStep {
			t.Fatal("the step change waited behind rooms whose counts changed")
		}
		if len(deferred) > 0 {
			drawn = next.keeping(drawn, deferred)
		} else {
			drawn = next
		}
		if n >= 10 {
			for i, at := range lastSent {
				// 250 rooms at 100 a frame: every room within 3 drawings.
				if n-at > 3 {
					t.Fatalf("drawing %d: room %d last sent at drawing %d", n, i, at)
				}
			}
		}
	}
}
