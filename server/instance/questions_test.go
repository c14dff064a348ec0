package instance_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

const questionPlan = `id: question-box
title: Question box
language: en
duration: 10m
questions: true
steps:
  - kind: info
    title: Welcome
  - kind: info
    title: Thanks
`

// roomWithQuestions uploads a plan with the question box open and makes
// a room of it.
func roomWithQuestions(t *testing.T, in *instance.Instance) it.Room {
	t.Helper()
	resp, err := http.Post(in.URL()+"/api/plans", "application/yaml", strings.NewReader(questionPlan))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Post(in.URL()+"/api/rooms", "application/json", bytes.NewReader([]byte(`{"plan":"question-box"}`)))
		if err != nil {
			t.Fatal(err)
		}
		var r it.Room
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if resp.StatusCode == http.StatusCreated && err == nil {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("create room: %s", resp.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func wireCode(err error) wire.Code {
	if e, ok := err.(*wire.Error); ok {
		return e.Code
	}
	return ""
}

// TestQuestionBoxAndTalk runs the question box and "I need to talk" over
// real websockets: a question waits for approval unseen by others (its
// asker sees it pending), then everyone sees it with its votes; one vote
// per person, taken back at will, never for one's own question nor for a
// question not approved; a second vote the same way counts once; a
// resent question is asked once. A signal reaches the facilitator with its
// code and message and no name, never the big screen or another phone,
// and the participant sees its code and when it is handled. A room
// without the question box refuses questions.
func TestQuestionBoxAndTalk(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 60*time.Second)
	r := roomWithQuestions(t, in)
	fac := it.Facilitator(t, r, in)
	screen := it.Dial(t, wire.Hello{Role: wire.RolePresenter, Room: r.Room, Key: r.Key}, in)
	asker := it.Dial(t, wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Nickname: "Kari"}, in)
	voter, other := it.Participant(t, r.Code, in), it.Participant(t, r.Code, in)

	const question = "Does the duty apply when I only suspect it?"
	for range 2 { // the same id twice: asked once
		if _, err := asker.Submit(ctx, wire.TypeAsk, "q1", map[string]string{"text": question}); err != nil {
			t.Fatal(err)
		}
	}
	var item struct {
		ID, Kind, Text, Status string
		Votes                  int
	}
	if _, err := fac.Wait(ctx, func(f wsclient.Frame) bool {
		return f.Type == wire.TypeItem && f.Decode(&item) == nil && item.Kind == "question"
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := asker.Wait(ctx, func(f wsclient.Frame) bool {
		return f.Type == wire.TypeYou && strings.Contains(string(f.Data), `"status":"pending"`)
	}); err != nil {
		t.Fatalf("the asker does not see their question pending: %v", err)
	}
	if _, err := voter.Submit(ctx, wire.TypeVote, "v0", map[string]any{"question": item.ID, "up": true}); wireCode(err) != wire.CodeInvalid {
		t.Errorf("a vote for a question not approved: %v", err)
	}
	for _, p := range []*wsclient.Phone{voter, other, screen} {
		for _, f := range p.Frames() {
			if strings.Contains(string(f.Data), question) {
				t.Fatalf("a question not approved reached a %s frame: %s", f.Type, f.Data)
			}
		}
	}

	if _, err := fac.Command(ctx, wire.TypeModerate, map[string]string{"item": item.ID, "status": "approved"}); err != nil {
		t.Fatal(err)
	}
	var box struct {
		Questions []struct {
			ID, Text string
			Votes    int
		}
	}
	waitVotes := func(p *wsclient.Phone, n int) {
		t.Helper()
		if _, err := p.Wait(ctx, func(f wsclient.Frame) bool {
			return f.Type == wire.TypeQuestions && f.Decode(&box) == nil && len(box.Questions) == 1 && box.Questions[0].Votes == n
		}); err != nil {
			t.Fatalf("no question box with %d votes: %v", n, err)
		}
	}
	waitVotes(other, 0)
	if box.Questions[0].Text != question {
		t.Fatalf("box %+v", box)
	}
	for i, id := range []string{"v1", "v2"} { // a second vote the same way counts once
		if _, err := voter.Submit(ctx, wire.TypeVote, id, map[string]any{"question": item.ID, "up": true}); err != nil {
			t.Fatalf("vote %d: %v", i, err)
		}
	}
	waitVotes(other, 1)
	if _, err := asker.Submit(ctx, wire.TypeVote, "own", map[string]any{"question": item.ID, "up": true}); wireCode(err) != wire.CodeNotAllowed {
		t.Errorf("a vote for one's own question: %v", err)
	}
	if _, err := voter.Submit(ctx, wire.TypeVote, "v3", map[string]any{"question": item.ID, "up": false}); err != nil {
		t.Fatal(err)
	}
	waitVotes(other, 0)
	for _, p := range []*wsclient.Phone{voter, other, fac, screen} {
		for _, f := range p.Frames() {
			if strings.Contains(string(f.Data), asker.Welcome().Participant) && f.Type != wire.TypeRoster && f.Type != wire.TypeRosterChanges && f.Type != wire.TypeSnapshot {
				t.Errorf("a %s frame names the asker: %s", f.Type, f.Data)
			}
		}
	}

	// I need to talk.
	const message = "Something from today is close to home"
	if _, err := other.Submit(ctx, wire.TypeTalk, "t1", map[string]any{"message": message}); err != nil {
		t.Fatal(err)
	}
	var sig struct {
		Code, Message, Name string
		Handled             bool
	}
	if _, err := fac.Wait(ctx, func(f wsclient.Frame) bool { return f.Type == wire.TypeSignal && f.Decode(&sig) == nil }); err != nil {
		t.Fatal(err)
	}
	if len(sig.Code) != 4 || sig.Message != message || sig.Name != "" {
		t.Errorf("signal %+v", sig)
	}
	if _, err := other.Wait(ctx, func(f wsclient.Frame) bool {
		return f.Type == wire.TypeYou && strings.Contains(string(f.Data), `"code":"`+sig.Code+`"`)
	}); err != nil {
		t.Fatalf("the participant does not see their code: %v", err)
	}
	if _, err := asker.Submit(ctx, wire.TypeTalk, "t2", map[string]any{"named": true}); err != nil {
		t.Fatal(err)
	}
	if _, err := fac.Wait(ctx, func(f wsclient.Frame) bool {
		return f.Type == wire.TypeSignal && strings.Contains(string(f.Data), `"name":"Kari"`)
	}); err != nil {
		t.Errorf("a named signal does not carry the nickname: %v", err)
	}
	if _, err := voter.Submit(ctx, wire.TypeTalk, "t3", map[string]any{"named": true}); wireCode(err) != wire.CodeInvalid {
		t.Errorf("a named signal without a nickname: %v", err)
	}
	if _, err := fac.Command(ctx, wire.TypeHandled, map[string]any{"signal": sig.Code, "handled": true}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Wait(ctx, func(f wsclient.Frame) bool {
		return f.Type == wire.TypeYou && strings.Contains(string(f.Data), `"handled":true`)
	}); err != nil {
		t.Errorf("the participant does not see the signal handled: %v", err)
	}
	for _, p := range []*wsclient.Phone{asker, voter, screen} {
		for _, f := range p.Frames() {
			if strings.Contains(string(f.Data), message) || f.Type == wire.TypeSignal {
				t.Errorf("a signal reached a %s frame of someone else: %s", f.Type, f.Data)
			}
		}
	}
	for _, format := range []string{"json", "md", "csv"} {
		if code, body, _ := authed(t, "GET", in.URL()+"/api/rooms/"+r.Room+"/report?include=all&format="+format, r.Key); code != 200 || strings.Contains(body, message) {
			t.Errorf("report %s: %d, has the signal: %v", format, code, strings.Contains(body, message))
		}
	}

	// No question box, no questions.
	plain := it.CreateRoom(t, in, "test-plan")
	p := it.Participant(t, plain.Code, in)
	if _, err := p.Submit(ctx, wire.TypeAsk, "q", map[string]string{"text": "Hello?"}); wireCode(err) != wire.CodeNotAllowed {
		t.Errorf("a question where there is no question box: %v", err)
	}
}
