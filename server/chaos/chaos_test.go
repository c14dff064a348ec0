//go:build chaos

package chaos

import (
	"testing"
	"time"
)

// TestKillOneOfThreeUnderLoad: 3,000 phones, 1,000 starting on each of
// three instances, vote and write while one instance is killed with
// SIGKILL. Every phone must be back on a survivor within 30 seconds,
// every acknowledged submission present exactly once, and the two
// survivors must agree (docs/reliability.md, fault 1).
func TestKillOneOfThreeUnderLoad(t *testing.T) {
	killMidVote(t, killRun{instances: 3, perInstance: 1000, inFlight: 64, backWithin: 30 * time.Second, timeout: 10 * time.Minute})
}
