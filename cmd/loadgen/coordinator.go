package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// Options are the run settings from the command line, shared by every
// scenario of one invocation.
type Options struct {
	ServerBin   string        // stoppunkt binary to start
	URLs        []string      // target running servers (http base URLs) instead
	ServerPIDs  []int         // their pids, for CPU and RSS
	BaselineURL string        // target a running baseline server instead
	BaselinePID int           // its pid
	NATSURL     string        // the NATS the target servers use
	AllowHosts  []string      // non-loopback hosts named explicitly
	Deadline    time.Duration // hard limit for the whole invocation
	MaxPhones   int
	PerWorker   int // most sockets one worker process holds
	PhonesPerIP int
	JoinRateCap float64 // --join-rate and --message-rate for servers loadgen starts
	ProfileDir  string
	ProfileSecs int
	Pprof       bool // start servers with --pprof-addr on a free loopback port
	BaseDir     string
	Keep        bool
	Series      bool    // keep the per-second server samples in the JSON
	PlotPath    string  // where a soak writes its SVG plot
	NATSNoSync  bool    // start loadgen's NATS without fsync on every write (diagnosis only)
	QuietCPU    float64 // wait until the CPUs are less busy than this share before each scenario
	ServerFlags []string
	Log         io.Writer
	// Spawn starts worker i; the default re-executes this binary.
	Spawn func(ctx context.Context, r *run, i int) (*workerConn, error)
}

// server is one system under test: a stoppunkt instance, or the baseline.
type server struct {
	name  string
	http  string // http://host:port
	ws    string // ws://host:port/ws
	pid   int
	watch *procWatch
	pprof string // host:port of its pprof server, if any
	child *child
}

// roomInfo is a room loadgen created.
type roomInfo struct {
	idx      int
	id       string
	code     string
	key      string
	workers  []int
	phones   int
	instance int
	fac      *facilitator
}

// run is one scenario being run.
type run struct {
	opts *Options
	sc   Scenario
	dir  string
	t0   time.Time

	children []*child
	servers  []*server
	natsURL  string
	nats     *server
	baseline *server
	workers  []*workerConn
	// workerProcs are the worker processes, watched to show what the load
	// generator itself costs on the shared machine.
	workerProcs []*server
	loadStart   float64
	// Machine CPU ticks and this process's CPU at the start, to tell what
	// others used meanwhile.
	busyStart    uint64
	selfCPUStart float64
	rooms        []*roomInfo
	nextPhone    int
	plansDir     string

	barrier *barrier
	status  *statusCache

	mu      sync.Mutex
	facHist Histograms
	counts  map[string]int64
	notes   []string
	rounds  []Round
	results []Result
	checks  []Check
	extra   map[string]any

	// onCommand, if set, is told of every command a facilitator had
	// acknowledged, with when its first attempt was sent.
	onCommand func(rm *roomInfo, typ string, data any, sent time.Time)
	// event is the conference event of an event run.
	event *eventRun
	// overview is what the organizer's overview measured (event runs).
	overview *OverviewReport
}

// logf prints a progress line, unless quiet.
func (r *run) logf(format string, args ...any) {
	if r.opts.Log != nil {
		fmt.Fprintf(r.opts.Log, "[%6.1fs %s] %s\n", time.Since(r.t0).Seconds(), r.sc.Name, fmt.Sprintf(format, args...))
	}
}

// note adds a line to the report's notes.
func (r *run) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// count adds to one of the coordinator's own error counters.
func (r *run) count(key string, n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[key] += n
}

// setup starts (or finds) the servers, the baseline and the workers.
func (r *run) setup(ctx context.Context) error {
	dir, err := runDir(r.opts.BaseDir, r.sc.Name)
	if err != nil {
		return err
	}
	r.dir = dir
	r.plansDir = filepath.Join(dir, "plans")
	if err := writePlans(r.plansDir); err != nil {
		return err
	}
	if len(r.opts.URLs) > 0 {
		if err := r.targetServers(); err != nil {
			return err
		}
	} else if err := r.startServers(ctx); err != nil {
		return err
	}
	if r.sc.Baseline {
		if err := r.targetOrStartBaseline(ctx); err != nil {
			return err
		}
	}
	return r.startWorkers(ctx)
}

// watched lists every process whose resources are sampled.
func (r *run) watched() []*server {
	var out []*server
	for _, s := range r.servers {
		if s.watch != nil {
			out = append(out, s)
		}
	}
	if r.nats != nil {
		out = append(out, r.nats)
	}
	if r.baseline != nil {
		out = append(out, r.baseline)
	}
	return append(out, r.workerProcs...)
}

// stoppunktCPU sums the CPU time of the system under test: every instance
// and the NATS server they share.
func (r *run) stoppunktCPU() time.Duration {
	var total time.Duration
	for _, s := range r.servers {
		if s.watch != nil {
			total += s.watch.Sample().CPU
		}
	}
	if r.nats != nil {
		total += r.nats.watch.Sample().CPU
	}
	return total
}

// startWorkers starts enough workers that none holds more than
// PerWorker phones, and tells each the run's settings.
func (r *run) startWorkers(ctx context.Context) error {
	per := max(r.opts.PerWorker, 100)
	n := max((r.sc.TotalPhones()+per-1)/per, 1)
	deadline, _ := ctx.Deadline()
	for i := 0; i < n; i++ {
		wc, err := r.opts.Spawn(ctx, r, i)
		if err != nil {
			return err
		}
		r.workers = append(r.workers, wc)
		if wc.pid > 0 {
			name := "loadgen-worker-" + strconv.Itoa(i+1)
			r.workerProcs = append(r.workerProcs, &server{name: name, pid: wc.pid, watch: newProcWatch(name, wc.pid)})
		}
		init := &WorkerInit{Index: i, PhonesPerIP: r.opts.PhonesPerIP, DeadlineUnixMs: deadline.UnixMilli()}
		if _, err := wc.call(ctx, Msg{Op: opInit, Init: init}); err != nil {
			return err
		}
	}
	r.logf("%d worker(s)", n)
	return nil
}

// teardown stops everything this run started, in order: phones first,
// then servers, so that no phone counts the servers' goodbyes as errors.
func (r *run) teardown() {
	var wg sync.WaitGroup
	for _, wc := range r.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, _ = wc.call(ctx, Msg{Op: opStop})
			_ = wc.stop()
		}()
	}
	wg.Wait()
	for _, rm := range r.rooms {
		if rm.fac != nil {
			rm.fac.close()
		}
	}
	if r.event != nil && r.event.ov != nil {
		r.event.ov.close()
	}
	for i := len(r.children) - 1; i >= 0; i-- {
		r.children[i].stop(10 * time.Second)
	}
}

// createRooms creates n rooms from the scenario's plan on the instances in
// turn, and connects their facilitators.
func (r *run) createRooms(ctx context.Context, n int) error {
	_, err := r.addRooms(ctx, n)
	return err
}

// addRooms is createRooms returning the rooms it added to r.rooms.
func (r *run) addRooms(ctx context.Context, n int) ([]*roomInfo, error) {
	first := len(r.rooms)
	maxP := 0
	if r.sc.Phones > 5000 {
		maxP = min(r.sc.Phones+100, 20000)
	}
	for i := 0; i < n; i++ {
		inst := i % len(r.servers)
		created, err := createRoom(ctx, r.servers[inst].http, r.sc.Plan, maxP)
		if err != nil {
			return nil, err
		}
		rm := &roomInfo{idx: i, id: created.Room, code: created.Code, key: created.Key, phones: r.sc.Phones, instance: inst,
			workers: r.roomWorkers(i, n)}
		if !r.sc.NoFacilitator {
			f, err := dialFacilitator(ctx, r.servers[inst].ws, rm.id, rm.key, sourceAddr(1_000_000+i, r.opts.PhonesPerIP))
			if err != nil {
				return nil, fmt.Errorf("room %d: %w", i, err)
			}
			rm.fac = f
		}
		r.rooms = append(r.rooms, rm)
	}
	r.logf("%d room(s) created", n)
	return r.rooms[first:], nil
}

// roomWorkers picks the workers that hold room i of n: one each when
// there are at least as many rooms as workers, else all of them.
func (r *run) roomWorkers(i, n int) []int {
	if len(r.workers) > 0 && n >= len(r.workers) {
		return []int{i % len(r.workers)}
	}
	out := make([]int, 0, len(r.workers))
	for w := range r.workers {
		out = append(out, w)
	}
	return out
}

type createdRoom struct {
	Room string `json:"room"`
	Code string `json:"code"`
	Key  string `json:"key"`
}

// createRoom creates a room through the REST API (from loopback no access
// code is needed).
func createRoom(ctx context.Context, base, planID string, maxParticipants int) (createdRoom, error) {
	var out createdRoom
	body, _ := json.Marshal(map[string]any{"plan": planID, "max_participants": maxParticipants})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/rooms", bytes.NewReader(body))
	if err != nil {
		return out, fmt.Errorf("create room: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return out, fmt.Errorf("create room: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return out, fmt.Errorf("create room from plan %s: %s: %s", planID, resp.Status, bytes.TrimSpace(b))
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("create room: %w", err)
	}
	return out, nil
}

// phoneSpec asks for count phones in a room.
type phoneSpec struct {
	room     *roomInfo
	label    string
	count    int
	urls     []string
	raw      bool
	behavior Behavior
}

// addPhones connects every spec's phones, all at once, at the scenario's
// join rate in total, and returns how many connected and failed.
func (r *run) addPhones(ctx context.Context, specs []phoneSpec) (AddResult, error) {
	total := 0
	for _, s := range specs {
		total += s.count
	}
	var mu sync.Mutex
	var sum AddResult
	var firstErr error
	var wg sync.WaitGroup
	for _, s := range specs {
		ws := s.room.workers
		roomID := s.room.id
		if s.raw {
			roomID = "baseline"
		}
		for k, wi := range ws {
			n := s.count / len(ws)
			if k < s.count%len(ws) {
				n++
			}
			if n == 0 {
				continue
			}
			rate := 0.0
			if r.sc.JoinRate > 0 && total > 0 {
				rate = r.sc.JoinRate * float64(n) / float64(total)
			}
			b := &Batch{Label: s.label, Room: roomID, Code: s.room.code, URLs: s.urls, First: r.nextPhone,
				Count: n, Rate: rate, Behavior: s.behavior, Raw: s.raw}
			r.nextPhone += n
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := r.workers[wi].call(ctx, Msg{Op: opAdd, Batch: b})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					return
				}
				sum.Connected += m.Added.Connected
				sum.Failed += m.Added.Failed
			}()
		}
	}
	wg.Wait()
	return sum, firstErr
}

// stoppunktURLs is every instance's websocket URL.
func (r *run) stoppunktURLs() []string {
	out := make([]string, len(r.servers))
	for i, s := range r.servers {
		out[i] = s.ws
	}
	return out
}

// command has a room's facilitator send a command, times its ack, and
// marks its event for the phones. With wait, it returns once every phone
// has the event (or after a timeout).
//
// Like a person at a dashboard, it tries again after a retryable refusal
// (the server could not store the command in time); if the retry is then
// refused as stale (or, for end, because the room has ended), the first
// attempt took effect and nothing is marked.
func (r *run) command(ctx context.Context, rm *roomInfo, key, typ string, data any, wait bool) (uint64, error) {
	var sent, firstSent time.Time
	var seq uint64
	var err error
	retried := false
	for attempt := 1; ; attempt++ {
		sent, seq, err = rm.fac.command(ctx, typ, data)
		if firstSent.IsZero() {
			firstSent = sent
		}
		if !sent.IsZero() {
			r.mu.Lock()
			r.facHist.Get("command " + typ).Record(time.Since(sent))
			r.mu.Unlock()
		}
		we := asWireError(err)
		switch {
		case err == nil:
		case we != nil && we.Retry && attempt < 4:
			r.count("facilitator_retry:"+string(we.Code), 1)
			retried = true
			sleepCtx(ctx, 500*time.Millisecond)
			continue
		case we != nil && retried && (we.Code == wire.CodeStale || typ == wire.TypeEnd && we.Code == wire.CodeEnded):
			if r.onCommand != nil {
				r.onCommand(rm, typ, data, firstSent)
			}
			return 0, nil
		case we != nil:
			r.count("facilitator:"+string(we.Code), 1)
			return 0, fmt.Errorf("room %d: %s: %w", rm.idx, typ, err)
		default:
			r.count("facilitator:lost", 1)
			return 0, fmt.Errorf("room %d: %s: %w", rm.idx, typ, err)
		}
		break
	}
	if r.onCommand != nil {
		r.onCommand(rm, typ, data, firstSent)
	}
	if types := commandTypes[typ]; len(types) > 0 {
		// Commands that change nothing phones see (moderate) are not marked.
		r.mark(ctx, rm.id, rm.workers, seq, sent, key+" "+typ, types, wait)
	}
	return seq, nil
}

// mark tells the room's workers about an event; with wait it blocks until
// they report that every phone has it, and returns how many phones got it.
func (r *run) mark(ctx context.Context, roomID string, workers []int, seq uint64, sent time.Time, key string, types []string, wait bool) int {
	var w *bwait
	if wait {
		w = r.barrier.expect(roomID, seq, len(workers))
	}
	for _, wi := range workers {
		_ = r.workers[wi].send(Msg{Op: opMark, Mark: &Mark{Room: roomID, Seq: seq, T0: sent.UnixNano(), Key: key, Types: types, Barrier: wait}})
	}
	if w == nil {
		return 0
	}
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		r.count("barrier_timeout", 1)
		r.note("event %d of %s did not reach every phone within 30s", seq, roomID)
	case <-ctx.Done():
	}
	return w.result()
}

// collect asks every worker for its report and merges them.
func (r *run) collect(ctx context.Context) (*WorkerReport, error) {
	all := &WorkerReport{Hists: Histograms{}, Counters: map[string]int64{}, Bursts: map[string]*Burst{}, Answered: map[string]map[int]int{}}
	for _, wc := range r.workers {
		m, err := wc.call(ctx, Msg{Op: opReport})
		if err != nil {
			return nil, err
		}
		rep := m.Report
		all.Hists.Merge(rep.Hists)
		for k, v := range rep.Counters {
			all.Counters[k] += v
		}
		for k, b := range rep.Bursts {
			if cur := all.Bursts[k]; cur != nil {
				cur.Sent += b.Sent
				cur.Acked += b.Acked
				cur.LastAck = max(cur.LastAck, b.LastAck)
				if b.FirstSend != 0 && (cur.FirstSend == 0 || b.FirstSend < cur.FirstSend) {
					cur.FirstSend = b.FirstSend
				}
			} else {
				all.Bursts[k] = b
			}
		}
		for roomID, steps := range rep.Answered {
			if all.Answered[roomID] == nil {
				all.Answered[roomID] = map[int]int{}
			}
			for s, n := range steps {
				all.Answered[roomID][s] += n
			}
		}
	}
	return all, nil
}

// statusOf asks every worker for its counts and sums them per room.
func (r *run) statusOf(ctx context.Context) (map[string]*RoomStatus, error) {
	out := map[string]*RoomStatus{}
	for _, wc := range r.workers {
		m, err := wc.call(ctx, Msg{Op: opStatus})
		if err != nil {
			return nil, err
		}
		for id, rs := range m.Status.Rooms {
			cur := out[id]
			if cur == nil {
				cur = &RoomStatus{Done: map[int]int{}}
				out[id] = cur
			}
			cur.Joined += rs.Joined
			cur.Connected += rs.Connected
			cur.Pending += rs.Pending
			cur.StepBytes = max(cur.StepBytes, rs.StepBytes)
			for s, n := range rs.Done {
				cur.Done[s] += n
			}
		}
	}
	return out, nil
}

// setChurn starts or stops churn on every worker.
func (r *run) setChurn(ctx context.Context, label string, c Churn) error {
	for _, wc := range r.workers {
		if _, err := wc.call(ctx, Msg{Op: opChurn, Batch: &Batch{Label: label}, Churn: &c}); err != nil {
			return err
		}
	}
	return nil
}
