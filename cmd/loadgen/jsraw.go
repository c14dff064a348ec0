package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stoppunkt/stoppunkt/hub/room"
)

// The vote burst's yardstick: raw JetStream async publishing of as many
// messages of the same size to a stream with the room log's settings, on
// the same NATS server, in the same run.

const (
	rawStream      = "LOADGEN_RAW"
	roomLogStream  = "STP_ROOMS" // hub/natslog.StreamName
	roomLogSubject = "stp.room"  // hub/natslog.SubjectRoot
)

// answerEventSize is the size of a vote as the server stores it in the
// room log (a room.Event of type answer), and the size of its message id.
func answerEventSize() (event, msgID int) {
	ev := &room.Event{Type: room.EvAnswer, At: time.Now().UnixMilli(), PID: "abcdefghij", ID: "p1234.1",
		Answer: &room.AnswerValue{Step: 1, Choices: []int{0}}}
	b, err := ev.Encode()
	if err != nil {
		return 100, 40
	}
	// msg id: room id (20) / participant id (10) / submission id.
	return len(b), 20 + 1 + 10 + 1 + len(ev.ID)
}

// rawPublish publishes n messages of size bytes with PublishAsync, each
// with a message id like the server's, and returns the time from the first
// publish to the last acknowledgement.
func rawPublish(ctx context.Context, natsURL string, round, n, size, idLen int) (time.Duration, error) {
	nc, err := nats.Connect(natsURL, nats.Name("loadgen raw publisher"))
	if err != nil {
		return 0, fmt.Errorf("raw publish: connect: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(max(n, 1)))
	if err != nil {
		return 0, fmt.Errorf("raw publish: %w", err)
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        rawStream,
		Description: "loadgen: raw JetStream yardstick; safe to delete",
		Subjects:    []string{"loadgen.raw.>"},
		Storage:     jetstream.FileStorage,
		Replicas:    1,
		MaxAge:      31 * 24 * time.Hour,
		Duplicates:  2 * time.Minute,
		MaxMsgSize:  1 << 20,
		Discard:     jetstream.DiscardOld,
		AllowDirect: true,
	})
	if err != nil {
		return 0, fmt.Errorf("raw publish: stream: %w", err)
	}
	payload := []byte(strings.Repeat("v", size))
	subject := fmt.Sprintf("loadgen.raw.r%d.i", round)
	futures := make([]jetstream.PubAckFuture, 0, n)
	start := time.Now()
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%0*d", idLen, round*1_000_000+i)
		f, err := js.PublishAsync(subject, payload, jetstream.WithMsgID(id))
		if err != nil {
			return 0, fmt.Errorf("raw publish: %w", err)
		}
		futures = append(futures, f)
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return 0, fmt.Errorf("raw publish: %w", ctx.Err())
	case <-time.After(time.Minute):
		return 0, fmt.Errorf("raw publish: %d acks missing after a minute", js.PublishAsyncPending())
	}
	elapsed := time.Since(start)
	for _, f := range futures {
		select {
		case err := <-f.Err():
			return 0, fmt.Errorf("raw publish: a message was refused: %w", err)
		default:
		}
	}
	return elapsed, nil
}

// deleteRawStream removes the yardstick's stream.
func deleteRawStream(ctx context.Context, natsURL string) {
	nc, err := nats.Connect(natsURL)
	if err != nil {
		return
	}
	defer nc.Close()
	if js, err := jetstream.New(nc); err == nil {
		_ = js.DeleteStream(ctx, rawStream)
	}
}

// roomInput is what a room's input subject holds: appends, and the
// participant events in them (batches opened). Distinct counts each join
// (by its token) and each submission (by participant and id) once.
type roomInput struct {
	Appends  int
	Events   int
	Distinct int
}

// readRoomInput reads every append on a room's input subject.
func readRoomInput(ctx context.Context, natsURL, roomID string) (roomInput, error) {
	var in roomInput
	nc, err := nats.Connect(natsURL, nats.Name("loadgen room log"))
	if err != nil {
		return in, fmt.Errorf("read room log: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return in, fmt.Errorf("read room log: %w", err)
	}
	s, err := js.Stream(ctx, roomLogStream)
	if err != nil {
		return in, fmt.Errorf("read room log: %w", err)
	}
	subject := roomLogSubject + "." + roomID + ".i"
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return in, fmt.Errorf("read room log: %w", err)
	}
	total := int(info.State.Subjects[subject])
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		return in, fmt.Errorf("read room log: %w", err)
	}
	seen := map[string]bool{}
	count := func(ev *room.Event) {
		key := ev.Type + "/" + ev.PID + "/" + ev.ID
		if ev.Joined != nil {
			key = "join/" + ev.Joined.TokenHash
		}
		in.Events++
		if !seen[key] {
			seen[key] = true
			in.Distinct++
		}
	}
	for in.Appends < total {
		batch, err := cons.Fetch(min(500, total-in.Appends), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return in, fmt.Errorf("read room log: %w", err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			in.Appends++
			ev, err := room.DecodeEvent(msg.Data())
			if err != nil {
				return in, fmt.Errorf("read room log: append %d: %w", in.Appends, err)
			}
			if ev.Type != room.EvBatch {
				count(ev)
				continue
			}
			for _, sub := range ev.Batch {
				count(sub)
			}
		}
		if err := batch.Error(); err != nil {
			return in, fmt.Errorf("read room log: %w", err)
		}
		if n == 0 {
			return in, fmt.Errorf("read room log: %d of %d appends arrived", in.Appends, total)
		}
	}
	return in, nil
}

// roomLogBytes reads the size of the room log stream: messages and bytes
// over every room in it.
func roomLogBytes(ctx context.Context, natsURL string) (msgs, bytes uint64, err error) {
	nc, err := nats.Connect(natsURL, nats.Name("loadgen stream info"))
	if err != nil {
		return 0, 0, fmt.Errorf("room log size: connect: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, 0, fmt.Errorf("room log size: %w", err)
	}
	st, err := js.Stream(ctx, roomLogStream)
	if err != nil {
		return 0, 0, fmt.Errorf("room log size: %w", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("room log size: %w", err)
	}
	return info.State.Msgs, info.State.Bytes, nil
}
