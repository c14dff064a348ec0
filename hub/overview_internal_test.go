package hub

import (
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
		changed, deferred := next.changedSince(drawn, MaxOverviewChanges)
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
