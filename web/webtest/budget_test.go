package webtest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// phoneBudget is what a phone may download, compressed, before it shows
// the join form: everything, headers included.
const phoneBudget = 60 * 1000

// transfer adds up the bytes a tab receives, per request.
type transfer struct {
	mu    sync.Mutex
	urls  map[network.RequestID]string
	bytes map[network.RequestID]float64
	enc   map[network.RequestID]string
}

func (tr *transfer) listen(ev any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		tr.urls[ev.RequestID] = ev.Request.URL
	case *network.EventResponseReceived:
		if ev.Response.Headers != nil {
			for k, v := range ev.Response.Headers {
				if strings.EqualFold(k, "content-encoding") {
					tr.enc[ev.RequestID] = fmt.Sprint(v)
				}
			}
		}
	case *network.EventLoadingFinished:
		tr.bytes[ev.RequestID] = ev.EncodedDataLength
	}
}

// TestPhoneFirstLoadBudget measures what a phone downloads, compressed,
// from opening the join link until the join form is on the screen.
func TestPhoneFirstLoadBudget(t *testing.T) {
	parent := startBrowser(t)
	in := server(t, map[string]string{"web-session": sessionPlan})
	room := instancetest.CreateRoom(t, in, "web-session")

	tr := &transfer{urls: map[network.RequestID]string{}, bytes: map[network.RequestID]float64{}, enc: map[network.RequestID]string{}}
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext(), chromedp.WithListener(tr.listen))
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, name: "budget", ctx: ctx}
	p.run(chromedp.EmulateViewport(phoneW, phoneH), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
		return err
	}))
	p.open(in.URL() + "/j/" + room.Code)
	p.wait("join form visible", `(() => { const f = document.querySelector('#join-form'); return f && f.offsetParent !== null && !document.documentElement.classList.contains('loading') && document.querySelector('#join-btn').textContent.length > 0; })()`)
	p.wait("every request finished", `performance.getEntriesByType('resource').every((e) => e.responseEnd > 0)`)

	tr.mu.Lock()
	defer tr.mu.Unlock()
	var total float64
	var lines []string
	for id, url := range tr.urls {
		n, ok := tr.bytes[id]
		if !ok {
			continue
		}
		total += n
		lines = append(lines, fmt.Sprintf("%7.0f  %-5s %s", n, tr.enc[id], strings.TrimPrefix(url, in.URL())))
	}
	sort.Strings(lines)
	t.Logf("phone first load: %.0f bytes (%.1f KB) compressed in %d requests:\n%s", total, total/1000, len(lines), strings.Join(lines, "\n"))
	if total > phoneBudget {
		t.Errorf("the phone downloads %.0f bytes before the join form; the budget is %d", total, phoneBudget)
	}
	if len(lines) < 3 {
		t.Errorf("only %d requests were seen; the measurement is broken", len(lines))
	}
	for id, url := range tr.urls {
		if (strings.HasSuffix(url, ".js") || strings.HasSuffix(url, ".css")) && tr.enc[id] != "gzip" {
			t.Errorf("%s was not sent gzipped", url)
		}
	}
}
