package webtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

const offlinePlan = `id: web-offline
title: Offline
language: nb
duration: 10m
steps:
  - kind: info
    title: Velkommen
  - kind: open
    title: Hva tar du med deg?
    max_length: 300
`

// setOffline cuts the tab off the network (or reconnects it): requests
// fail, and navigator.onLine and the online/offline events follow.
func (p *page) setOffline(off bool) {
	p.t.Helper()
	p.run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		conds := []*network.Conditions{}
		if off {
			conds = append(conds, &network.Conditions{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
		}
		if _, err := cdp.Call(ctx, tg, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: conds}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
}

// report fetches a room's report as the facilitator would.
func report(t *testing.T, base string, r instancetest.Room, format string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/rooms/%s/report?format=%s&include=all", base, r.Room, format), nil)
	req.Header.Set("Authorization", "Bearer "+r.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("report: %s: %s", resp.Status, b)
	}
	return string(b)
}

// TestOfflineSubmission: a phone loses its network, answers anyway, and
// comes back; the answer arrives exactly once, also when the phone sends it
// again with the same id.
func TestOfflineSubmission(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	in := server(t, map[string]string{"web-offline": offlinePlan})
	base := in.URL()
	room := instancetest.CreateRoom(t, in, "web-offline")

	dash := newPage(t, "dashboard", laptopW, laptopH)
	dash.open(room.FacilitatorURL)
	dash.wait("dashboard live", `document.querySelector('#conn-state').classList.contains('ok')`)
	phone := phoneJoin(t, base, room.Code, "phone", "")
	dash.click("#btn-next")
	phone.wait("open question", `document.querySelector('.step-open textarea')`)
	dash.wait("0 of 1 answered", `document.querySelector('#progress').textContent.startsWith('0')`)

	phone.setOffline(true)
	phone.wait("connection-lost banner", `!document.querySelector('#banner').hidden && document.querySelector('#banner').classList.contains('warn')`)
	answer := "Skrevet uten nett: snakke med lederen"
	phone.typeInto(".step-open textarea", answer)
	phone.click("form.answer button[type=submit]")
	phone.wait("kept on the phone", `document.querySelector('form.answer .status.pending')`)
	outbox := fmt.Sprintf(`localStorage.getItem('sp.out.%s')`, room.Code)
	kept := phone.str(outbox + ` || ''`)
	if !strings.Contains(kept, answer) {
		t.Fatalf("the outbox does not keep the answer: %s", kept)
	}
	phone.shot("offline")
	if got := dash.text("#progress"); !strings.HasPrefix(got, "0") {
		t.Errorf("the answer arrived while the phone was offline: %q", got)
	}

	phone.setOffline(false)
	phone.wait("sent once back online", `document.querySelector('form.answer .status.ok')`)
	phone.wait("connection-back banner", `document.querySelector('#banner').hidden || document.querySelector('#banner').classList.contains('ok')`)
	phone.shot("back")
	dash.wait("1 of 1 answered", `document.querySelector('#progress').textContent.startsWith('1')`)
	dash.wait("one queue item", fmt.Sprintf(`[...document.querySelectorAll('.q-item')].filter((e) => e.innerText.includes(%s)).length === 1`, jsString(answer)))
	if got := phone.str(outbox + ` || ''`); got != "" {
		t.Errorf("the outbox still holds %s", got)
	}

	// The phone sends the very same submission again after a reload, as
	// it would if the ack had been lost: the server applies it once.
	phone.eval(fmt.Sprintf(`localStorage.setItem('sp.out.%s', %s)`, room.Code, jsString(kept)), nil)
	phone.run(chromedp.Reload())
	phone.wait("resumed", `!document.querySelector('#session').hidden && document.querySelector('.step-open')`)
	phone.wait("resent and acknowledged", outbox+` === null`)
	if got := phone.str(`document.querySelector('.step-open textarea').value`); got != answer {
		t.Errorf("after the reload the answer field shows %q", got)
	}
	dash.wait("still 1 of 1", `document.querySelector('#progress').textContent.startsWith('1')`)

	// Two more people answer, so that the report may list the texts at all
	// (fewer than 3 answers show no texts anywhere).
	ctx := instancetest.Ctx(t, waitLong)
	for i := range 2 {
		other := instancetest.Participant(t, room.Code, in)
		if _, err := other.Submit(ctx, "answer", fmt.Sprintf("o%d", i), map[string]any{"step": 1, "text": fmt.Sprintf("Et annet svar %d", i)}); err != nil {
			t.Fatalf("another participant answers: %v", err)
		}
	}
	dash.wait("3 answered", `document.querySelector('#progress').textContent.startsWith('3')`)
	if n := strings.Count(report(t, base, room, "json"), answer); n != 1 {
		t.Errorf("the answer is in the report %d times, want 1", n)
	}
	if n := dash.str(fmt.Sprintf(`String([...document.querySelectorAll('.q-item')].filter((e) => e.innerText.includes(%s)).length)`, jsString(answer))); n != "1" {
		t.Errorf("%s queue items hold the answer, want 1", n)
	}
}

// TestJoinRetryIsOneParticipant: the phone keeps its join's nonce until the
// token arrives and sends it with the join, so a join sent again after its
// welcome was lost (here: a second tab holding the same kept nonce) is the
// same participant, not a second one.
func TestJoinRetryIsOneParticipant(t *testing.T) {
	startBrowser(t)
	in := server(t, map[string]string{"web-offline": offlinePlan})
	base := in.URL()
	room := instancetest.CreateRoom(t, in, "web-offline")
	nonce := "kept-nonce-of-one-phone-0123456789"
	join := func(name string) string {
		p := newPage(t, name, phoneW, phoneH)
		p.open(base + "/j/" + room.Code)
		p.eval(fmt.Sprintf(`localStorage.setItem('sp.nonce.%s', %s)`, room.Code, jsString(`"`+nonce+`"`)), nil)
		p.wait("join form", `document.querySelector('#join-form') && !document.querySelector('#join').hidden`)
		p.click("#join-btn")
		p.wait("session shown", `!document.querySelector('#session').hidden && document.querySelector('#step-title')`)
		p.wait("token kept, nonce dropped", fmt.Sprintf(`localStorage.getItem('sp.tok.%[1]s') !== null && localStorage.getItem('sp.nonce.%[1]s') === null`, room.Code))
		return p.str(fmt.Sprintf(`localStorage.getItem('sp.tok.%s')`, room.Code))
	}
	first, again := join("first"), join("again")
	if first != again {
		t.Fatalf("the same nonce gave two tokens: %s and %s", first, again)
	}
	fac := instancetest.Facilitator(t, room, in)
	roster, err := fac.Wait(instancetest.Ctx(t, waitLong), func(f wsclient.Frame) bool { return f.Type == "snapshot" })
	if err != nil {
		t.Fatalf("no snapshot: %v", err)
	}
	var snap struct {
		Room struct {
			Participants int `json:"participants"`
		} `json:"room"`
	}
	if err = roster.Decode(&snap); err != nil || snap.Room.Participants != 1 {
		t.Fatalf("the room has %d participants (%v), want 1", snap.Room.Participants, err)
	}
}
