package instance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/report"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// TestBuiltinPlansEndToEnd runs every built-in plan through a server with
// six simulated participants: every step, every kind of input, moderation,
// the big screen, the end; then it checks the report against what was sent.
func TestBuiltinPlansEndToEnd(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	for _, p := range plan.Builtin() {
		t.Run(p.ID, func(t *testing.T) {
			runPlan(t, in, p)
		})
	}
}

// expectation is what the report must show for one step.
type expectation struct {
	answered int
	texts    []string
}

func runPlan(t *testing.T, in interface{ URL() string }, p *plan.Plan) {
	ctx := it.Ctx(t, 120*time.Second)
	r := createRoomAt(t, in.URL(), p.ID)
	fac := dialAt(t, in.URL(), wire.Hello{Role: wire.RoleFacilitator, Room: r.Room, Key: r.Key})
	const n = 6
	phones := make([]*wsclient.Phone, n)
	for i := range phones {
		phones[i] = dialAt(t, in.URL(), wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Nickname: fmt.Sprintf("P%d", i)})
	}
	want := map[int]*expectation{}
	var actions []string
	for i, step := range p.Steps {
		if i > 0 {
			command(t, ctx, fac, wire.TypeNext, map[string]int{"from": i - 1})
		}
		for _, ph := range phones {
			stepOf(t, ctx, ph, i)
		}
		exp := &expectation{}
		want[i] = exp
		switch step.Kind {
		case plan.KindPoll:
			for j, ph := range phones {
				submitOK(t, ctx, ph, wire.TypeAnswer, "a", map[string]any{"step": i, "choices": []int{j % len(step.Options)}})
			}
			exp.answered = n
		case plan.KindScale:
			for j, ph := range phones {
				submitOK(t, ctx, ph, wire.TypeAnswer, "a", map[string]any{"step": i, "value": step.ScaleMin + j%(step.ScaleMax-step.ScaleMin+1)})
			}
			exp.answered = n
		case plan.KindOpen:
			for j, ph := range phones {
				text := fmt.Sprintf("open answer %d to %s", j, step.ID)
				submitOK(t, ctx, ph, wire.TypeAnswer, "a", map[string]any{"step": i, "text": text})
				exp.texts = append(exp.texts, text)
			}
			exp.answered = n
			approveAll(t, ctx, fac, i, n)
		case plan.KindWordcloud:
			for j, ph := range phones {
				submitOK(t, ctx, ph, wire.TypeAnswer, "a", map[string]any{"step": i, "words": []string{[]string{"trygghet", "ansvar"}[j%2]}})
			}
			exp.answered = n
		case plan.KindClosing:
			for j, ph := range phones {
				a := map[string]any{"step": i, "text": fmt.Sprintf("takeaway %d", j)}
				if len(step.FollowUp) > 0 {
					a["follow_up"] = []int{j % len(step.FollowUp)}
				}
				submitOK(t, ctx, ph, wire.TypeAnswer, "a", a)
				exp.texts = append(exp.texts, fmt.Sprintf("takeaway %d", j))
			}
			exp.answered = n
			approveAll(t, ctx, fac, i, n)
		case plan.KindBreakout, plan.KindActions:
			groups := map[int]*wsclient.Phone{}
			for j, ph := range phones {
				g := groupFrame(t, ctx, ph, func(g room.GroupView) bool { return g.Step == i && g.ID != 0 })
				e := map[string]any{"step": i, "entry": "e1", "ver": 1, "text": fmt.Sprintf("%s by member %d", step.ID, j)}
				if step.Kind == plan.KindActions {
					e["who"], e["when"] = "Leder", "Innen 1. mars"
					actions = append(actions, e["text"].(string))
				} else {
					exp.texts = append(exp.texts, e["text"].(string))
				}
				submitOK(t, ctx, ph, wire.TypeEntry, "e", e)
				groups[g.ID] = ph
			}
			for _, ph := range groups {
				submitOK(t, ctx, ph, wire.TypeSubmit, "s", map[string]int{"step": i})
			}
			exp.answered = n // every group wrote: everyone in them counts
			items := len(groups)
			if step.Kind == plan.KindActions {
				items = n
			}
			approveAll(t, ctx, fac, i, items)
		case plan.KindPlenary:
			if id := firstApproved(t, fac); id != "" {
				command(t, ctx, fac, wire.TypeShow, map[string]any{"items": []string{id}})
			}
		}
	}
	command(t, ctx, fac, wire.TypeEnd, nil)

	code, body, _ := authed(t, "GET", in.URL()+"/api/rooms/"+r.Room+"/report?format=json", r.Key)
	if code != 200 {
		t.Fatalf("report: %d %s", code, body)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Ended || rep.Participants != n || len(rep.Steps) != len(p.Steps) {
		t.Fatalf("report header: ended %v participants %d steps %d", rep.Ended, rep.Participants, len(rep.Steps))
	}
	for i, exp := range want {
		st := rep.Steps[i]
		if st.Answered != exp.answered {
			t.Errorf("step %d (%s): answered %d, want %d", i, st.Kind, st.Answered, exp.answered)
		}
		total := 0
		for _, o := range st.Options {
			total += o.Count
		}
		if st.Kind == plan.KindPoll && !p.Steps[i].Multiple && total != n {
			t.Errorf("step %d: poll counts add up to %d, want %d", i, total, n)
		}
		got := ""
		for _, tx := range st.Texts {
			got += tx.Text + "\n"
		}
		for _, text := range exp.texts {
			if !strings.Contains(got, text) {
				t.Errorf("step %d: report lacks %q", i, text)
			}
		}
	}
	if len(rep.Actions) != len(actions) {
		t.Errorf("action list has %d measures, want %d", len(rep.Actions), len(actions))
	}
	code, md, _ := authed(t, "GET", in.URL()+"/api/rooms/"+r.Room+"/report?format=md", r.Key)
	if code != 200 || !strings.Contains(md, "# ") {
		t.Fatalf("markdown report: %d", code)
	}
	for _, a := range actions {
		if !strings.Contains(md, a) {
			t.Errorf("markdown action list lacks %q", a)
		}
	}
}

func submitOK(t *testing.T, ctx context.Context, p *wsclient.Phone, typ, prefix string, data any) {
	t.Helper()
	if _, err := p.Submit(ctx, typ, prefix+p.NextID(), data); err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
}

// approveAll waits until count queue items of a step have reached the
// facilitator and approves them.
func approveAll(t *testing.T, ctx context.Context, fac *wsclient.Phone, step, count int) {
	t.Helper()
	ids := map[string]bool{}
	_, err := fac.Wait(ctx, func(f wsclient.Frame) bool {
		var iv room.ItemView
		if f.Type == wire.TypeItem && f.Decode(&iv) == nil && iv.Step == step {
			ids[iv.ID] = true
		}
		return len(ids) == count
	})
	if err != nil {
		t.Fatalf("step %d: %d of %d queue items reached the facilitator: %v", step, len(ids), count, err)
	}
	for id := range ids {
		command(t, ctx, fac, wire.TypeModerate, map[string]any{"item": id, "status": "approved"})
	}
}

func firstApproved(t *testing.T, fac *wsclient.Phone) string {
	for _, f := range fac.Frames() {
		var iv room.ItemView
		if f.Type == wire.TypeItem && f.Decode(&iv) == nil && iv.Status == room.StatusApproved {
			return iv.ID
		}
	}
	return ""
}

func createRoomAt(t *testing.T, base, planID string) it.Room {
	t.Helper()
	code, body := post(t, base+"/api/rooms", fmt.Sprintf(`{"plan":%q}`, planID), nil)
	if code != 201 {
		t.Fatalf("create room: %d %s", code, body)
	}
	var r it.Room
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func dialAt(t *testing.T, base string, hello wire.Hello) *wsclient.Phone {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: []string{"ws" + strings.TrimPrefix(base, "http") + "/ws"}, Hello: hello, Reconnect: true, KeepFrames: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}
