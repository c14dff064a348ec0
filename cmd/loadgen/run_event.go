package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxEventRooms is the most rooms one conference event may have
// (hub.MaxEventRooms).
const maxEventRooms = 1000

// eventRun is the conference event of an event run and what its organizer
// saw: the overview, the facilitators' step changes to time it against,
// and the announcement.
type eventRun struct {
	id, key  string
	ov       *overviewClient
	ovServer int // the instance the overview is connected to

	started   chan struct{} // closed at the first facilitator command
	startOnce sync.Once

	mu       sync.Mutex
	nexts    []nextSent
	firstCmd time.Time
	lastCmd  time.Time
	announce *announceResult
	// announceErr is why the announcement request failed, if it did.
	announceErr error
}

// nextSent is a facilitator's "next": the room should show step from sent.
type nextSent struct {
	room *roomInfo
	step int
	sent time.Time
}

// announceResult is the organizer's announcement as sent.
type announceResult struct {
	text      string
	sent      time.Time
	took      time.Duration // the request, until its response
	announced int
}

// onCommand notes the facilitators' commands: the first starts the clock
// of the announcement, and every "next" is timed in the overview.
func (ev *eventRun) onCommand(rm *roomInfo, typ string, data any, sent time.Time) {
	if sent.IsZero() {
		return
	}
	ev.startOnce.Do(func() { close(ev.started) })
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if ev.firstCmd.IsZero() || sent.Before(ev.firstCmd) {
		ev.firstCmd = sent
	}
	if sent.After(ev.lastCmd) {
		ev.lastCmd = sent
	}
	if m, ok := data.(map[string]any); ok && typ == "next" {
		if from, ok := m["from"].(int); ok {
			ev.nexts = append(ev.nexts, nextSent{room: rm, step: from + 1, sent: sent})
		}
	}
}

// runEvent is the conference as one event: the rooms are created with one
// request, the organizer's overview is open on one instance all along,
// every room's facilitator connects with the key from the event's sheet
// and runs the plan while the phones take part, and the organizer sends
// an announcement to every room mid-run. At the end the overview must
// agree with the rooms.
func (r *run) runEvent(ctx context.Context) error {
	sheet, err := createEvent(ctx, r.servers[0].http, r.sc.Plan, "loadgen "+r.sc.Name, r.sc.Rooms)
	if err != nil {
		return err
	}
	ev := &eventRun{id: sheet.Event, key: sheet.Key, started: make(chan struct{}), ovServer: len(r.servers) - 1}
	r.event = ev
	r.logf("event %s created with %d rooms", ev.id, len(sheet.Rooms))
	ev.ov, err = dialOverview(ctx, r.servers[ev.ovServer].ws, ev.id, ev.key, sourceAddr(2_000_000, r.opts.PhonesPerIP))
	if err != nil {
		return err
	}
	start := time.Now()
	if !ev.ov.waitFor(ctx, 2*time.Minute, func(v *ovView) bool { return loadedRooms(v) == len(sheet.Rooms) }) {
		r.note("the overview had not loaded every room within 2 minutes")
	}
	r.logf("overview open on %s, every room loaded after %.1fs", r.servers[ev.ovServer].name, time.Since(start).Seconds())
	rooms, err := r.eventRooms(ctx, sheet)
	if err != nil {
		return err
	}
	r.onCommand = ev.onCommand
	r.status = r.startStatusCache(ctx, 250*time.Millisecond)
	waitProfile := r.startCPUProfiles(ctx, r.sc.Name)
	defer waitProfile()
	plansDone := make(chan struct{})
	announced := make(chan error, 1)
	go func() { announced <- r.announceMidRun(ctx, ev, plansDone) }()
	err = r.runRooms(ctx, rooms)
	close(plansDone)
	if aerr := <-announced; aerr != nil {
		err = errors.Join(err, aerr)
	}
	// What the overview cost and how far behind it was are worth
	// reporting even from a failed run.
	r.overviewFigures(ev)
	if err != nil {
		return err
	}
	r.checkOverview(ctx, ev, rooms)
	return nil
}

func loadedRooms(v *ovView) int {
	n := 0
	for _, rm := range v.Rooms {
		if rm.Loaded {
			n++
		}
	}
	return n
}

// eventRooms adds the event's rooms to the run and connects each room's
// facilitator (on the instances in turn) with the key from the sheet.
func (r *run) eventRooms(ctx context.Context, sheet *eventSheetDoc) ([]*roomInfo, error) {
	n := len(sheet.Rooms)
	rooms := make([]*roomInfo, n)
	for i, sr := range sheet.Rooms {
		_, key, ok := strings.Cut(sr.FacilitatorURL, "#key=")
		if !ok || key == "" {
			return nil, fmt.Errorf("event sheet: room %d has no facilitator key in %q", i, sr.FacilitatorURL)
		}
		rooms[i] = &roomInfo{idx: i, id: sr.Room, code: sr.Code, key: key, phones: r.sc.Phones,
			instance: i % len(r.servers), workers: r.roomWorkers(i, n)}
	}
	r.rooms = append(r.rooms, rooms...)
	// A few at a time: each dial may load the room on its instance.
	sem := make(chan struct{}, 8)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for _, rm := range rooms {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f, err := dialFacilitator(ctx, r.servers[rm.instance].ws, rm.id, rm.key, sourceAddr(1_000_000+rm.idx, r.opts.PhonesPerIP))
			if err != nil {
				errs <- fmt.Errorf("room %d: %w", rm.idx, err)
				return
			}
			rm.fac = f
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	r.logf("%d facilitators connected", n)
	return rooms, nil
}

// announceMidRun sends the organizer's announcement announce_after the
// first facilitator command (or when the plans end, if that is sooner),
// having told the workers which phones should get it.
func (r *run) announceMidRun(ctx context.Context, ev *eventRun, plansDone <-chan struct{}) error {
	if r.sc.AnnounceAfter <= 0 {
		return nil
	}
	select {
	case <-ev.started:
	case <-plansDone:
	case <-ctx.Done():
		return nil
	}
	t := time.NewTimer(r.sc.AnnounceAfter.D())
	defer t.Stop()
	select {
	case <-t.C:
	case <-plansDone:
		r.note("the plans ended before announce_after (%s); the announcement was sent after them", r.sc.AnnounceAfter)
	case <-ctx.Done():
		return nil
	}
	text := "Plenumet starter om 5 minutter (loadgen " + ev.id + ")"
	n := Notice{Text: text, Key: "stoppunkt announce"}
	if err := r.tellWorkers(ctx, n); err != nil {
		return fmt.Errorf("announcement: %w", err)
	}
	var resp struct {
		Announced int `json:"announced"`
		Already   int `json:"already"`
		Moved     int `json:"moved"`
	}
	// Like the overview page, send it with an id and, if some rooms could
	// not take it, send it again with the same id: rooms that have it
	// already do not get it twice.
	id := fmt.Sprintf("loadgen-%d", time.Now().UnixNano())
	sent := time.Now()
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		err = eventRequest(ctx, http.MethodPost, r.servers[(attempt-1)%len(r.servers)].http+"/api/events/"+ev.id+"/announce", ev.key,
			map[string]any{"text": text, "id": id}, http.StatusOK, &resp)
		if err == nil {
			// Every room has it now: sent by this request or an earlier one.
			resp.Announced += resp.Already
			break
		}
		r.mu.Lock()
		r.extraCount("announce_retries")
		r.mu.Unlock()
		r.logf("announcement attempt %d: %v", attempt, err)
		sleepCtx(ctx, time.Second)
	}
	took := time.Since(sent)
	if err != nil {
		// A failed announcement fails its check, not the run: the rooms
		// go on, and the rest is still worth measuring.
		r.count("announce_failed", 1)
		r.logf("announcement failed after %.2fs: %v", took.Seconds(), err)
		ev.mu.Lock()
		ev.announceErr = err
		ev.mu.Unlock()
		return nil
	}
	n.T0 = sent.UnixNano()
	if err := r.tellWorkers(ctx, n); err != nil {
		return fmt.Errorf("announcement: %w", err)
	}
	ev.mu.Lock()
	ev.announce = &announceResult{text: text, sent: sent, took: took, announced: resp.Announced}
	ev.mu.Unlock()
	r.logf("announcement sent to %d rooms; the request took %.2fs", resp.Announced, took.Seconds())
	return nil
}

// tellWorkers sends an announcement to watch for to every worker.
func (r *run) tellWorkers(ctx context.Context, n Notice) error {
	for _, wc := range r.workers {
		if _, err := wc.call(ctx, Msg{Op: opNotice, Notice: &n}); err != nil {
			return err
		}
	}
	return nil
}

// checkOverview lets the overview settle and compares it with the truth:
// every room's participants are the phones that joined it (none leave),
// its step the one its facilitator sees. Then it times every "next" in
// the overview.
func (r *run) checkOverview(ctx context.Context, ev *eventRun, rooms []*roomInfo) {
	status, err := r.statusOf(ctx)
	if err != nil {
		r.check("the overview agrees with the rooms", false, "worker status: %v", err)
		return
	}
	type truth struct{ participants, step int }
	want := make(map[string]truth, len(rooms))
	total := 0
	for _, rm := range rooms {
		_, st, _ := rm.fac.view()
		joined := 0
		if rs := status[rm.id]; rs != nil {
			joined = rs.Joined
		}
		want[rm.id] = truth{participants: joined, step: st.Index}
		total += joined
	}
	var detail string
	compare := func(v *ovView) bool {
		bad, last := 0, ""
		seen := 0
		for _, got := range v.Rooms {
			w, ok := want[got.Room]
			if !ok {
				continue
			}
			seen++
			if !got.Loaded || got.Participants != w.participants || got.Step != w.step {
				bad++
				last = fmt.Sprintf("room %s: loaded %t, %d participants, step %d; the rooms have %d phones, step %d",
					got.Room, got.Loaded, got.Participants, got.Step, w.participants, w.step)
			}
		}
		switch {
		case seen != len(want):
			detail = fmt.Sprintf("the overview shows %d of the %d rooms", seen, len(want))
		case bad > 0:
			detail = fmt.Sprintf("%d room(s) differ, e.g. %s", bad, last)
		case v.Participants != total:
			detail = fmt.Sprintf("the overview counts %d participants, the rooms have %d", v.Participants, total)
		default:
			detail = fmt.Sprintf("%d rooms, %d participants, every room's step", len(want), total)
			return true
		}
		return false
	}
	ok := ev.ov.waitFor(ctx, 20*time.Second, compare)
	r.check("the overview agrees with the rooms", ok, "%s", detail)
	r.mu.Lock()
	rep := r.overview
	r.mu.Unlock()
	if rep != nil {
		r.check("the overview showed every step change", rep.Unseen == 0,
			"%d \"next\" timed, %d never shown", rep.Lag.Count, rep.Unseen)
	}
}

// overviewFigures times every facilitator "next" in the overview and sums
// the overview's traffic from the first command to the last.
func (r *run) overviewFigures(ev *eventRun) {
	ev.mu.Lock()
	nexts := append([]nextSent(nil), ev.nexts...)
	from, to := ev.firstCmd, ev.lastCmd
	ev.mu.Unlock()
	lags := &Histogram{}
	rep := &OverviewReport{}
	for _, n := range nexts {
		lag, skipped, seen := ev.ov.lagOf(n.room.id, n.step, n.sent)
		switch {
		case !seen:
			rep.Unseen++
		case lag < 0:
			r.count("overview_ahead_of_command", 1)
		default:
			lags.Record(lag)
			if skipped {
				rep.Skipped++
			}
		}
	}
	rep.Lag = lags.Summary()
	frames, bytes, sizes := ev.ov.traffic(from, to)
	rep.Seconds = round2(to.Sub(from).Seconds())
	rep.Frames = frames
	if rep.Seconds > 0 {
		rep.FramesPerSec = round2(float64(frames) / rep.Seconds)
		rep.BytesPerSec = round2(float64(bytes) / rep.Seconds)
	}
	if len(sizes) > 0 {
		rep.SizeP50, rep.SizeMax = sizes[len(sizes)/2], sizes[len(sizes)-1]
	}
	ev.ov.mu.Lock()
	rep.Connects = ev.ov.connects
	ev.ov.mu.Unlock()
	r.mu.Lock()
	r.overview = rep
	r.mu.Unlock()
	r.result("overview frames per second", rep.FramesPerSec, "/s", "", nil)
	r.result("overview bytes per second", rep.BytesPerSec/1024, "KB/s", "", nil)
	r.result("overview frame size p50", float64(rep.SizeP50)/1024, "KB", "", nil)
	r.result("overview frame size max", float64(rep.SizeMax)/1024, "KB", "", nil)
	r.result("overview lag p50 (next sent → overview shows it)", rep.Lag.P50ms, "ms", "", nil)
	r.result("overview lag p99", rep.Lag.P99ms, "ms", "", nil)
	r.result("overview lag max", rep.Lag.MaxMs, "ms", "", nil)
}

// finishEvent checks the announcement, the event's report against what
// the phones had acknowledged, and the overview's connection; closes the
// event; then checks every room as a session is checked.
func (r *run) finishEvent(ctx context.Context, wr *WorkerReport) {
	ev := r.event
	c := wr.Counters
	ev.mu.Lock()
	ann, annErr := ev.announce, ev.announceErr
	ev.mu.Unlock()
	if annErr != nil {
		r.check("every phone got the announcement exactly once", false, "the request failed: %v", annErr)
	}
	if ann != nil {
		got := c["announcement_live"] + c["announcement_replayed"] + c["announcement_snapshot"]
		r.check("every phone got the announcement exactly once", ann.announced == len(r.rooms) &&
			c["announcement_missing"] == 0 && c["announcement_twice"] == 0 && c["announcement_unexpected"] == 0,
			"%d rooms announced of %d; %d phones got it (%d live, %d replayed, %d only in a snapshot), %d missed it, %d twice, %d unexpected",
			ann.announced, len(r.rooms), got, c["announcement_live"], c["announcement_replayed"], c["announcement_snapshot"],
			c["announcement_missing"], c["announcement_twice"], c["announcement_unexpected"])
		all := &Histogram{}
		for k, h := range wr.Hists {
			if strings.HasPrefix(k, "stoppunkt announce/") {
				all.Merge(h)
			}
		}
		s := all.Summary()
		r.result(fmt.Sprintf("announcement request (%d rooms, sent → response)", len(r.rooms)), ann.took.Seconds()*1000, "ms", "", nil)
		r.result("announcement delivery p50 (request sent → phone has it)", s.P50ms, "ms", "", nil)
		r.result("announcement delivery p99", s.P99ms, "ms", "", nil)
		r.result("announcement delivery max", s.MaxMs, "ms", "", nil)
	} else if r.sc.AnnounceAfter > 0 && annErr == nil {
		r.check("every phone got the announcement exactly once", false, "the announcement was not sent")
	}
	r.checkEventReport(ctx, ev, wr)
	if err := eventRequest(ctx, http.MethodPost, r.servers[0].http+"/api/events/"+ev.id+"/close", ev.key, nil, http.StatusNoContent, nil); err != nil {
		r.check("the event closes", false, "%v", err)
	} else {
		r.check("the event closes", true, "")
	}
	oe := ev.ov.errorCounts()
	n := 0
	for _, v := range oe {
		n += v
	}
	r.check("the overview stayed connected", n == 0, "%d close(s) or bad frames: %v", n, oe)
	r.finishSession(ctx, wr)
}

// eventReportDoc is the part of the event's report loadgen checks.
type eventReportDoc struct {
	Rooms        int `json:"rooms"`
	Participants int `json:"participants"`
	Totals       []struct {
		Index    int    `json:"index"`
		Kind     string `json:"kind"`
		Answered int    `json:"answered"`
	} `json:"totals"`
}

// checkEventReport compares the event's report (totals across rooms) with
// the answers the phones had acknowledged.
func (r *run) checkEventReport(ctx context.Context, ev *eventRun, wr *WorkerReport) {
	var doc eventReportDoc
	if err := eventRequest(ctx, http.MethodGet, r.servers[0].http+"/api/events/"+ev.id+"/report?format=json", ev.key,
		nil, http.StatusOK, &doc); err != nil {
		r.check("the event's report counts every acknowledged answer", false, "%v", err)
		return
	}
	var problems []string
	if doc.Rooms != len(r.rooms) {
		problems = append(problems, fmt.Sprintf("%d rooms, want %d", doc.Rooms, len(r.rooms)))
	}
	if joined := int(wr.Counters["joined"]); doc.Participants != joined {
		problems = append(problems, fmt.Sprintf("%d participants, %d phones joined", doc.Participants, joined))
	}
	answers := 0
	for _, t := range doc.Totals {
		if !takesAnswers(t.Kind) {
			continue
		}
		want := 0
		for _, rm := range r.rooms {
			want += wr.Answered[rm.id][t.Index]
		}
		answers += want
		if t.Answered != want {
			problems = append(problems, fmt.Sprintf("step %d (%s): %d answered, phones had %d acknowledged", t.Index, t.Kind, t.Answered, want))
		}
	}
	detail := fmt.Sprintf("%d rooms, %d participants, %d answers in the totals", doc.Rooms, doc.Participants, answers)
	if len(problems) > 0 {
		detail = strings.Join(problems, "; ")
	}
	r.check("the event's report counts every acknowledged answer", len(problems) == 0, "%s", detail)
}

// eventSheetDoc is the part of the event's sheet loadgen uses.
type eventSheetDoc struct {
	Event string `json:"event"`
	Key   string `json:"key"`
	Rooms []struct {
		Room           string `json:"room"`
		Code           string `json:"code"`
		FacilitatorURL string `json:"facilitator_url"`
	} `json:"rooms"`
}

// createEvent creates a conference event of n rooms (from loopback no
// access code is needed) and returns its sheet with the organizer key.
func createEvent(ctx context.Context, base, planID, name string, n int) (*eventSheetDoc, error) {
	var sheet eventSheetDoc
	err := eventRequest(ctx, http.MethodPost, base+"/api/events", "", map[string]any{"plan": planID, "name": name, "rooms": n},
		http.StatusCreated, &sheet)
	if err != nil {
		return nil, fmt.Errorf("create event of %d rooms: %w", n, err)
	}
	if sheet.Event == "" || sheet.Key == "" || len(sheet.Rooms) != n {
		return nil, fmt.Errorf("create event: the sheet has event %q, %d rooms, a key: %t", sheet.Event, len(sheet.Rooms), sheet.Key != "")
	}
	return &sheet, nil
}

// eventRequest makes one REST request about an event, with the organizer
// key, and decodes the JSON response into out (if not nil).
func eventRequest(ctx context.Context, method, url, key string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, url, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read the response: %w", method, url, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s: %.300s", method, url, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, url, err)
		}
	}
	return nil
}

// extraCount adds one to a counter kept in the report's extra figures
// (not an error). Called with r.mu held.
func (r *run) extraCount(key string) {
	if r.extra == nil {
		r.extra = map[string]any{}
	}
	n, _ := r.extra[key].(int)
	r.extra[key] = n + 1
}
