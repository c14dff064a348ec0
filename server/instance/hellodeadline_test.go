package instance_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// TestHelloHasADeadline: a join whose event is stored but never applied
// here (the instance's feed of the room log is stuck) is answered with a
// retryable unavailable once the hello's deadline has passed, instead of
// leaving the phone waiting for ever. Once the feed moves again, joining
// works.
func TestHelloHasADeadline(t *testing.T) {
	ns := it.NATS(t)
	var stuck atomic.Value // the id of the room whose feed is stuck
	stuck.Store("")
	release := make(chan struct{})
	in := it.Start(t, ns.ClientURL(), it.Options{Modify: func(c *instance.Config) {
		c.Hub.HelloDeadline = 2 * time.Second
		c.Hub.BeforeFeed = func(roomID string) {
			if roomID == stuck.Load() {
				<-release
			}
		}
	}})
	ctx := it.Ctx(t, 60*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in) // the room is loaded and live on the feed
	stepOf(t, ctx, fac, 0)

	stuck.Store(r.Room)
	_, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: []string{it.WS(in)}, Hello: wire.Hello{Role: wire.RoleParticipant, Code: r.Code}})
	e, ok := err.(*wire.Error)
	if !ok || e.Code != wire.CodeUnavailable || !e.Retry {
		t.Fatalf("a join that cannot be applied: want a retryable unavailable, got %v", err)
	}

	stuck.Store("")
	close(release)
	p := rawParticipant(t, ctx, in, r.Code)
	stepOf(t, ctx, p, 0)
}
