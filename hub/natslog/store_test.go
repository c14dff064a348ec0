package natslog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/stoppunkt/stoppunkt/hub/natsembed"
	"github.com/stoppunkt/stoppunkt/hub/natslog"
)

// TestFollowsMoreRoomsThanNATSDefault follows more rooms at once than
// NATS allows consumers on a stream by default (1,000): a conference of
// 500 rooms on three instances needs 1,500.
func TestFollowsMoreRoomsThanNATSDefault(t *testing.T) {
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
