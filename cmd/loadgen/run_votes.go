package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// runVotes is the vote burst: every phone answers a poll the moment it
// opens, round after round, alternating with raw JetStream async publishing
// of as many messages of the same size on the same NATS.
func (r *run) runVotes(ctx context.Context) error {
	if err := r.createRooms(ctx, 1); err != nil {
		return err
	}
	rm := r.rooms[0]
	added, err := r.addPhones(ctx, r.phoneSpecsPerRoom())
	if err != nil {
		return err
	}
	r.logf("%d phones connected, %d failed", added.Connected, added.Failed)
	evSize, idLen := answerEventSize()
	r.setExtra("vote_event_bytes", evSize)
	cache := r.startStatusCache(ctx, 100*time.Millisecond)
	waitProfile := r.startCPUProfiles(ctx, r.sc.Name)
	defer waitProfile()
	for n := 1; n <= max(r.sc.Rounds, 1); n++ {
		if r.natsURL != "" {
			took, err := rawPublish(ctx, r.natsURL, n, added.Connected, evSize, idLen)
			if err != nil {
				return err
			}
			r.addRound(Round{System: "jetstream", N: n, Events: added.Connected, Seconds: round4(took.Seconds()),
				Throughput: round2(float64(added.Connected) / took.Seconds())})
		}
		c0, t0 := r.stoppunktCPU(), time.Now()
		if _, err := r.command(ctx, rm, "stoppunkt", "next", nil, false); err != nil {
			return err
		}
		_, step, _ := rm.fac.view()
		settled := cache.waitRoom(ctx, rm.id, r.sc.StepTimeout.D(), func(rs *RoomStatus) bool {
			return rs.Done[step.Index] >= rs.Joined && rs.Pending == 0
		})
		if !settled {
			r.count("settle_timeout", 1)
		}
		r.addRound(Round{System: "stoppunkt", N: n, Step: step.Index, Events: added.Connected,
			Seconds: round4(time.Since(t0).Seconds()), CPUSeconds: round2((r.stoppunktCPU() - c0).Seconds())})
		r.logf("round %d: poll %d settled=%v", n, step.Index, settled)
	}
	if r.natsURL != "" {
		defer deleteRawStream(context.Background(), r.natsURL)
	}
	return nil
}

func (r *run) addRound(rd Round) {
	r.mu.Lock()
	r.rounds = append(r.rounds, rd)
	r.mu.Unlock()
}

// finishVotes computes throughput from the phones' bursts, compares it
// with raw JetStream, and checks that every vote was stored exactly once.
func (r *run) finishVotes(ctx context.Context, wr *WorkerReport) {
	rm := r.rooms[0]
	joined := int(wr.Counters["joined"])
	var spActed, rawN int
	var spSpan, rawSpan float64
	allAcked := true
	r.mu.Lock()
	for i := range r.rounds {
		rd := &r.rounds[i]
		switch rd.System {
		case "jetstream":
			rawN += rd.Events
			rawSpan += rd.Seconds
		case "stoppunkt":
			b := wr.Bursts[rm.id+"/"+strconv.Itoa(rd.Step)]
			if b == nil || b.Acked == 0 {
				allAcked = false
				continue
			}
			span := time.Duration(b.LastAck - b.FirstSend).Seconds()
			rd.Throughput = round2(float64(b.Acked) / span)
			rd.Deliveries = b.Acked
			spActed += b.Acked
			spSpan += span
			if b.Acked != joined || b.Sent != joined {
				allAcked = false
			}
		}
	}
	rounds := append([]Round(nil), r.rounds...)
	r.mu.Unlock()
	r.check("every vote acknowledged", allAcked && wr.Counters["unacked"] == 0,
		"%d acks over the rounds for %d phones; %d unacked", spActed, joined, wr.Counters["unacked"])
	if spSpan > 0 {
		r.result("stoppunkt vote throughput (first vote sent to last ack)", float64(spActed)/spSpan, "votes/s", "", nil)
	}
	if rawSpan > 0 {
		r.result("raw JetStream async publish throughput", float64(rawN)/rawSpan, "msgs/s", "", nil)
		if spSpan > 0 {
			r.result("throughput ratio stoppunkt/raw JetStream", (float64(spActed)/spSpan)/(float64(rawN)/rawSpan), "x", ">= 0.5",
				func(v float64) bool { return v >= 0.5 })
		}
	}
	// Durable: the room's report (the server's state, rebuilt from the
	// log) counts every acknowledged vote; the log holds each exactly once.
	doc, err := fetchReport(ctx, r.servers[rm.instance].http, rm.id, rm.key)
	if err != nil {
		r.check("votes in the room's report", false, "%v", err)
	} else {
		ok, detail := true, ""
		for _, rd := range rounds {
			if rd.System != "stoppunkt" {
				continue
			}
			got := doc.answered(rd.Step)
			want := wr.Answered[rm.id][rd.Step]
			detail += fmt.Sprintf("poll %d: %d in report, %d acked; ", rd.Step, got, want)
			ok = ok && got == want && want == joined
		}
		r.check("votes in the room's report", ok, "%s", detail)
	}
	if r.natsURL != "" {
		in, err := readRoomInput(ctx, r.natsURL, rm.id)
		want := joined + spActed
		r.check("room log holds every join and vote exactly once", err == nil && in.Events == want && in.Distinct == want,
			"%d input events (%d distinct) in %d appends, %d joins + %d votes acknowledged (err %v)",
			in.Events, in.Distinct, in.Appends, joined, spActed, err)
		if in.Appends > 0 {
			r.result("input events per append to the room log", float64(in.Events)/float64(in.Appends), "", "", nil)
		}
	}
}

// reportDoc is the part of GET /api/rooms/{room}/report?format=json that
// the checks read.
type reportDoc struct {
	Participants int `json:"participants"`
	Steps        []struct {
		Index    int    `json:"index"`
		Kind     string `json:"kind"`
		Answered int    `json:"answered"`
		Texts    []struct {
			Kind   string `json:"kind"`
			Status string `json:"status"`
		} `json:"texts"`
	} `json:"steps"`
	Actions []struct {
		What string `json:"what"`
	} `json:"actions"`
	Ended bool `json:"ended"`
}

func (d *reportDoc) answered(step int) int {
	for _, s := range d.Steps {
		if s.Index == step {
			return s.Answered
		}
	}
	return -1
}

// fetchReport reads a room's report with every text (include=all).
func fetchReport(ctx context.Context, base, roomID, key string) (*reportDoc, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/rooms/"+roomID+"/report?format=json&include=all", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("room report: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("room report: %s: %.200s", resp.Status, b)
	}
	var d reportDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("room report: %w", err)
	}
	return &d, nil
}
