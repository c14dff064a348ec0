package instance_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stoppunkt/stoppunkt/hub/natslog"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// leftovers reads JetStream directly: what the room log still holds of a
// room (messages per subject), and how many messages of any kind (values,
// history, delete or purge markers) the buckets hold for its code and id.
func leftovers(t *testing.T, ctx context.Context, js jetstream.JetStream, r it.Room) (map[string]uint64, int) {
	t.Helper()
	stream, err := js.Stream(ctx, natslog.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter("stp.room."+r.Room+".>"))
	if err != nil {
		t.Fatal(err)
	}
	kvMsgs := 0
	for bucket, key := range map[string]string{natslog.CodesBucket: r.Code, natslog.RoomsBucket: r.Room} {
		st, err := js.Stream(ctx, "KV_"+bucket)
		if err != nil {
			t.Fatal(err)
		}
		subj := "$KV." + bucket + "." + key
		bi, err := st.Info(ctx, jetstream.WithSubjectFilter(subj))
		if err != nil {
			t.Fatal(err)
		}
		kvMsgs += int(bi.State.Subjects[subj])
	}
	return info.State.Subjects, kvMsgs
}

// nothingLeft waits until the room log holds only the content-free
// tombstone of the room and the buckets nothing at all.
func nothingLeft(t *testing.T, ctx context.Context, js jetstream.JetStream, r it.Room) {
	t.Helper()
	for {
		subjects, kv := leftovers(t, ctx, js, r)
		if subjects["stp.room."+r.Room+".i"] == 0 && subjects["stp.room."+r.Room+".c"] == 1 && len(subjects) == 1 && kv == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("left in JetStream: log %v, %d bucket messages", subjects, kv)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stream, _ := js.Stream(ctx, natslog.StreamName)
	last, err := stream.GetLastMsgForSubject(ctx, "stp.room."+r.Room+".c")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"late answer", "Ola", "test-plan", r.Code} {
		if bytes.Contains(last.Data, []byte(s)) {
			t.Fatalf("the tombstone holds %q: %s", s, last.Data)
		}
	}
}

func jsOf(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// Deleting a room, now or by retention, leaves nothing but its tombstone,
// also when a second instance lags behind and appends a participant's
// answer after the room was purged, and no marker in the buckets.
func TestDeleteAndExpiryLeaveNothingWithALaggingInstance(t *testing.T) {
	for _, how := range []string{"delete now", "retention"} {
		t.Run(how, func(t *testing.T) {
			ns := it.NATS(t)
			var lag sync.Mutex
			retention := time.Hour
			if how == "retention" {
				retention = 3 * time.Second
			}
			short := func(c *instance.Config) {
				c.Retention = retention
				c.Hub.SweepInterval = 200 * time.Millisecond
			}
			a := it.Start(t, ns.ClientURL(), it.Options{Modify: short})
			b := it.Start(t, ns.ClientURL(), it.Options{Modify: func(c *instance.Config) {
				short(c)
				c.Hub.SweepInterval = -1 // only A sweeps
				c.Hub.BeforeFeed = func(string) { lag.Lock(); lag.Unlock() }
			}})
			ctx := it.Ctx(t, time.Minute)
			js := jsOf(t, ns.ClientURL())
			r := it.CreateRoom(t, a, "test-plan")
			fac := it.Facilitator(t, r, a)
			p := it.Dial(t, wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Nickname: "Ola"}, b)
			command(t, ctx, fac, wire.TypeGoto, map[string]int{"step": 3})
			stepOf(t, ctx, p, 3)

			lag.Lock() // B sees nothing from here on
			if how == "delete now" {
				if code, _, _ := authed(t, "DELETE", a.URL()+"/api/rooms/"+r.Room, r.Key); code != 204 {
					t.Fatalf("delete: %d", code)
				}
			} else {
				// A sweeps the room once its retention has run out.
				for {
					if _, kv := leftovers(t, ctx, js, r); kv == 0 {
						break
					}
					if ctx.Err() != nil {
						t.Fatal("the room was not swept")
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			// B still thinks the step is open: it appends the answer after
			// the purge (and waits for it in vain while it lags).
			sent := make(chan struct{})
			go func() {
				defer close(sent)
				_ = p.Send(wire.TypeAnswer, "late", map[string]any{"step": 3, "text": "late answer"})
			}()
			<-sent
			for {
				subjects, _ := leftovers(t, ctx, js, r)
				if subjects["stp.room."+r.Room+".i"] > 0 {
					break // the late answer is in the log
				}
				if ctx.Err() != nil {
					t.Fatal("the lagging instance never appended the late answer")
				}
				time.Sleep(20 * time.Millisecond)
			}
			lag.Unlock()
			nothingLeft(t, ctx, js, r)
		})
	}
}

// The retention sweep goes on past a room it cannot delete, counts the
// failure, and deletes that room on a later round.
func TestSweepGoesOnPastFailures(t *testing.T) {
	ns := it.NATS(t)
	var failing atomic.Value
	failing.Store("")
	in := it.Start(t, ns.ClientURL(), it.Options{Modify: func(c *instance.Config) {
		c.Retention = 2 * time.Second
		c.Hub.SweepInterval = 200 * time.Millisecond
		c.Hub.FailSweep = func(id string) bool { return id == failing.Load().(string) }
	}})
	ctx := it.Ctx(t, time.Minute)
	js := jsOf(t, ns.ClientURL())
	rooms := []it.Room{it.CreateRoom(t, in, "test-plan"), it.CreateRoom(t, in, "test-plan"), it.CreateRoom(t, in, "test-plan")}
	failing.Store(rooms[1].Room)
	gone := func(r it.Room) bool { _, kv := leftovers(t, ctx, js, r); return kv == 0 }
	for !gone(rooms[0]) || !gone(rooms[2]) {
		if ctx.Err() != nil {
			t.Fatal("the sweep stopped at the failing room")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if gone(rooms[1]) {
		t.Fatal("the failing room was deleted")
	}
	if n := metricValue(t, in, "stoppunkt_retention_failures_total"); n < 1 {
		t.Fatalf("retention failures counted: %v", n)
	}
	failing.Store("")
	for !gone(rooms[1]) {
		if ctx.Err() != nil {
			t.Fatal("the failed room was never deleted")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metricValue reads one metric without labels from /metrics.
func metricValue(t *testing.T, in *instance.Instance, name string) float64 {
	t.Helper()
	resp, err := http.Get(in.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			for _, c := range v {
				if c < '0' || c > '9' {
					break
				}
				f = f*10 + float64(c-'0')
			}
			return f
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// The instance's feed of the room log: an error of its consumer (deleted
// from outside) is counted and logged without content, and the feed
// recovers by itself; a feed that holds waiting events without delivering
// them turns readiness to 503 with a reason, and back to 200 once it
// delivers again. Idle is not stalled.
func TestStalledFeedTurnsReadinessOff(t *testing.T) {
	ns := it.NATS(t)
	logs := &syncBuf{}
	var stuck sync.Mutex
	in := it.Start(t, ns.ClientURL(), it.Options{Log: logs, Modify: func(c *instance.Config) {
		c.Hub.FeedStallAfter = time.Second
		c.Hub.BeforeFeed = func(string) { stuck.Lock(); stuck.Unlock() }
	}})
	ctx := it.Ctx(t, 2*time.Minute)
	js := jsOf(t, ns.ClientURL())
	r := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in)
	command(t, ctx, fac, wire.TypeNext, nil)
	ready := func() (int, string) {
		resp, err := http.Get(in.URL() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitReady := func(want int) string {
		t.Helper()
		code, body := ready()
		for code != want {
			if ctx.Err() != nil {
				t.Fatalf("readiness: %d %s, want %d", code, body, want)
			}
			time.Sleep(100 * time.Millisecond)
			code, body = ready()
		}
		return body
	}
	waitReady(http.StatusOK)

	// The consumer is deleted from outside: counted, logged, recovered.
	stream, err := js.Stream(ctx, natslog.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	for name := range stream.ConsumerNames(ctx).Name() {
		if err := stream.DeleteConsumer(ctx, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			t.Fatal(err)
		}
	}
	for metricValue(t, in, "stoppunkt_feed_errors_total") < 1 {
		if ctx.Err() != nil {
			t.Fatal("the deleted consumer was not counted as a feed error")
		}
		time.Sleep(100 * time.Millisecond)
	}
	command(t, ctx, fac, wire.TypeNext, map[string]int{"from": 1})
	waitReady(http.StatusOK)

	// The feed stops delivering while events wait: readiness turns off.
	stuck.Lock()
	for range 3 {
		if _, err := js.Publish(ctx, "stp.room."+r.Room+".i", []byte(`{"t":"nothing","at":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	body := waitReady(http.StatusServiceUnavailable)
	if !strings.Contains(body, "room feed") {
		t.Fatalf("readiness says %s", body)
	}
	if metricValue(t, in, "stoppunkt_feed_stalled") != 1 {
		t.Fatal("stoppunkt_feed_stalled is not 1")
	}
	stuck.Unlock()
	waitReady(http.StatusOK)
	if metricValue(t, in, "stoppunkt_feed_stalled") != 0 {
		t.Fatal("stoppunkt_feed_stalled is not back to 0")
	}
	out := logs.String()
	for _, want := range []string{"msg=\"room feed\"", "room feed stalled", "room feed delivers again"} {
		if !strings.Contains(out, want) {
			t.Fatalf("the log does not say %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, r.Key) || strings.Contains(out, r.Code) {
		t.Fatal("the log holds a key or code")
	}
}
