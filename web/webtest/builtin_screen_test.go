package webtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// builtinPlans are the plans that ship with the binary.
var builtinPlans = []string{"avvergingsplikten-45", "exit-arbeid-case", "handlingsplan-vold-naere-relasjoner", "overgreb-mod-boern", "vold-og-trusler-skole"}

// TestBuiltinPlansOnTheBigScreen runs every step of every built-in plan
// with a big screen at 1280x720 and four phones: at each step the big
// screen shows that step's title and nothing that was put up on an earlier
// step, and nothing on it is cut or too small.
func TestBuiltinPlansOnTheBigScreen(t *testing.T) {
	startBrowser(t)
	in := server(t, nil)
	for _, id := range builtinPlans {
		t.Run(id, func(t *testing.T) {
			resp, err := http.Get(in.URL() + "/api/plans/" + id)
			if err != nil {
				t.Fatal(err)
			}
			var p struct {
				Steps []struct {
					Kind     string   `json:"kind"`
					Title    string   `json:"title"`
					Options  []string `json:"options"`
					ScaleMin int      `json:"scale_min"`
					FollowUp []string `json:"follow_up"`
				} `json:"steps"`
			}
			err = json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			if err != nil || len(p.Steps) == 0 {
				t.Fatalf("plan %s: %v", id, err)
			}
			room := instancetest.CreateRoom(t, in, id)
			d := &drive{t: t, ctx: instancetest.Ctx(t, 5*time.Minute), fac: instancetest.Facilitator(t, room, in)}
			for range 4 {
				d.phones = append(d.phones, instancetest.Participant(t, room.Code, in))
			}
			screen := newPage(t, "projector", 1280, 720)
			screen.open(in.URL() + "/p/" + room.Room + "#key=" + d.fac.Welcome().PresenterKey)
			var shown []string // texts put up on earlier steps
			for i, st := range p.Steps {
				if i > 0 {
					d.cmd(wire.TypeNext, map[string]int{"from": i - 1})
				}
				d.step = i
				screen.wait(fmt.Sprintf("step %d's title", i+1), fmt.Sprintf(`document.querySelector('#stage-title').textContent === %s`, jsString(st.Title)))
				for _, old := range shown {
					if strings.Contains(screen.text("body"), old) {
						t.Errorf("step %d (%s): the big screen still shows %q from an earlier step", i+1, st.Kind, old)
					}
				}
				mark := fmt.Sprintf("Tekst fra steg %d", i+1)
				switch st.Kind {
				case "poll":
					screen.wait("the poll's options", fmt.Sprintf(`document.querySelectorAll('#stage-body .options li').length === %d`, len(st.Options)))
					d.answerAll(func(int) map[string]any { return map[string]any{"choices": []int{0}} })
					d.cmd(wire.TypeReveal, nil)
					screen.wait("the poll's results", fmt.Sprintf(`document.querySelectorAll('#stage-results .bar-row').length === %d`, len(st.Options)))
				case "scale":
					d.answerAll(func(int) map[string]any { return map[string]any{"value": st.ScaleMin} })
					d.cmd(wire.TypeReveal, nil)
				case "wordcloud":
					d.answerAll(func(int) map[string]any { return map[string]any{"words": []string{"ansvar"}} })
					d.cmd(wire.TypeReveal, nil)
				case "open", "closing":
					d.answerAll(func(j int) map[string]any { return map[string]any{"text": fmt.Sprintf("%s, svar %d", mark, j)} })
					texts := d.showAnswers(2)
					screen.wait("texts up", fmt.Sprintf(`document.querySelector('#stage-items').innerText.includes(%s)`, jsString(texts[0])))
					shown = append(shown, texts...)
					if st.Kind == "closing" && len(st.FollowUp) > 0 {
						d.cmd(wire.TypeReveal, nil)
					}
				}
				var problems []string
				screen.eval(layoutCheck, &problems)
				for _, pr := range problems {
					t.Errorf("step %d (%s): %s", i+1, st.Kind, pr)
				}
			}
		})
	}
}
