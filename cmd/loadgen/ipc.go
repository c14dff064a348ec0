package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// The coordinator and its workers talk in JSON lines: requests on the
// worker's stdin, replies and events on its stdout. A request with an ID
// gets exactly one reply with the same ID.

// Operations.
const (
	opInit      = "init"      // coordinator → worker: settings for the whole run
	opAdd       = "add"       // add a batch of phones; reply when all have dialled
	opMark      = "mark"      // a command's event: match frames of this seq
	opChurn     = "churn"     // start (or with Every 0 stop) dropping phones
	opStatus    = "status"    // reply with counts per room
	opReport    = "report"    // reply with everything measured
	opStop      = "stop"      // close every phone, reply, exit
	opForget    = "forget"    // close a room's phones and fold its figures into the totals
	opNotice    = "notice"    // an organizer's announcement: who should get it, when it was sent
	opReply     = "reply"     // worker → coordinator: the answer to a request
	opDelivered = "delivered" // worker → coordinator: every phone has a mark's event
)

// Msg is one line of the coordinator–worker protocol.
type Msg struct {
	Op  string `json:"op"`
	ID  uint64 `json:"id,omitempty"`
	Err string `json:"err,omitempty"`

	Init      *WorkerInit   `json:"init,omitempty"`
	Batch     *Batch        `json:"batch,omitempty"`
	Mark      *Mark         `json:"mark,omitempty"`
	Churn     *Churn        `json:"churn,omitempty"`
	Added     *AddResult    `json:"added,omitempty"`
	Delivered *Delivered    `json:"delivered,omitempty"`
	Status    *WorkerStatus `json:"status,omitempty"`
	Report    *WorkerReport `json:"report,omitempty"`
	// Room names the room of opForget.
	Room string `json:"room,omitempty"`
	// Notice is an announcement to watch for (opNotice).
	Notice *Notice `json:"notice,omitempty"`
}

// WorkerInit configures a worker.
type WorkerInit struct {
	Index int `json:"index"`
	// PhonesPerIP is how many phones share one loopback source address.
	PhonesPerIP int `json:"phones_per_ip"`
	// DeadlineUnixMs is when the worker gives up and exits on its own.
	DeadlineUnixMs int64 `json:"deadline"`
}

// Batch is a group of phones to connect to one room.
type Batch struct {
	// Label names the system under test ("stoppunkt" or "baseline"); it
	// prefixes histogram names.
	Label string `json:"label"`
	Room  string `json:"room"`
	// Code is the join code; empty for the raw baseline.
	Code string `json:"code,omitempty"`
	// URLs are websocket URLs; phone g starts at URLs[g % len] and moves
	// on to the next on reconnect.
	URLs  []string `json:"urls"`
	First int      `json:"first"` // global index of the first phone
	Count int      `json:"count"`
	// Rate is dials per second for this batch in this worker (0: no limit).
	Rate     float64  `json:"rate"`
	Behavior Behavior `json:"behavior"`
	// Raw phones only read (the baseline server speaks no protocol).
	Raw bool `json:"raw,omitempty"`
}

// AddResult tells how a batch went.
type AddResult struct {
	Connected int `json:"connected"`
	Failed    int `json:"failed"`
}

// Mark tells workers that the event at Seq in Room was caused by a
// command sent at T0, so that each phone's frames of that event can be
// timed. Types lists the frame types to time; the first is the one every
// phone must get.
type Mark struct {
	Room  string   `json:"room"`
	Seq   uint64   `json:"seq"`
	T0    int64    `json:"t0"` // Unix nanoseconds, wall clock of this machine
	Key   string   `json:"key"`
	Types []string `json:"types"`
	// Barrier asks for a "delivered" event once every phone of the room in
	// this worker has the event.
	Barrier bool `json:"barrier,omitempty"`
}

// Delivered says that every phone of a worker has a mark's event.
type Delivered struct {
	Room     string `json:"room"`
	Seq      uint64 `json:"seq"`
	Matched  int    `json:"matched"`
	Expected int    `json:"expected"`
}

// WorkerStatus is a worker's current counts.
type WorkerStatus struct {
	Phones    int                    `json:"phones"`
	Connected int                    `json:"connected"`
	Rooms     map[string]*RoomStatus `json:"rooms"`
}

// RoomStatus is one room as a worker sees it.
type RoomStatus struct {
	Joined    int `json:"joined"`
	Connected int `json:"connected"`
	// Done counts phones by the step whose actions they have finished.
	Done map[int]int `json:"done"`
	// Pending counts submissions not yet acknowledged.
	Pending int `json:"pending"`
	// StepBytes is the size of the last participant step frame seen.
	StepBytes int `json:"step_bytes"`
}

// Burst is the span of one step's submissions in one room.
type Burst struct {
	FirstSend int64 `json:"first_send"` // Unix ns
	LastAck   int64 `json:"last_ack"`   // Unix ns
	Sent      int   `json:"sent"`
	Acked     int   `json:"acked"`
}

// WorkerReport is everything a worker measured.
type WorkerReport struct {
	Hists    Histograms       `json:"hists"`
	Counters map[string]int64 `json:"counters"`
	// Bursts by "room/step".
	Bursts map[string]*Burst `json:"bursts"`
	// Answered counts, by room and step, the phones whose answer to the
	// step was acknowledged. Other checks are counters ("missing_event",
	// "unacked", "duplicate_ack", ...).
	Answered map[string]map[int]int `json:"answered"`
}

// msgConn reads and writes Msgs over a pair of streams.
type msgConn struct {
	wmu sync.Mutex
	enc *json.Encoder
	bw  *bufio.Writer
	sc  *bufio.Scanner
}

func newMsgConn(r io.Reader, w io.Writer) *msgConn {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	bw := bufio.NewWriterSize(w, 64<<10)
	return &msgConn{enc: json.NewEncoder(bw), bw: bw, sc: sc}
}

// write sends one message.
func (c *msgConn) write(m Msg) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.enc.Encode(m); err != nil {
		return fmt.Errorf("write %s: %w", m.Op, err)
	}
	return c.bw.Flush()
}

// read returns the next message; io.EOF when the stream ends.
func (c *msgConn) read() (Msg, error) {
	var m Msg
	if !c.sc.Scan() {
		if err := c.sc.Err(); err != nil {
			return m, fmt.Errorf("read: %w", err)
		}
		return m, io.EOF
	}
	if err := json.Unmarshal(c.sc.Bytes(), &m); err != nil {
		return m, fmt.Errorf("read: bad line: %w", err)
	}
	return m, nil
}

// workerConn is the coordinator's end of one worker.
type workerConn struct {
	idx  int
	pid  int // 0 for an in-process worker
	conn *msgConn
	stop func() error // ends the worker (waits for the process)

	nextID  atomic.Uint64
	mu      sync.Mutex
	waiting map[uint64]chan Msg
	closed  bool

	onDelivered func(Delivered)
	done        chan struct{}
}

func newWorkerConn(idx, pid int, r io.Reader, w io.Writer, stop func() error, onDelivered func(Delivered)) *workerConn {
	wc := &workerConn{idx: idx, pid: pid, conn: newMsgConn(r, w), stop: stop,
		waiting: map[uint64]chan Msg{}, onDelivered: onDelivered, done: make(chan struct{})}
	go wc.readLoop()
	return wc
}

// readLoop routes the worker's replies and events.
func (wc *workerConn) readLoop() {
	defer close(wc.done)
	for {
		m, err := wc.conn.read()
		if err != nil {
			wc.mu.Lock()
			wc.closed = true
			for id, ch := range wc.waiting {
				ch <- Msg{Op: opReply, ID: id, Err: "worker ended"}
				delete(wc.waiting, id)
			}
			wc.mu.Unlock()
			return
		}
		switch m.Op {
		case opReply:
			wc.mu.Lock()
			ch := wc.waiting[m.ID]
			delete(wc.waiting, m.ID)
			wc.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		case opDelivered:
			if m.Delivered != nil && wc.onDelivered != nil {
				wc.onDelivered(*m.Delivered)
			}
		}
	}
}

// call sends a request and waits for its reply.
func (wc *workerConn) call(ctx context.Context, m Msg) (Msg, error) {
	m.ID = wc.nextID.Add(1)
	ch := make(chan Msg, 1)
	wc.mu.Lock()
	if wc.closed {
		wc.mu.Unlock()
		return Msg{}, fmt.Errorf("worker %d: %s: worker ended", wc.idx, m.Op)
	}
	wc.waiting[m.ID] = ch
	wc.mu.Unlock()
	if err := wc.conn.write(m); err != nil {
		wc.mu.Lock()
		delete(wc.waiting, m.ID)
		wc.mu.Unlock()
		return Msg{}, fmt.Errorf("worker %d: %w", wc.idx, err)
	}
	select {
	case r := <-ch:
		if r.Err != "" {
			return r, fmt.Errorf("worker %d: %s: %s", wc.idx, m.Op, r.Err)
		}
		return r, nil
	case <-ctx.Done():
		wc.mu.Lock()
		delete(wc.waiting, m.ID)
		wc.mu.Unlock()
		return Msg{}, fmt.Errorf("worker %d: %s: %w", wc.idx, m.Op, ctx.Err())
	}
}

// send writes a message that has no reply.
func (wc *workerConn) send(m Msg) error {
	if err := wc.conn.write(m); err != nil {
		return fmt.Errorf("worker %d: %w", wc.idx, err)
	}
	return nil
}
