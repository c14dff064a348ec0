package instance_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/report"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// TestClusterLosesANodeAndAnInstance is the deployment's shape without
// containers: a three-node NATS cluster with replicated streams, three
// instances, a session through all of them; one NATS node and one instance
// stop in the middle, and the session finishes with nothing lost.
func TestClusterLosesANodeAndAnInstance(t *testing.T) {
	nodes, urls := it.Cluster(t, 3)
	var ins []*instance.Instance
	for i := 0; i < 3; i++ {
		ins = append(ins, it.Start(t, urls, it.Options{Modify: func(c *instance.Config) { c.Replicas = 3 }}))
	}
	ctx := it.Ctx(t, 3*time.Minute)
	r := it.CreateRoom(t, ins[0], "test-plan")
	fac := it.Facilitator(t, r, ins[1], ins[2])
	var phones []*wsclient.Phone
	for i := 0; i < 9; i++ {
		// Each phone starts on one instance and knows the others.
		a, b, c := ins[i%3], ins[(i+1)%3], ins[(i+2)%3]
		phones = append(phones, it.Participant(t, r.Code, a, b, c))
	}
	command(t, ctx, fac, wire.TypeGoto, map[string]int{"step": 1})
	for i, p := range phones {
		stepOf(t, ctx, p, 1)
		submitOK(t, ctx, p, wire.TypeAnswer, "v", map[string]any{"step": 1, "choices": []int{i % 3}})
	}
	// One NATS node and one instance go away.
	nodes[0].Shutdown()
	ins[0].Kill()
	command(t, ctx, fac, wire.TypeNext, map[string]int{"from": 1})
	for i, p := range phones {
		stepOf(t, ctx, p, 2)
		submitOK(t, ctx, p, wire.TypeAnswer, "s", map[string]any{"step": 2, "value": 1 + i%5})
	}
	command(t, ctx, fac, wire.TypeGoto, map[string]int{"step": 3})
	for i, p := range phones {
		stepOf(t, ctx, p, 3)
		submitOK(t, ctx, p, wire.TypeAnswer, "o", map[string]any{"step": 3, "text": fmt.Sprint("after the outage ", i)})
	}
	command(t, ctx, fac, wire.TypeEnd, nil)
	code, body, _ := authed(t, "GET", ins[2].URL()+"/api/rooms/"+r.Room+"/report?format=json&include=all", r.Key)
	if code != 200 {
		t.Fatalf("report: %d %s", code, body)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Steps[1].Answered != 9 || rep.Steps[2].Answered != 9 || rep.Steps[3].Answered != 9 || len(rep.Steps[3].Texts) != 9 {
		t.Fatalf("answers lost or doubled: poll %d, scale %d, open %d (%d texts)",
			rep.Steps[1].Answered, rep.Steps[2].Answered, rep.Steps[3].Answered, len(rep.Steps[3].Texts))
	}
	for _, o := range rep.Steps[1].Options {
		if o.Count != 3 {
			t.Fatalf("poll counts %+v", rep.Steps[1].Options)
		}
	}
	// The two surviving instances agree.
	_, other, _ := authed(t, "GET", ins[1].URL()+"/api/rooms/"+r.Room+"/report?format=json&include=all", r.Key)
	var rep2 report.Report
	_ = json.Unmarshal([]byte(other), &rep2)
	a, _ := json.Marshal(rep.Steps)
	b, _ := json.Marshal(rep2.Steps)
	if string(a) != string(b) {
		t.Fatal("the surviving instances disagree about the room")
	}
}
