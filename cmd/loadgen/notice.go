package main

import (
	"encoding/json"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
)

// An organizer's announcement goes through every room's log, so a phone
// that is away when it is sent gets it replayed when it comes back, or in
// the snapshot if its gap could not be replayed. Workers count, for every
// phone that had joined when the announcement was sent, how many frames of
// it arrived, and time the first against the moment the organizer sent it.

// Notice is an announcement workers watch for, known by its text (the
// server makes up its id). The coordinator sends it twice: before the
// request, without T0, so that workers note which phones should get it;
// after, with T0, the time the request was sent.
type Notice struct {
	Text string `json:"text"`
	Key  string `json:"key"`          // histogram name prefix, e.g. "stoppunkt announce"
	T0   int64  `json:"t0,omitempty"` // Unix ns, wall clock of this machine
}

// noticeWatch is one announcement in one worker.
type noticeWatch struct {
	Notice
	expected map[*phone]bool // phones that had joined when it was sent
}

// phoneNotice is what one phone got of one announcement. Guarded by the
// phone's mu.
type phoneNotice struct {
	frames int   // announcement frames, live or replayed
	first  int64 // Unix ns of the first
	replay bool  // the first was a replay
	snap   bool  // a snapshot carried it
}

// noticeInfo is the part of an announcement a phone reads.
type noticeInfo struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// notice registers an announcement (or, with T0, says when it was sent).
func (wk *worker) notice(n Notice) {
	wk.mu.Lock()
	defer wk.mu.Unlock()
	if wk.notices == nil {
		wk.notices = map[string]*noticeWatch{}
	}
	if w := wk.notices[n.Text]; w != nil {
		if n.T0 != 0 {
			w.T0 = n.T0
		}
		return
	}
	w := &noticeWatch{Notice: n, expected: map[*phone]bool{}}
	for _, p := range wk.phones {
		if p.joinedSeq.Load() > 0 && !p.b.Raw {
			w.expected[p] = true
		}
	}
	wk.notices[n.Text] = w
}

// onNotice records an announcement frame.
func (p *phone) onNotice(env wsclient.Envelope, now time.Time, replay bool) {
	var n noticeInfo
	if err := json.Unmarshal(env.Data, &n); err != nil {
		p.w.count("bad_frame", 1)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pn := p.noticeOf(n.Text)
	pn.frames++
	if pn.frames == 1 {
		pn.first, pn.replay = now.UnixNano(), replay
	}
}

// noticeInSnapshot records that a snapshot carried an announcement. Called
// with mu held.
func (p *phone) noticeInSnapshot(n *noticeInfo) {
	if n != nil {
		p.noticeOf(n.Text).snap = true
	}
}

// noticeOf returns the phone's record of an announcement. Called with mu
// held.
func (p *phone) noticeOf(text string) *phoneNotice {
	if p.notices == nil {
		p.notices = map[string]*phoneNotice{}
	}
	pn := p.notices[text]
	if pn == nil {
		pn = &phoneNotice{}
		p.notices[text] = pn
	}
	return pn
}

// noticeReport adds the announcements' delivery times and counts to a
// worker report: announcement_missing (a phone that had joined got it
// neither as a frame nor in a snapshot), announcement_twice (more than one
// frame), announcement_unexpected (an announcement no one sent), and, not
// errors, how each phone got it.
func (wk *worker) noticeReport(rep *WorkerReport) {
	wk.mu.Lock()
	phones := append([]*phone(nil), wk.phones...)
	watches := make([]*noticeWatch, 0, len(wk.notices))
	for _, w := range wk.notices {
		watches = append(watches, w)
	}
	wk.mu.Unlock()
	for _, p := range phones {
		p.mu.Lock()
		for text := range p.notices {
			if w := findWatch(watches, text); w == nil {
				rep.Counters["announcement_unexpected"]++
			}
		}
		for _, w := range watches {
			pn := p.notices[w.Text]
			switch {
			case pn != nil && pn.frames > 0:
				if pn.frames > 1 {
					rep.Counters["announcement_twice"]++
				}
				key := w.Key + "/announcement"
				if pn.replay {
					key += " (replayed)"
					rep.Counters["announcement_replayed"]++
				} else {
					rep.Counters["announcement_live"]++
				}
				if w.T0 != 0 {
					rep.Hists.Get(key).Record(time.Duration(pn.first - w.T0))
				}
			case !w.expected[p]:
			case pn != nil && pn.snap:
				rep.Counters["announcement_snapshot"]++
			default:
				rep.Counters["announcement_missing"]++
			}
		}
		p.mu.Unlock()
	}
}

func findWatch(ws []*noticeWatch, text string) *noticeWatch {
	for _, w := range ws {
		if w.Text == text {
			return w
		}
	}
	return nil
}
