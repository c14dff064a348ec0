package instance_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// rosterFollower keeps a staff connection's roster as a dashboard does:
// whole from the snapshot (or a roster frame after a resume), then changed
// by roster_changes.
type rosterFollower struct {
	people map[string]room.RosterEntry
	count  int
	wholes int // roster frames (resumes)
	// biggest is the largest roster_changes frame.
	biggest int
}

func (r *rosterFollower) read(t *testing.T, f wsclient.Frame) {
	t.Helper()
	var whole *room.RosterView
	switch f.Type {
	case wire.TypeSnapshot:
		var s room.SnapshotView
		if err := f.Decode(&s); err != nil || s.Roster == nil {
			t.Fatalf("staff snapshot without a roster: %v", err)
		}
		whole = s.Roster
	case wire.TypeRoster:
		whole = &room.RosterView{}
		if err := f.Decode(whole); err != nil {
			t.Fatal(err)
		}
		r.wholes++
	case wire.TypeRosterChanges:
		var ch room.RosterChangesView
		if err := f.Decode(&ch); err != nil || ch.Joined == nil || ch.Left == nil {
			t.Fatalf("roster changes %s: %v", f.Data, err)
		}
		for _, p := range ch.Joined {
			r.people[p.ID] = p
		}
		for _, id := range ch.Left {
			delete(r.people, id)
		}
		r.count = ch.Count
		r.biggest = max(r.biggest, len(f.Data))
	}
	if whole != nil {
		r.people = map[string]room.RosterEntry{}
		for _, p := range whole.Participants {
			r.people[p.ID] = p
		}
		r.count = whole.Count
	}
}

// follow reads a staff connection's frames until its roster holds exactly
// the ids in want and its count agrees.
func follow(t *testing.T, ctx context.Context, name string, fac *wsclient.Phone, want map[string]bool) *rosterFollower {
	t.Helper()
	r := &rosterFollower{}
	_, err := fac.Wait(ctx, func(f wsclient.Frame) bool {
		r.read(t, f)
		if r.people == nil || len(r.people) != len(want) || r.count != len(want) {
			return false
		}
		for id := range r.people {
			if !want[id] {
				return false
			}
		}
		return true
	})
	if err != nil {
		t.Fatalf("%s: the roster never became the room's (%d people, count %d, want %d): %v", name, len(r.people), r.count, len(want), err)
	}
	return r
}

// TestRosterChangesOverTwoInstances: staff on two instances follow joins
// on both, leaves and removals through roster changes; one of them loses
// its connection in the middle and resumes. All end with the roster a
// fresh snapshot shows, nickname and join order included, and only the
// resumed one got the whole roster again.
func TestRosterChangesOverTwoInstances(t *testing.T) {
	ns := it.NATS(t)
	a, b := it.Start(t, ns.ClientURL()), it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 60*time.Second)
	r := it.CreateRoom(t, a, "test-plan")
	facA := it.Facilitator(t, r, a)
	facB := it.Facilitator(t, r, b)
	want := map[string]bool{}
	var phones []*wsclient.Phone
	join := func(i int) {
		in := []*instance.Instance{a, b}[i%2]
		hello := wire.Hello{Role: wire.RoleParticipant, Code: r.Code}
		if i%3 == 0 {
			hello.Nickname = fmt.Sprintf("<i>Kari %d</i>", i)
		}
		p := it.Dial(t, hello, in)
		phones = append(phones, p)
		want[p.Welcome().Participant] = true
	}
	for i := 0; i < 30; i++ {
		join(i)
	}
	// Dashboard B drops its connection; the room changes while it is away.
	facB.Drop()
	for i := 0; i < 30; i += 5 {
		p := phones[i]
		if err := p.Send(wire.TypeLeave, p.NextID(), nil); err != nil {
			t.Fatal(err)
		}
		delete(want, p.Welcome().Participant)
		pid := phones[i+1].Welcome().Participant
		command(t, ctx, facA, wire.TypeRemove, map[string]string{"participant": pid})
		delete(want, pid)
	}
	for i := 30; i < 40; i++ {
		join(i)
	}
	followA := follow(t, ctx, "A", facA, want)
	followB := follow(t, ctx, "B, resumed", facB, want)
	fresh := follow(t, ctx, "fresh on B", it.Facilitator(t, r, b), want)
	for name, f := range map[string]*rosterFollower{"A": followA, "B, resumed": followB} {
		if !maps.Equal(f.people, fresh.people) {
			t.Errorf("%s: the roster differs from a fresh snapshot's", name)
		}
		if f.biggest == 0 || f.biggest > 4<<10 {
			t.Errorf("%s: the largest roster_changes frame has %d bytes", name, f.biggest)
		}
	}
	if followA.wholes != 0 || fresh.wholes != 0 {
		t.Errorf("the whole roster came again without a resume: A %d, fresh %d", followA.wholes, fresh.wholes)
	}
	if facB.Connects() != 2 || !facB.Welcome().Recovered || followB.wholes != 1 {
		t.Errorf("dashboard B: %d connections, recovered %v, %d whole rosters after its snapshot; want a recovered resume and one",
			facB.Connects(), facB.Welcome().Recovered, followB.wholes)
	}
	ids := slices.Sorted(maps.Keys(fresh.people))
	if len(ids) != 28 {
		t.Fatalf("%d participants left, want 28", len(ids))
	}
}
