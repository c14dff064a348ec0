package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/report"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// TestKillOneOfTwoMidVote is the small kill test that runs in `make
// test`: two stoppunkt processes, 150 phones on each, and the first
// process killed with SIGKILL when a third of the votes are acknowledged
// (the rest are still to be sent, some of them by phones of the killed
// process, which send them again once they are back). Every phone comes
// back on the survivor, and every acknowledged vote and text is in the
// report exactly once. Waits poll with generous deadlines; nothing is
// timed.
func TestKillOneOfTwoMidVote(t *testing.T) {
	killMidVote(t, killRun{instances: 2, perInstance: 150, inFlight: 16, backWithin: 2 * time.Minute, timeout: 5 * time.Minute})
}

// killRun sizes a kill test.
type killRun struct {
	instances   int
	perInstance int           // phones whose first instance is each one
	inFlight    int           // votes on their way at once
	backWithin  time.Duration // from the kill, for every phone to be back on a survivor
	timeout     time.Duration // for the whole run
}

// killMidVote runs kr.instances stoppunkt processes on one NATS server,
// with kr.perInstance phones starting on each (every phone knows every
// instance). The phones vote; when a third of the votes are acknowledged,
// the first instance is killed with SIGKILL; then every phone writes a
// text. It fails unless every phone is back on a survivor, every
// acknowledged vote and text is present exactly once, and the survivors'
// reports agree.
func killMidVote(t *testing.T, kr killRun) {
	ns := it.NATS(t)
	bin := binary(t)
	servers := make([]*server, kr.instances)
	for i := range servers {
		servers[i] = startServer(t, bin, ns.ClientURL(), fmt.Sprintf("chaos-%c", 'a'+i))
	}
	killed, survivors := servers[0], servers[1:]
	ctx, cancel := context.WithTimeout(context.Background(), kr.timeout)
	defer cancel()

	const planID = "avvergingsplikten-45"
	resp, err := http.Post(survivors[0].url()+"/api/rooms", "application/json",
		strings.NewReader(fmt.Sprintf(`{"plan":%q,"max_participants":5000}`, planID)))
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Room, Code, Key string }
	err = json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if err != nil || r.Code == "" {
		t.Fatalf("create room: %s: %v", resp.Status, err)
	}
	var survivorURLs []string
	for _, s := range survivors {
		survivorURLs = append(survivorURLs, s.ws())
	}
	fac, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: survivorURLs, Reconnect: true, KeepFrames: true,
		Hello: wire.Hello{Role: wire.RoleFacilitator, Room: r.Room, Key: r.Key}})
	if err != nil {
		t.Fatal(err)
	}
	defer fac.Close()
	poll, options, open := pollAndOpenStep(t, survivors[0], planID)

	// The phones, each starting on its own instance and knowing the others.
	phones := make([]*wsclient.Phone, kr.instances*kr.perInstance)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	errs := make(chan error, len(phones))
	for i := range phones {
		home := i % kr.instances
		var urls []string
		for k := range servers {
			urls = append(urls, servers[(home+k)%len(servers)].ws())
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ph, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: urls, Reconnect: true,
				Hello: wire.Hello{Role: wire.RoleParticipant, Code: r.Code}})
			if err != nil {
				errs <- fmt.Errorf("join: %w", err)
				return
			}
			phones[i] = ph
		}()
	}
	wg.Wait()
	failOn(t, errs)
	defer func() {
		for _, ph := range phones {
			ph.Close()
		}
	}()
	if _, err := fac.Command(ctx, wire.TypeGoto, map[string]int{"step": poll}); err != nil {
		t.Fatal(err)
	}

	// One question from the first phone, approved, for the others to vote
	// for in the question box while they vote in the poll.
	const seeded = "seeded question: who calls the police?"
	if _, err := phones[0].Submit(ctx, wire.TypeAsk, "seed", map[string]string{"text": seeded}); err != nil {
		t.Fatal(err)
	}
	var item struct{ ID, Text string }
	if _, err := fac.Wait(ctx, func(f wsclient.Frame) bool {
		return f.Type == wire.TypeItem && f.Decode(&item) == nil && item.Text == seeded
	}); err != nil {
		t.Fatalf("the facilitator never saw the question: %v", err)
	}
	question := item.ID
	if _, err := fac.Command(ctx, wire.TypeModerate, map[string]string{"item": question, "status": "approved"}); err != nil {
		t.Fatal(err)
	}

	// Vote, kr.inFlight at a time, and ask and vote in the question box;
	// kill the first instance when a third of the votes are acknowledged.
	var acked atomic.Int64
	slots := make(chan struct{}, kr.inFlight)
	errs = make(chan error, len(phones))
	for i, ph := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				errs <- ctx.Err()
				return
			}
			defer func() { <-slots }()
			if _, err := ph.Submit(ctx, wire.TypeAnswer, "vote", map[string]any{"step": poll, "choices": []int{i % options}}); err != nil {
				errs <- fmt.Errorf("vote %d: %w", i, err)
				return
			}
			acked.Add(1)
			if _, err := ph.Submit(ctx, wire.TypeAsk, "ask", map[string]string{"text": fmt.Sprintf("question %04d", i)}); err != nil {
				errs <- fmt.Errorf("question %d: %w", i, err)
				return
			}
			if i == 0 {
				return // not for one's own question
			}
			if _, err := ph.Submit(ctx, wire.TypeVote, "up", map[string]any{"question": question, "up": true}); err != nil {
				errs <- fmt.Errorf("question vote %d: %w", i, err)
			}
		}()
	}
	for acked.Load() < int64(len(phones)/3) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	ackedAtKill := acked.Load()
	if err := killed.cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	deadline := time.Now().Add(kr.backWithin)
	wg.Wait()
	failOn(t, errs)

	// Every phone is back, on a survivor.
	for i, ph := range phones {
		for !ph.Connected() || ph.Welcome().Instance == killed.name {
			if time.Now().After(deadline) {
				t.Fatalf("phone %d was not back on a survivor within %s", i, kr.backWithin)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	// Every phone writes a text.
	if _, err := fac.Command(ctx, wire.TypeGoto, map[string]int{"step": open, "from": poll}); err != nil {
		t.Fatal(err)
	}
	var ackedTexts sync.Map
	errs = make(chan error, len(phones))
	for i, ph := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			text := fmt.Sprintf("reflection %04d", i)
			for {
				_, err := ph.Submit(ctx, wire.TypeAnswer, "text", map[string]any{"step": open, "text": text})
				if err == nil {
					ackedTexts.Store(text, true)
					return
				}
				if e, ok := err.(*wire.Error); ok && e.Code == wire.CodeStale && ctx.Err() == nil {
					time.Sleep(20 * time.Millisecond) // the phone has not seen the new step yet
					continue
				}
				errs <- fmt.Errorf("text %d: %w", i, err)
				return
			}
		}()
	}
	wg.Wait()
	failOn(t, errs)

	// Everything acknowledged is there once, and the survivors agree.
	reports := make([]report.Report, len(survivors))
	for i, s := range survivors {
		reports[i] = fetchReport(t, s, r.Room, r.Key)
	}
	for i := 1; i < len(reports); i++ {
		if a, b := canonical(reports[0]), canonical(reports[i]); a != b {
			t.Fatalf("%s and %s disagree:\n%s\n%s", survivors[0].name, survivors[i].name, a, b)
		}
	}
	votes := reports[0].Steps[poll]
	if votes.Answered != len(phones) {
		t.Fatalf("%d votes acknowledged, %d counted", len(phones), votes.Answered)
	}
	for k, c := range votes.Options {
		want := 0
		for i := range phones {
			if i%options == k {
				want++
			}
		}
		if c.Count != want {
			t.Errorf("option %d: %d votes, want %d", k, c.Count, want)
		}
	}
	count := map[string]int{}
	for _, tx := range reports[0].Steps[open].Texts {
		count[tx.Text]++
	}
	texts := 0
	ackedTexts.Range(func(k, _ any) bool {
		texts++
		if count[k.(string)] != 1 {
			t.Errorf("%q is present %d times", k, count[k.(string)])
		}
		return true
	})
	if len(count) != texts {
		t.Errorf("%d texts acknowledged, %d different texts present", texts, len(count))
	}
	// Every question once, and every vote for the seeded one counted once.
	asked := map[string]int{}
	qvotes := -1
	for _, q := range reports[0].Questions {
		asked[q.Text]++
		if q.Text == seeded {
			qvotes = q.Votes
		}
	}
	for i := range phones {
		if n := asked[fmt.Sprintf("question %04d", i)]; n != 1 {
			t.Errorf("question %04d is present %d times", i, n)
		}
	}
	if qvotes != len(phones)-1 {
		t.Errorf("the seeded question has %d votes, want %d", qvotes, len(phones)-1)
	}
	t.Logf("RESULT instances=%d phones=%d votes_acked_at_kill=%d votes_counted=%d texts_acked=%d texts_present=%d questions=%d question_votes=%d",
		kr.instances, len(phones), ackedAtKill, votes.Answered, texts, len(count), len(reports[0].Questions), qvotes)
}

// pollAndOpenStep finds the plan's first poll, its number of options, and
// the first open or closing step after it.
func pollAndOpenStep(t *testing.T, s *server, planID string) (poll, options, open int) {
	t.Helper()
	resp, err := http.Get(s.url() + "/api/plans/" + planID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p struct {
		Steps []struct {
			Kind    string   `json:"kind"`
			Options []string `json:"options"`
		} `json:"steps"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	poll, open = -1, -1
	for i, st := range p.Steps {
		if st.Kind == "poll" && poll < 0 {
			poll, options = i, len(st.Options)
		}
		if (st.Kind == "open" || st.Kind == "closing") && open < 0 && poll >= 0 {
			open = i
		}
	}
	if poll < 0 || open < 0 {
		t.Fatalf("plan %s lacks a poll, or an open step after it", planID)
	}
	return poll, options, open
}

// fetchReport reads a room's JSON report, with every text.
func fetchReport(t *testing.T, s *server, room, key string) report.Report {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.url()+"/api/rooms/"+room+"/report?format=json&include=all", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep report.Report
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("report from %s: %s", s.name, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatalf("report from %s: %v", s.name, err)
	}
	return rep
}

// canonical is a report's steps as JSON, with texts sorted: exports list
// texts in an order of their own, which need not be the same twice.
func canonical(rep report.Report) string {
	for i := range rep.Steps {
		slices.SortFunc(rep.Steps[i].Texts, func(a, b report.Text) int { return strings.Compare(a.Text, b.Text) })
	}
	b, _ := json.Marshal(rep.Steps)
	return string(b)
}

// failOn ends the test with the first error on errs, if there is one.
func failOn(t *testing.T, errs chan error) {
	t.Helper()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
