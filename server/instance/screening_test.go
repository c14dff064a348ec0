package instance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/wire"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

type flaggedItem struct {
	ID, Text, Status string
	Redacted         bool
	Override         bool
	Flags            []struct {
		Kind, Note string
		Start, End int
	}
}

// TestScreeningKeepsPersonalDataOffTheScreen: an answer with a phone
// number is flagged (with where the number is), cannot be shown on the
// big screen and stays out of the report until the facilitator redacts it
// or lets it through; a redacted text is the one shown and reported; a
// possible disclosure is flagged with its note and is not in the report
// unless approved.
func TestScreeningKeepsPersonalDataOffTheScreen(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 60*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in)
	texts := []string{
		"Call me on 912 34 567 if you want to talk more.",
		"Write to kari@example.no about the routine.",
		"My father hit me when I was small.",
		"We should ask directly when we are worried.",
	}
	if _, err := fac.Command(ctx, wire.TypeGoto, map[string]int{"step": 3}); err != nil {
		t.Fatal(err)
	}
	for _, text := range texts {
		p := it.Participant(t, r.Code, in)
		it.AnswerOn(t, ctx, p, 3, text)
	}
	items := func() map[string]flaggedItem {
		out := map[string]flaggedItem{}
		for _, f := range fac.Frames() {
			var it flaggedItem
			if f.Type == wire.TypeItem && f.Decode(&it) == nil {
				out[it.ID] = it
			}
		}
		return out
	}
	byText := func(prefix string) flaggedItem {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			for _, it := range items() {
				if strings.HasPrefix(it.Text, prefix) {
					return it
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no item %q", prefix)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	phone, email, disclosure, plain := byText("Call me"), byText("Write to"), byText("My father"), byText("We should")
	if len(phone.Flags) != 1 || phone.Flags[0].Kind != "phone" || texts[0][phone.Flags[0].Start:phone.Flags[0].End] != "912 34 567" {
		t.Errorf("phone flags %+v", phone.Flags)
	}
	if len(email.Flags) != 1 || email.Flags[0].Kind != "email" {
		t.Errorf("email flags %+v", email.Flags)
	}
	if len(disclosure.Flags) != 1 || disclosure.Flags[0].Kind != "disclosure" || disclosure.Flags[0].Note != "violence" {
		t.Errorf("disclosure flags %+v", disclosure.Flags)
	}
	if len(plain.Flags) != 0 {
		t.Errorf("a plain reflection is flagged: %+v", plain.Flags)
	}
	for _, id := range []string{phone.ID, email.ID, plain.ID} {
		if _, err := fac.Command(ctx, wire.TypeModerate, map[string]string{"item": id, "status": "approved"}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := fac.Command(ctx, wire.TypeShow, map[string]any{"items": []string{phone.ID}})
	if e, ok := err.(*wire.Error); !ok || e.Code != wire.CodeNotAllowed {
		t.Fatalf("showing a text with a phone number: %v", err)
	}
	report := func(all bool) string {
		q := "?format=json"
		if all {
			q += "&include=all"
		}
		code, body, _ := authed(t, "GET", in.URL()+"/api/rooms/"+r.Room+"/report"+q, r.Key)
		if code != 200 {
			t.Fatalf("report: %d %s", code, body)
		}
		return body
	}
	if rep := report(false); strings.Contains(rep, "912 34 567") || strings.Contains(rep, "kari@example.no") || strings.Contains(rep, "My father") || !strings.Contains(rep, texts[3]) {
		t.Errorf("the default report: %s", rep)
	}
	if rep := report(true); !strings.Contains(rep, "912 34 567") {
		t.Errorf("the report with every text lacks the flagged one")
	}

	if _, err := fac.Command(ctx, wire.TypeModerate, map[string]any{"item": phone.ID, "redact": true}); err != nil {
		t.Fatal(err)
	}
	if _, err := fac.Command(ctx, wire.TypeModerate, map[string]any{"item": email.ID, "override": true}); err != nil {
		t.Fatal(err)
	}
	if got := items()[phone.ID]; got.Text != "Call me on [removed] if you want to talk more." || !got.Redacted || len(got.Flags) != 0 {
		t.Errorf("redacted item %+v", got)
	}
	if _, err := fac.Command(ctx, wire.TypeShow, map[string]any{"items": []string{phone.ID, email.ID}, "layout": "side-by-side"}); err != nil {
		t.Fatalf("showing redacted and let-through texts: %v", err)
	}
	if rep := report(false); strings.Contains(rep, "912 34 567") || !strings.Contains(rep, "[removed]") || !strings.Contains(rep, "kari@example.no") {
		t.Errorf("the report after redaction: %s", rep)
	}
}
