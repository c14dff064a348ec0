package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

const reportPlan = `id: report-test
title: Report <test>
language: en
duration: 10m
audience: tests
description: tests
steps:
  - kind: poll
    title: Few voted
    options: ["A", "B"]
  - kind: poll
    title: Many voted
    options: ["Yes", "No"]
  - kind: scale
    title: Sure?
    min_label: no
    max_label: yes
  - kind: open
    title: Thoughts
  - kind: actions
    title: Measures
`

// driver applies commands to a room state as the hub would, without NATS.
type driver struct {
	t      *testing.T
	s      *room.State
	pos    uint64
	staff  room.Actor
	people []room.Actor
}

func newDriver(t *testing.T, src string, people int) *driver {
	t.Helper()
	p, err := plan.Parse("r.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	d := &driver{t: t, s: room.New(), staff: room.Actor{Role: wire.RoleFacilitator}}
	// 2026-12-05 13:03 UTC is 14:03 in Oslo.
	created := time.Date(2026, 12, 5, 13, 3, 0, 0, time.UTC).UnixMilli()
	d.apply(&room.Event{Type: room.EvCreated, At: created, Created: &room.Created{Room: "r1", Code: "ABCDEF", Plan: p}})
	for i := 0; i < people; i++ {
		pid := fmt.Sprintf("p%d", i)
		d.apply(&room.Event{Type: room.EvJoined, PID: pid, Joined: &room.Joined{TokenHash: pid}})
		d.people = append(d.people, room.Actor{Role: wire.RoleParticipant, PID: pid})
	}
	return d
}

func (d *driver) apply(ev *room.Event) {
	d.pos++
	room.Apply(d.s, d.pos, ev)
}

func (d *driver) do(who room.Actor, typ, id string, data any) {
	d.t.Helper()
	b, _ := json.Marshal(data)
	ev, err := room.Decide(d.s, who, wire.In{Type: typ, ID: id, Data: b}, 3)
	if err != nil {
		d.t.Fatalf("%s: %v", typ, err)
	}
	d.apply(ev)
}

func (d *driver) next() { d.do(d.staff, "next", "", nil) }

// approveStep approves every queue item of a step.
func (d *driver) approveStep(step int) {
	for _, it := range d.s.Items {
		if it.Step == step {
			d.do(d.staff, "moderate", "", map[string]any{"item": it.ID, "status": "approved"})
		}
	}
}

func build(t *testing.T) *room.State {
	d := newDriver(t, reportPlan, 4)
	people := d.people
	d.do(people[0], "answer", "a", map[string]any{"step": 0, "choices": []int{1}})
	d.do(people[1], "answer", "a", map[string]any{"step": 0, "choices": []int{1}})
	d.next()
	for i, p := range people {
		d.do(p, "answer", "b", map[string]any{"step": 1, "choices": []int{i % 2}})
	}
	d.next()
	for i, p := range people[:3] {
		d.do(p, "answer", "c", map[string]any{"step": 2, "value": 5 - i})
	}
	d.next()
	d.do(people[0], "answer", "d", map[string]any{"step": 3, "text": "<script>alert(1)</script> | =cmd"})
	d.do(people[1], "answer", "d", map[string]any{"step": 3, "text": "Not approved"})
	d.do(people[2], "answer", "d", map[string]any{"step": 3, "text": "Third thought"})
	d.do(d.staff, "moderate", "", map[string]any{"item": "i1", "status": "approved"})
	d.next()
	// Two groups of two write, so the step counts four people.
	for i, text := range []string{"Train staff", "Review routines\nGo through the routine for reporting concerns"} {
		who := room.Actor{Role: wire.RoleParticipant, PID: d.s.Groups[i].Members[0]}
		d.do(who, "entry", "e1", map[string]any{"step": 4, "entry": "x", "ver": 1, "text": text, "who": "Leader", "when": "March"})
		d.do(who, "submit", "s1", map[string]any{"step": 4})
	}
	d.approveStep(4)
	return d.s
}

var testNow = time.Date(2026, 12, 5, 15, 30, 0, 0, time.UTC)

func TestReportContents(t *testing.T) {
	s := build(t)
	r := Build(s, Options{Now: testNow})
	if !r.Steps[0].TooFew || r.Steps[0].Options != nil || len(r.Steps[0].answers) != 0 {
		t.Fatalf("two votes were broken down: %+v", r.Steps[0])
	}
	if got := r.Steps[1].Options; len(got) != 2 || got[0].Count != 2 || got[1].Count != 2 {
		t.Fatalf("poll counts %+v", got)
	}
	if r.Steps[2].Scale == nil || r.Steps[2].Scale.Median != 4 {
		t.Fatalf("scale %+v", r.Steps[2].Scale)
	}
	if len(r.Steps[3].Texts) != 1 || r.Steps[3].Texts[0].Status != room.StatusApproved {
		t.Fatalf("default report must hold approved texts only: %+v", r.Steps[3].Texts)
	}
	if r.Steps[4].Answered != 4 || r.Steps[4].TooFew {
		t.Fatalf("actions step: answered %d, too few %v", r.Steps[4].Answered, r.Steps[4].TooFew)
	}
	if len(r.Actions) != 2 || r.Actions[0].Who != "Leader" || !strings.HasPrefix(r.Actions[0].What, "Review") {
		t.Fatalf("actions %+v", r.Actions)
	}
	all := Build(s, Options{IncludeAll: true, Now: testNow})
	if len(all.Steps[3].Texts) != 3 {
		t.Fatalf("include-all report: %+v", all.Steps[3].Texts)
	}
	j, _ := json.Marshal(r)
	for _, pid := range []string{"p0", "p1", "p2", "p3"} {
		if strings.Contains(string(j), `"`+pid+`"`) {
			t.Fatal("JSON report names a participant")
		}
	}
	if r.TimeZone != "UTC" || r.CreatedAt.Location() != time.UTC {
		t.Fatalf("no location given: time zone %q", r.TimeZone)
	}
}

func TestMarkdownIsSafeAndReadable(t *testing.T) {
	var b bytes.Buffer
	if err := Build(build(t), Options{Now: testNow}).Write(&b, FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"# Report \\<test\\>", "| Yes | 2 | 50% |", "Median: 4", "Too few answers", "\\<script\\>", "\\| =cmd",
		"## Action list", "| No. | Measure | Description | Responsible | Deadline |",
		"| 1 | Review routines | Go through the routine for reporting concerns | Leader | March |",
		"Created: 5 December 2026, 13:03"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<script>") || strings.Contains(out, "Not approved") {
		t.Fatal("markdown holds raw HTML or an unapproved text")
	}
}

func TestCSVOneRowPerAnswerSortedAnonymous(t *testing.T) {
	var b bytes.Buffer
	if err := Build(build(t), Options{Now: testNow}).Write(&b, FormatCSV); err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(b.String(), utf8BOM) {
		t.Fatal("an English CSV starts with a byte-order mark")
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("header %v", rows[0])
	}
	var poll, scale, few []string
	for _, r := range rows[1:] {
		switch r[0] {
		case "1":
			few = append(few, r[4])
		case "2":
			poll = append(poll, r[4])
		case "3":
			scale = append(scale, r[4])
		case "4":
			if r[4] != "<script>alert(1)</script> | =cmd" {
				t.Fatalf("open text %q", r[4])
			}
		case "5":
			if r[2] != "action" || r[5] != "Leader" {
				t.Fatalf("action row %v", r)
			}
		}
	}
	if len(few) != 0 {
		t.Fatal("rows for a step with fewer than 3 answers")
	}
	if strings.Join(poll, ",") != "No,No,Yes,Yes" || strings.Join(scale, ",") != "3,4,5" {
		t.Fatalf("rows not one per answer or not sorted: %v %v", poll, scale)
	}
	if CSVSafe("=SUM(A1)") != "'=SUM(A1)" {
		t.Fatal("formula not neutralised")
	}
}
