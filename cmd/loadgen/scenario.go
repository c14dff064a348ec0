package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// Duration is a time.Duration written as "1.5s" in scenario files and in
// the JSON report.
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML reads "250ms", "2m" (and a bare 0).
func (d *Duration) UnmarshalYAML(n ast.Node) error {
	switch n.(type) {
	case *ast.NullNode:
		return d.parse("")
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode:
		return d.parse(n.GetToken().Value)
	}
	return fmt.Errorf("duration must be written like \"5s\", not %s", n.Type())
}

// UnmarshalJSON reads "250ms".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"5s\": %w", err)
	}
	return d.parse(s)
}

// MarshalJSON writes "250ms".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d *Duration) parse(s string) error {
	if s == "0" || s == "" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", s)
	}
	*d = Duration(v)
	return nil
}

// Behavior is what simulated phones do on their own as the room moves.
type Behavior struct {
	// Act makes phones take part: answer polls, scales, word clouds, open
	// questions and closings, and write shared texts. Without it they only
	// follow.
	Act bool `yaml:"act" json:"act"`
	// Window spreads each phone's actions uniformly over this long after a
	// step opens (0: at once).
	Window Duration `yaml:"window" json:"window"`
	// ChangeVote is the share of voters who change their answer once.
	ChangeVote float64 `yaml:"change_vote" json:"change_vote"`
	// Quiet is the share of phones that never act (a locked screen).
	Quiet float64 `yaml:"quiet" json:"quiet"`
	// Edits is how many versions of its entry a phone writes in a shared
	// text (1 or more).
	Edits int `yaml:"edits" json:"edits"`
	// Submit lets one member of each group submit the shared text once every
	// member has written.
	Submit bool `yaml:"submit" json:"submit"`
	// Nicknames is the share of phones that join with a nickname.
	Nicknames float64 `yaml:"nicknames" json:"nicknames"`
}

// Churn drops phones and brings them back with their token and last
// sequence, as phones on a bad network do.
type Churn struct {
	// Every is how often a share of the phones drops (0: no churn).
	Every Duration `yaml:"every" json:"every"`
	// Share of the connected phones dropped each time.
	Share float64 `yaml:"share" json:"share"`
	// Offline is the mean time a dropped phone stays away.
	Offline Duration `yaml:"offline" json:"offline"`
}

// Scenario is one load run: what to start, how many phones, what they and
// the facilitators do. Built-in scenarios are presets; a file or flags can
// change any field.
type Scenario struct {
	Name string `yaml:"name" json:"name"`
	// Kind picks the runner: fanout (step changes to one room, optionally
	// alternating with the raw baseline), idle, votes, joins, session
	// (every room runs its plan with a facilitator), or event (a session
	// whose rooms are one conference event, with the organizer's overview
	// open).
	Kind string `yaml:"kind" json:"kind"`
	// Plan is the plan id rooms are created from.
	Plan      string `yaml:"plan" json:"plan"`
	Rooms     int    `yaml:"rooms" json:"rooms"`
	Phones    int    `yaml:"phones" json:"phones"` // per room
	Instances int    `yaml:"instances" json:"instances"`
	// NATS is "embedded" (each instance embeds its own; only with one
	// instance) or "own" (loadgen starts a NATS server the instances share).
	NATS string `yaml:"nats" json:"nats"`
	// JoinRate is new phones per second over all workers (0: as fast as
	// they connect).
	JoinRate float64 `yaml:"join_rate" json:"join_rate"`
	// StepChanges is the number of measured step changes (fanout).
	StepChanges int `yaml:"step_changes" json:"step_changes"`
	// Rounds alternates Stoppunkt and its yardstick this many times.
	Rounds int `yaml:"rounds" json:"rounds"`
	// Baseline runs the raw websocket fan-out next to Stoppunkt (fanout).
	Baseline bool `yaml:"baseline" json:"baseline"`
	// Gap is the pause after each measured event has reached every phone.
	Gap Duration `yaml:"gap" json:"gap"`
	// Hold is how long idle phones stay connected before RSS is read.
	Hold Duration `yaml:"hold" json:"hold"`
	// StepTimeout bounds the wait for phones to finish a step (session).
	StepTimeout Duration `yaml:"step_timeout" json:"step_timeout"`
	// Timers makes facilitators start each step's timer and move on when it
	// runs out (session); without it they move on once every phone is done.
	Timers bool `yaml:"timers" json:"timers"`
	// StartSpread spreads the rooms' starts over this long (session), as
	// tables of a conference do not start in the same second.
	StartSpread Duration `yaml:"start_spread" json:"start_spread"`
	// For is how long a soak starts new generations of rooms (soak).
	For Duration `yaml:"for" json:"for,omitempty"`
	// AnnounceAfter is when the organizer sends an announcement to every
	// room, counted from the first facilitator command (event; 0: none).
	AnnounceAfter Duration `yaml:"announce_after" json:"announce_after,omitempty"`
	// NoFacilitator leaves rooms without a facilitator (idle).
	NoFacilitator bool `yaml:"no_facilitator" json:"no_facilitator"`
	// Checks turns correctness checks into the exit status.
	Checks   bool     `yaml:"checks" json:"checks"`
	Behavior Behavior `yaml:"behavior" json:"behavior"`
	Churn    Churn    `yaml:"churn" json:"churn"`
	// ServerFlags are extra flags for the stoppunkt instances loadgen starts.
	ServerFlags []string `yaml:"server_flags" json:"server_flags,omitempty"`
}

// Runner kinds.
const (
	KindFanout  = "fanout"
	KindIdle    = "idle"
	KindVotes   = "votes"
	KindJoins   = "joins"
	KindSession = "session"
	KindSoak    = "soak"
	KindEvent   = "event" // a session whose rooms are one conference event, with the organizer's overview open
)

// presets are the built-in scenarios; issue 5's targets name them.
var presets = map[string]Scenario{
	"keynote": {
		Kind: KindFanout, Plan: planKeynote, Rooms: 1, Phones: 5000, Instances: 1, NATS: "embedded",
		JoinRate: 1000, StepChanges: 100, Rounds: 5, Baseline: true, Gap: Duration(50 * time.Millisecond),
	},
	"idle": {
		Kind: KindIdle, Plan: planKeynote, Rooms: 1, Phones: 15000, Instances: 1, NATS: "embedded",
		JoinRate: 500, Hold: Duration(30 * time.Second), NoFacilitator: true,
	},
	"vote-burst": {
		Kind: KindVotes, Plan: planVotes, Rooms: 1, Phones: 5000, Instances: 1, NATS: "own",
		JoinRate: 1000, Rounds: 3, StepTimeout: Duration(30 * time.Second), Checks: true,
		Behavior: Behavior{Act: true},
	},
	"join-storm": {
		Kind: KindJoins, Plan: planKeynote, Rooms: 1, Phones: 5000, Instances: 1, NATS: "embedded",
		JoinRate: 1000, Hold: Duration(5 * time.Second),
	},
	"bigroom": {
		Kind: KindFanout, Plan: planKeynote, Rooms: 1, Phones: 15000, Instances: 3, NATS: "own",
		JoinRate: 1000, StepChanges: 20, Rounds: 1, Baseline: true, Gap: Duration(50 * time.Millisecond),
	},
	"conference": {
		Kind: KindSession, Plan: planConference, Rooms: 200, Phones: 25, Instances: 3, NATS: "own",
		JoinRate: 500, Timers: true, StepTimeout: Duration(30 * time.Second), StartSpread: Duration(30 * time.Second),
		Behavior: Behavior{Act: true, Window: Duration(4 * time.Second), ChangeVote: 0.2, Quiet: 0.1, Edits: 3, Submit: true, Nicknames: 0.3},
		Churn:    Churn{Every: Duration(10 * time.Second), Share: 0.02, Offline: Duration(2 * time.Second)},
	},
	// soak: conference generations for an hour (make soak); every
	// generation's rooms are deleted before the next starts.
	"soak": {
		Kind: KindSoak, Plan: planConference, Rooms: 40, Phones: 20, Instances: 3, NATS: "own",
		JoinRate: 400, Timers: true, StepTimeout: Duration(30 * time.Second), StartSpread: Duration(10 * time.Second),
		For: Duration(60 * time.Minute), Checks: true,
		Behavior: Behavior{Act: true, Window: Duration(4 * time.Second), ChangeVote: 0.2, Quiet: 0.1, Edits: 3, Submit: true, Nicknames: 0.3},
		Churn:    Churn{Every: Duration(5 * time.Second), Share: 0.03, Offline: Duration(2 * time.Second)},
	},
	// soak-ci: the two-minute soak of make test.
	"soak-ci": {
		Kind: KindSoak, Plan: planSmoke, Rooms: 4, Phones: 20, Instances: 2, NATS: "own",
		JoinRate: 200, StepTimeout: Duration(30 * time.Second), Gap: Duration(100 * time.Millisecond), StartSpread: Duration(time.Second),
		For: Duration(2 * time.Minute), Checks: true,
		Behavior: Behavior{Act: true, Window: Duration(time.Second), ChangeVote: 0.3, Quiet: 0.05, Edits: 2, Submit: true, Nicknames: 0.5},
		Churn:    Churn{Every: Duration(2 * time.Second), Share: 0.03, Offline: Duration(500 * time.Millisecond)},
	},
	// event: a conference event of 500 tables of 20 (issue 8), run like
	// the conference, with the organizer's overview open all along.
	"event": {
		Kind: KindEvent, Plan: planConference, Rooms: 500, Phones: 20, Instances: 3, NATS: "own",
		JoinRate: 500, Timers: true, StepTimeout: Duration(30 * time.Second), StartSpread: Duration(30 * time.Second),
		AnnounceAfter: Duration(60 * time.Second), Checks: true,
		Behavior: Behavior{Act: true, Window: Duration(4 * time.Second), ChangeVote: 0.2, Quiet: 0.1, Edits: 3, Submit: true, Nicknames: 0.3},
		Churn:    Churn{Every: Duration(10 * time.Second), Share: 0.02, Offline: Duration(2 * time.Second)},
	},
	"smoke": {
		Kind: KindSession, Plan: planSmoke, Rooms: 3, Phones: 100, Instances: 1, NATS: "embedded",
		JoinRate: 300, StepTimeout: Duration(30 * time.Second), Checks: true, Gap: Duration(100 * time.Millisecond),
		StartSpread: Duration(time.Second),
		Behavior:    Behavior{Act: true, Window: Duration(time.Second), ChangeVote: 0.3, Quiet: 0.05, Edits: 2, Submit: true, Nicknames: 0.5},
		Churn:       Churn{Every: Duration(2 * time.Second), Share: 0.03, Offline: Duration(500 * time.Millisecond)},
	},
}

// presetNames lists the built-in scenarios in a stable order.
func presetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// loadScenario returns the named preset, with the file (YAML or JSON) laid
// over it when one is given. A file without a name starts from a preset
// only if it names one in "base".
func loadScenario(name, file string) (Scenario, error) {
	var sc Scenario
	if name != "" {
		p, ok := presets[name]
		if !ok {
			return sc, fmt.Errorf("unknown scenario %q; built in: %s", name, strings.Join(presetNames(), ", "))
		}
		sc = p
		sc.Name = name
	}
	if file == "" {
		return sc, nil
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return sc, fmt.Errorf("scenario file: %w", err)
	}
	return parseScenario(sc, src)
}

// parseScenario lays a YAML or JSON document over base. Unknown fields are
// errors.
func parseScenario(base Scenario, src []byte) (Scenario, error) {
	var head struct {
		Base string `yaml:"base"`
	}
	_ = yaml.Unmarshal(src, &head)
	if head.Base != "" {
		p, ok := presets[head.Base]
		if !ok {
			return base, fmt.Errorf("scenario file: unknown base %q", head.Base)
		}
		base = p
		base.Name = head.Base
	}
	var doc struct {
		Base     string `yaml:"base"`
		Scenario `yaml:",inline"`
	}
	doc.Scenario = base
	dec := yaml.NewDecoder(strings.NewReader(string(src)), yaml.DisallowUnknownField())
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return base, fmt.Errorf("scenario file: %w", err)
	}
	return doc.Scenario, nil
}

// Validate checks a scenario against the limits of this harness.
func (sc *Scenario) Validate(maxPhones int) error {
	var problems []string
	bad := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }
	kinds := []string{KindFanout, KindIdle, KindVotes, KindJoins, KindSession, KindSoak, KindEvent}
	if !slices.Contains(kinds, sc.Kind) {
		bad("kind must be one of %s, not %q", strings.Join(kinds, ", "), sc.Kind)
	}
	if sc.Plan == "" {
		bad("plan is required")
	}
	if sc.Rooms < 1 {
		bad("rooms must be at least 1")
	}
	if sc.Phones < 0 {
		bad("phones must not be negative")
	}
	if total := sc.TotalPhones(); total > maxPhones {
		bad("%d phones (with the baseline's) is more than -max-phones %d", total, maxPhones)
	}
	if sc.Instances < 1 || sc.Instances > 8 {
		bad("instances must be 1 to 8")
	}
	switch sc.NATS {
	case "embedded":
		if sc.Instances > 1 {
			bad("several instances need a shared NATS: nats: own")
		}
	case "own":
	default:
		bad("nats must be embedded or own, not %q", sc.NATS)
	}
	if sc.JoinRate < 0 {
		bad("join_rate must not be negative")
	}
	if sc.Rooms > 1 && sc.Kind == KindFanout {
		bad("fanout runs one room")
	}
	if sc.Kind == KindFanout && sc.StepChanges < 1 {
		bad("fanout needs step_changes")
	}
	if sc.Kind == KindEvent && (sc.Rooms > maxEventRooms || sc.NoFacilitator) {
		bad("an event has 1 to %d rooms, each with a facilitator", maxEventRooms)
	}
	if sc.Kind == KindSoak && sc.For <= 0 {
		bad("a soak needs for: how long it runs")
	}
	if sc.Rounds < 0 {
		bad("rounds must not be negative")
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"change_vote", sc.Behavior.ChangeVote}, {"quiet", sc.Behavior.Quiet}, {"nicknames", sc.Behavior.Nicknames}, {"churn.share", sc.Churn.Share}} {
		if f.v < 0 || f.v > 1 {
			bad("%s must be between 0 and 1", f.name)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("scenario %s: %s", sc.Name, strings.Join(problems, "; "))
	}
	return nil
}

// TotalPhones counts every phone the run connects, baseline ones included.
func (sc *Scenario) TotalPhones() int {
	n := sc.Rooms * sc.Phones
	if sc.Baseline {
		n += sc.Phones
	}
	return n
}
