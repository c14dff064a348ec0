//go:build chaos

package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
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

// server is one stoppunkt process.
type server struct {
	cmd  *exec.Cmd
	addr string
}

func (s *server) url() string { return "http://" + s.addr }
func (s *server) ws() string  { return "ws://" + s.addr + "/ws" }

func buildBinary(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "stoppunkt")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/stoppunkt/stoppunkt/cmd/stoppunkt").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startServer(t *testing.T, bin, natsURL, name string) *server {
	s := &server{addr: freeAddr(t)}
	s.cmd = exec.Command(bin, "--addr", s.addr, "--nats-url", natsURL, "--name", name,
		"--join-rate", "5000", "--message-rate", "1000", "--log-level", "warn")
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, os.Stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.cmd.Process.Kill(); _, _ = s.cmd.Process.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.url() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never became ready", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKillOneOfThreeUnderLoad: 3,000 phones, 1,000 on each of three
// instances, vote and write while one instance is killed with SIGKILL.
// Every phone must be back within 30 seconds, every acknowledged
// submission present exactly once, and the two survivors must agree.
func TestKillOneOfThreeUnderLoad(t *testing.T) {
	const perInstance = 1000
	ns := it.NATS(t)
	bin := buildBinary(t)
	servers := []*server{startServer(t, bin, ns.ClientURL(), "chaos-a"), startServer(t, bin, ns.ClientURL(), "chaos-b"), startServer(t, bin, ns.ClientURL(), "chaos-c")}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	resp, err := http.Post(servers[0].url()+"/api/rooms", "application/json", strings.NewReader(`{"plan":"avvergingsplikten-45","max_participants":5000}`))
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Room, Code, Key string }
	_ = json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	fac, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: []string{servers[1].ws(), servers[2].ws()}, Reconnect: true,
		Hello: wire.Hello{Role: wire.RoleFacilitator, Room: r.Room, Key: r.Key}})
	if err != nil {
		t.Fatal(err)
	}
	defer fac.Close()

	// Find the first poll and open step of the plan.
	pr, _ := http.Get(servers[0].url() + "/api/plans/avvergingsplikten-45")
	var p struct {
		Steps []struct {
			Kind string `json:"kind"`
		} `json:"steps"`
	}
	_ = json.NewDecoder(pr.Body).Decode(&p)
	pr.Body.Close()
	poll, open := -1, -1
	for i, s := range p.Steps {
		if s.Kind == "poll" && poll < 0 {
			poll = i
		}
		if (s.Kind == "open" || s.Kind == "closing") && open < 0 && i > poll {
			open = i
		}
	}
	if poll < 0 || open < 0 {
		t.Fatal("the plan lacks a poll or an open step")
	}

	// 3,000 phones, 1,000 on each instance, each knowing the others.
	phones := make([]*wsclient.Phone, 0, 3*perInstance)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := 0; i < 3*perInstance; i++ {
		home := i % 3
		urls := []string{servers[home].ws(), servers[(home+1)%3].ws(), servers[(home+2)%3].ws()}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ph, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: urls, Reconnect: true, Hello: wire.Hello{Role: wire.RoleParticipant, Code: r.Code}})
			if err != nil {
				t.Errorf("join: %v", err)
				return
			}
			mu.Lock()
			phones = append(phones, ph)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	defer func() {
		for _, ph := range phones {
			ph.Close()
		}
	}()
	if _, err := fac.Command(ctx, wire.TypeGoto, map[string]int{"step": poll}); err != nil {
		t.Fatal(err)
	}

	// Vote and write; kill instance A in the middle of it.
	var acked atomic.Int64
	ackedTexts := sync.Map{}
	errs := make(chan error, len(phones))
	for i, ph := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := ph.Submit(ctx, wire.TypeAnswer, "vote", map[string]any{"step": poll, "choices": []int{i % 3}}); err != nil {
				errs <- fmt.Errorf("vote: %w", err)
				return
			}
			acked.Add(1)
		}()
	}
	for acked.Load() < int64(len(phones))/3 {
		time.Sleep(5 * time.Millisecond)
	}
	killed := time.Now()
	_ = servers[0].cmd.Process.Kill() // SIGKILL
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Every phone is connected again (to a survivor) within 30 seconds.
	var slowest time.Duration
	for _, ph := range phones {
		for !ph.Connected() || ph.Welcome().Instance == "chaos-a" {
			if time.Since(killed) > 30*time.Second {
				t.Fatalf("a phone was not back within 30 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	slowest = time.Since(killed)

	// Now everyone writes a text.
	if _, err := fac.Command(ctx, wire.TypeGoto, map[string]int{"step": open, "from": poll}); err != nil {
		t.Fatal(err)
	}
	for i, ph := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			text := fmt.Sprintf("reflection %04d", i)
			ph2 := ph
			for {
				_, err := ph2.Submit(ctx, wire.TypeAnswer, "text", map[string]any{"step": open, "text": text})
				if err == nil {
					ackedTexts.Store(text, true)
					return
				}
				if e, ok := err.(*wire.Error); ok && e.Code == wire.CodeStale {
					time.Sleep(20 * time.Millisecond) // the phone has not seen the new step yet
					continue
				}
				t.Errorf("text: %v", err)
				return
			}
		}()
	}
	wg.Wait()

	// Both survivors agree, and everything acknowledged is there once.
	reports := make([]report.Report, 2)
	for i, s := range servers[1:] {
		req, _ := http.NewRequest("GET", s.url()+"/api/rooms/"+r.Room+"/report?format=json&include=all", nil)
		req.Header.Set("Authorization", "Bearer "+r.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = json.NewDecoder(resp.Body).Decode(&reports[i])
		resp.Body.Close()
	}
	a, _ := json.Marshal(reports[0].Steps)
	b, _ := json.Marshal(reports[1].Steps)
	if string(a) != string(b) {
		t.Fatal("the surviving instances disagree")
	}
	votes := reports[0].Steps[poll]
	if votes.Answered != len(phones) {
		t.Fatalf("%d votes acknowledged, %d counted", len(phones), votes.Answered)
	}
	count := map[string]int{}
	for _, tx := range reports[0].Steps[open].Texts {
		count[tx.Text]++
	}
	n := 0
	ackedTexts.Range(func(k, _ any) bool {
		n++
		if count[k.(string)] != 1 {
			t.Errorf("%q is present %d times", k, count[k.(string)])
		}
		return true
	})
	var dup []string
	for k, c := range count {
		if c > 1 {
			dup = append(dup, k)
		}
	}
	sort.Strings(dup)
	t.Logf("RESULT phones=%d votes_acked=%d votes_counted=%d texts_acked=%d texts_present=%d duplicates=%d all_back_within=%s",
		len(phones), acked.Load(), votes.Answered, n, len(count), len(dup), slowest.Round(time.Millisecond))
}
