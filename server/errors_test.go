package server

import (
	"net/http"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// TestEveryCodeHasAFittingStatus: every wire code has an HTTP status of its
// own (only internal is a 500), and docs/protocol.md's REST table gives the
// same status for every code.
func TestEveryCodeHasAFittingStatus(t *testing.T) {
	doc, err := os.ReadFile("../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| (\\d{3}) ")
	documented := map[wire.Code]int{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		n, _ := strconv.Atoi(m[2])
		documented[wire.Code(m[1])] = n
	}
	for _, c := range wire.Codes {
		got, ok := statusOf[c]
		if !ok {
			t.Errorf("%s has no HTTP status", c)
			continue
		}
		if got == http.StatusInternalServerError && c != wire.CodeInternal {
			t.Errorf("%s is sent as 500", c)
		}
		if got >= 500 && !c.Retryable() {
			t.Errorf("%s is a %d, but a client may not retry it", c, got)
		}
		if documented[c] != got {
			t.Errorf("%s: the code sends %d, docs/protocol.md says %d", c, got, documented[c])
		}
	}
	want := map[wire.Code]int{wire.CodeEnded: 410, wire.CodeStale: 409, wire.CodeNotAllowed: 403, wire.CodeShuttingDown: 503}
	for c, s := range want {
		if statusOf[c] != s {
			t.Errorf("%s: %d, want %d", c, statusOf[c], s)
		}
	}
}
