package wire

import (
	"strings"
	"testing"
)

// The protocol's hot paths, for `go test -bench . ./hub/wire/`: decoding
// a phone's vote (every inbound frame takes this path) and encoding a
// broadcast frame (once per event, whatever the number of phones).

// BenchmarkDecodeAnswer decodes a vote frame and its payload.
func BenchmarkDecodeAnswer(b *testing.B) {
	frame := []byte(`{"type":"answer","id":"3f6c1a9e-7b2d-4c8e-9a51-0d2e6f4b8c17","data":{"step":3,"choices":[1]}}`)
	var data struct {
		Step    int   `json:"step"`
		Choices []int `json:"choices"`
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		in, err := Decode(frame)
		if err != nil {
			b.Fatal(err)
		}
		if err := DecodeData(in, &data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeStepFrame encodes a participant's step frame of about
// 600 bytes, the keynote's broadcast.
func BenchmarkEncodeStepFrame(b *testing.B) {
	type option struct {
		Label string `json:"label"`
	}
	data := map[string]any{
		"index": 4, "kind": "poll", "title": "Is the duty to avert triggered here?",
		"body":    strings.Repeat("A colleague tells you something that worries you. ", 8),
		"options": []option{{"Yes"}, {"No"}, {"Not sure"}},
		"open":    true, "revealed": false, "multiple": false,
	}
	b.ReportAllocs()
	for b.Loop() {
		f, err := NewFrame(Out{Type: TypeStep, Seq: 12345, Data: data})
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(f.Data)))
	}
}
