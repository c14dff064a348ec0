package instancetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
)

// reportPlanSource is a plan with every kind of step a report shows;
// %s is the language.
const reportPlanSource = `id: report-%[1]s
title: Rapport om rutiner, ansvar og oppfølging – en lang tittel som må brytes pent på papiret
language: %[1]s
duration: 45m
steps:
  - kind: info
    title: Velkommen
  - kind: poll
    title: Er avvergingsplikten utløst?
    options:
      - Ja, plikten er utløst, og vi må handle nå uten å vente på mer informasjon fra noen
      - Nei
      - Usikker
  - kind: scale
    title: Hvor trygg er du på rutinen?
    min_label: Helt utrygg på hva jeg skal gjøre
    max_label: Helt trygg
  - kind: wordcloud
    title: Ett ord om dagen
  - kind: open
    title: Hva er vanskelig?
  - kind: breakout
    title: Drøft saken i gruppen
    group_size: 3
    prompts: ["Hva gjør dere?"]
  - kind: plenary
    title: Det gruppene fant
  - kind: actions
    title: Handlingsliste
    prompts: ["Hva, hvem, når?"]
  - kind: closing
    title: Hva tar du med deg?
    prompt: Hva tar du med deg?
    follow_up: ["Gå gjennom rutinene", "Mer opplæring", "Ikke behov"]
`

// ReportPlan returns the plan of RunReportSession in a language.
func ReportPlan(lang string) string { return fmt.Sprintf(reportPlanSource, lang) }

// LongWord is a word too long for any line, that reports must wrap.
const LongWord = "Tverrfagligsamarbeidsrutinegjennomgangsarbeidsgruppemedlemsrepresentantvalgprosedyre"

// Hostile is text that must be shown as text.
const Hostile = `<img src=x onerror="document.title='owned'"><script>document.title='owned'</script> =HYPERLINK("x") & "sitat"`

// ReportSession is what RunReportSession sent: the texts of each step and
// the measures of the action list.
type ReportSession struct {
	Room     Room
	Texts    map[int][]string
	Measures []string
}

// RunReportSession uploads ReportPlan(lang), creates a room from it and
// runs a whole session over real websockets: n phones answer every step,
// groups write and submit, the facilitator approves every text but the
// closing takeaways (which reports show unless hidden) and ends the room.
func RunReportSession(t testing.TB, in *instance.Instance, lang string, n int) ReportSession {
	t.Helper()
	src := ReportPlan(lang)
	p, err := plan.Parse("report.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(in.URL()+"/api/plans", "application/yaml", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload plan: %s %s", resp.Status, body)
	}
	r := createRoomEventually(t, in, p.ID)
	ctx := Ctx(t, 3*time.Minute)
	fac := Facilitator(t, r, in)
	phones := make([]*wsclient.Phone, n)
	for i := range phones {
		phones[i] = Participant(t, r.Code, in)
	}
	s := ReportSession{Room: r, Texts: map[int][]string{}}
	do := func(ph *wsclient.Phone, typ string, data any) {
		t.Helper()
		if _, err := ph.Submit(ctx, typ, ph.NextID(), data); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
	for i, step := range p.Steps {
		if i > 0 {
			mustCommand(t, ctx, fac, wire.TypeNext, map[string]int{"from": i - 1})
		}
		for _, ph := range phones {
			waitStep(t, ctx, ph, i)
		}
		items := 0
		switch step.Kind {
		case plan.KindPoll:
			for j, ph := range phones {
				do(ph, wire.TypeAnswer, map[string]any{"step": i, "choices": []int{j % 2}})
			}
		case plan.KindScale:
			for j, ph := range phones {
				do(ph, wire.TypeAnswer, map[string]any{"step": i, "value": 1 + j%5})
			}
		case plan.KindWordcloud:
			for j, ph := range phones {
				do(ph, wire.TypeAnswer, map[string]any{"step": i, "words": []string{[]string{"trygghet", "ansvar", "samarbeid", "mot"}[j%4]}})
			}
		case plan.KindOpen, plan.KindClosing:
			for j, ph := range phones {
				text := fmt.Sprintf("Svar %d: vi trenger en tydeligere rutine for hvem som varsler hvem.", j)
				switch j {
				case 0:
					text = Hostile
				case 1:
					text = "Ordet " + LongWord + " ble for langt for en linje."
				}
				a := map[string]any{"step": i, "text": text}
				if step.Kind == plan.KindClosing {
					a["follow_up"] = []int{j % 3}
				} else {
					items++
				}
				do(ph, wire.TypeAnswer, a)
				s.Texts[i] = append(s.Texts[i], text)
			}
		case plan.KindBreakout, plan.KindActions:
			groups := map[int]*wsclient.Phone{}
			for j, ph := range phones {
				g := waitGroup(t, ctx, ph, i)
				e := map[string]any{"step": i, "entry": "e", "ver": 1}
				if step.Kind == plan.KindActions {
					measure := fmt.Sprintf("Tiltak %d: gå gjennom varslingsrutinen", j)
					e["text"] = measure + "\nSe særlig på hvem som kontakter barnevernet, og hvordan vi dokumenterer."
					e["who"], e["when"] = "Rektor og verneombud", "Innen 1. mars 2027"
					s.Measures = append(s.Measures, measure)
					items++
				} else {
					e["text"] = fmt.Sprintf("Gruppen mener %d: vi må snakke med leder før vi gjør noe.", j)
					s.Texts[i] = append(s.Texts[i], e["text"].(string))
				}
				do(ph, wire.TypeEntry, e)
				groups[g] = ph
			}
			for _, ph := range groups {
				do(ph, wire.TypeSubmit, map[string]int{"step": i})
			}
			if step.Kind == plan.KindBreakout {
				items = len(groups)
			}
		}
		if items > 0 {
			approveItems(t, ctx, fac, i, items)
		}
	}
	mustCommand(t, ctx, fac, wire.TypeEnd, nil)
	return s
}

// createRoomEventually creates a room once the uploaded plan has reached
// the instance's catalog.
func createRoomEventually(t testing.TB, in *instance.Instance, planID string) Room {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		body, _ := json.Marshal(map[string]any{"plan": planID})
		resp, err := http.Post(in.URL()+"/api/rooms", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var r Room
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if resp.StatusCode == http.StatusCreated && err == nil {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("create room from %s: %s", planID, resp.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func mustCommand(t testing.TB, ctx context.Context, p *wsclient.Phone, typ string, data any) {
	t.Helper()
	for {
		_, err := p.Command(ctx, typ, data)
		if e, ok := err.(*wire.Error); ok && e.Retry && ctx.Err() == nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		return
	}
}

// AnswerOn waits until the phone has seen step i, then sends text as its
// answer to it and waits for the acknowledgement.
func AnswerOn(t testing.TB, ctx context.Context, p *wsclient.Phone, i int, text string) {
	t.Helper()
	waitStep(t, ctx, p, i)
	if _, err := p.Submit(ctx, wire.TypeAnswer, p.NextID(), map[string]any{"step": i, "text": text}); err != nil {
		t.Fatalf("answer step %d: %v", i, err)
	}
}

func waitStep(t testing.TB, ctx context.Context, p *wsclient.Phone, i int) {
	t.Helper()
	_, err := p.Wait(ctx, func(f wsclient.Frame) bool {
		var v room.StepView
		var s room.SnapshotView
		switch f.Type {
		case wire.TypeStep:
			return f.Decode(&v) == nil && v.Index == i
		case wire.TypeSnapshot:
			return f.Decode(&s) == nil && s.Step.Index == i
		}
		return false
	})
	if err != nil {
		t.Fatalf("waiting for step %d: %v", i, err)
	}
}

func waitGroup(t testing.TB, ctx context.Context, p *wsclient.Phone, step int) int {
	t.Helper()
	id := 0
	_, err := p.Wait(ctx, func(f wsclient.Frame) bool {
		var g room.GroupView
		var s room.SnapshotView
		switch f.Type {
		case wire.TypeGroup:
			if f.Decode(&g) == nil && g.Step == step && g.ID != 0 {
				id = g.ID
			}
		case wire.TypeSnapshot:
			if f.Decode(&s) == nil && s.Group != nil && s.Group.Step == step && s.Group.ID != 0 {
				id = s.Group.ID
			}
		}
		return id != 0
	})
	if err != nil {
		t.Fatalf("waiting for a group on step %d: %v", step, err)
	}
	return id
}

// approveItems waits until count queue items of a step have reached the
// facilitator and approves them.
func approveItems(t testing.TB, ctx context.Context, fac *wsclient.Phone, step, count int) {
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
		mustCommand(t, ctx, fac, wire.TypeModerate, map[string]any{"item": id, "status": "approved"})
	}
}
