package natslog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stoppunkt/stoppunkt/hub/natsembed"
	"github.com/stoppunkt/stoppunkt/hub/natslog"
)

// TestFollowsMoreRoomsThanNATSDefault follows more rooms at once than
// NATS allows consumers on a stream by default (1,000): a conference of
// 500 rooms on three instances needs 1,500.
func TestFollowsMoreRoomsThanNATSDefault(t *testing.T) {
	nc := connectEmbedded(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := natslog.Open(ctx, nc, natslog.Config{})
	if err != nil {
		t.Fatal(err)
	}
	const rooms = 1_100
	for i := range rooms {
		stop, err := st.Follow(ctx, fmt.Sprintf("room%05d", i), func(uint64, []byte) {})
		if err != nil {
			t.Fatalf("follow room %d: %v", i, err)
		}
		t.Cleanup(stop)
	}
}

// TestStoppedFollowLeavesNoConsumer: a follow that is stopped takes its
// consumer off the server at once instead of leaving it to expire minutes
// later, so a room's catch-up costs the server nothing once it is done.
func TestStoppedFollowLeavesNoConsumer(t *testing.T) {
	nc := connectEmbedded(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := natslog.Open(ctx, nc, natslog.Config{})
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	consumers := func() int {
		s, err := js.Stream(ctx, natslog.StreamName)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Consumers
	}
	var stops []func()
	for i := range 5 {
		stop, err := st.Follow(ctx, fmt.Sprintf("room%d", i), func(uint64, []byte) {})
		if err != nil {
			t.Fatalf("follow room %d: %v", i, err)
		}
		stops = append(stops, stop)
	}
	if n := consumers(); n != 5 {
		t.Fatalf("%d consumers while following 5 rooms", n)
	}
	for _, stop := range stops {
		stop()
	}
	for n := consumers(); n != 0; n = consumers() {
		select {
		case <-ctx.Done():
			t.Fatalf("%d consumers left after every follow stopped", n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// connectEmbedded starts an embedded NATS server for the test and connects
// to it.
func connectEmbedded(t *testing.T) *nats.Conn {
	t.Helper()
	ns, err := natsembed.Start(natsembed.Options{Dir: t.TempDir(), Listen: "127.0.0.1:-1", ServerName: "test"})
	if err != nil {
		t.Fatalf("start nats: %v", err)
	}
	t.Cleanup(ns.Shutdown)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}
