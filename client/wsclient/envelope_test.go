package wsclient

import (
	"strings"
	"testing"
)

func TestParseEnvelope(t *testing.T) {
	cases := []struct {
		in          string
		typ, id     string
		seq         uint64
		data        string
		fastPathHit bool
	}{
		{`{"type":"step","seq":12,"data":{"index":3}}`, "step", "", 12, `{"index":3}`, true},
		{`{"type":"ack","seq":6,"id":"p1.2","data":{"seq":6}}`, "ack", "p1.2", 6, `{"seq":6}`, true},
		{`{"type":"pong","id":"p1"}`, "pong", "p1", 0, ``, true},
		{`{"type":"welcome","data":{"protocol":1}}`, "welcome", "", 0, `{"protocol":1}`, true},
		// Escapes, other field orders and spaces take the slow path.
		{`{"type":"ack","id":"a\"b","data":{}}`, "ack", `a"b`, 0, `{}`, false},
		{`{"seq":9,"type":"room","data":{"x":1}}`, "room", "", 9, `{"x":1}`, false},
		{`{ "type": "timer", "seq": 3, "data": {} }`, "timer", "", 3, `{}`, false},
	}
	for _, c := range cases {
		env, err := ParseEnvelope([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if env.Type != c.typ || env.ID != c.id || env.Seq != c.seq || string(env.Data) != c.data {
			t.Errorf("%s: got %q %q %d %q", c.in, env.Type, env.ID, env.Seq, env.Data)
		}
		if _, ok := fastEnvelope([]byte(c.in)); ok != c.fastPathHit {
			t.Errorf("%s: fast path %v, want %v", c.in, ok, c.fastPathHit)
		}
	}
	for _, bad := range []string{``, `[]`, `{"type":""}`, `{"type":"step","seq":`, `not json`} {
		if _, err := ParseEnvelope([]byte(bad)); err == nil {
			t.Errorf("%q should not parse", bad)
		}
	}
}

func BenchmarkParseEnvelope(b *testing.B) {
	frame := []byte(`{"type":"step","seq":12345,"data":{"pad":"` + strings.Repeat("x", 598) + `"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseEnvelope(frame); err != nil {
			b.Fatal(err)
		}
	}
}
