package wire

import (
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name  string
		frame string
		code  Code
	}{
		{"ok", `{"type":"ping","id":"1"}`, ""},
		{"ok with data", `{"type":"next","data":{"from":1}}`, ""},
		{"truncated", `{"type":`, CodeBadJSON},
		{"not json", `hello`, CodeBadJSON},
		{"two values", `{"type":"ping"}{"type":"ping"}`, CodeBadJSON},
		{"no type", `{"id":"1"}`, CodeInvalid},
		{"type not a string", `{"type":5}`, CodeInvalid},
		{"unknown envelope field", `{"type":"ping","extra":1}`, CodeInvalid},
		{"deep nesting", `{"type":"ping","data":` + strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40) + `}`, CodeBadJSON},
		{"brackets in strings do not count", `{"type":"ping","id":"[[[[[[[[[[[[[[[[[[[[[[[[[["}`, ""},
		{"invalid utf-8", "{\"type\":\"ping\",\"id\":\"\xc3\x28\"}", CodeBadJSON},
		{"long id", `{"type":"ping","id":"` + strings.Repeat("x", 65) + `"}`, CodeTooLarge},
		{"oversized", `{"type":"ping","id":"` + strings.Repeat("x", MaxFrameBytes) + `"}`, CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.frame))
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Code != tt.code || e.Message == "" {
				t.Fatalf("want %s, got %v", tt.code, err)
			}
		})
	}
}

func TestDecodeData(t *testing.T) {
	in, err := Decode([]byte(`{"type":"goto","data":{"step":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Step int `json:"step"`
	}
	err = DecodeData(in, &v)
	if e, ok := err.(*Error); !ok || e.Code != CodeInvalid || !strings.Contains(e.Message, "step must be a whole number, not a string") {
		t.Fatalf("got %v", err)
	}
	if err := DecodeData(In{Type: "x"}, &v); err != nil || v.Step != 0 {
		t.Fatalf("empty data: %v", err)
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		in   string
		want string
		code Code
	}{
		{"  Kari  ", "Kari", ""},
		{"", "", ""},
		{"<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>", ""}, // text; the screens escape it
		{"Kari\u202eevil", "", CodeInvalid},
		{"Ka\u200bri", "", CodeInvalid},
		{"a\x00b", "", CodeInvalid},
		{strings.Repeat("n", 10000), "", CodeTooLarge},
	}
	for _, tt := range tests {
		got, err := CheckName(tt.in, 40)
		if tt.code != "" {
			if e, ok := err.(*Error); !ok || e.Code != tt.code {
				t.Fatalf("%q: want %s, got %v", tt.in, tt.code, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Fatalf("%q: got %q, %v", tt.in, got, err)
		}
	}
}

func TestCheckTextKeepsEmojiJoiners(t *testing.T) {
	family := "👩\u200d👩\u200d👧"
	if got, err := CheckText("hei "+family+"\nlinje två\t!", 100); err != nil || !strings.Contains(got, family) {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := CheckText("x\u2066y", 100); err == nil {
		t.Fatal("isolate override accepted")
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"type":"ping"}`, `{"type":"hello","data":{"protocol":1}}`, `[`, "\xff", `{"type":"answer","id":"a","data":{"step":1,"choices":[0]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Decode(data)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		var v map[string]any
		if err := DecodeData(in, &v); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("untyped data error %T: %v", err, err)
			}
		}
	})
}

// Every frame is one JSON object; data, when sent, is an object too; a
// type that takes no data refuses any; numbers are named as people say
// them.
func TestDecodeShapes(t *testing.T) {
	for _, frame := range []string{`[1,2]`, `"hello"`, `42`, `null`, `  [ {"type":"ping"} ]`} {
		if _, err := Decode([]byte(frame)); AsError(err).Code != CodeBadJSON {
			t.Errorf("%s: %v, want bad_json", frame, err)
		}
	}
	in, err := Decode([]byte(`{"type":"lock","data":[1]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := NoData(in); AsError(err).Code != CodeInvalid || !strings.Contains(AsError(err).Message, "data must be an object") {
		t.Errorf("data [1]: %v", err)
	}
	for _, frame := range []string{`{"type":"ping","data":{"x":1}}`, `{"type":"lock","data":{"room":"y"}}`} {
		in, err := Decode([]byte(frame))
		if err != nil {
			t.Fatal(err)
		}
		if err := NoData(in); AsError(err).Code != CodeInvalid || !strings.Contains(AsError(err).Message, "unknown field") {
			t.Errorf("%s: %v, want invalid (unknown field)", frame, err)
		}
	}
	for _, frame := range []string{`{"type":"ping"}`, `{"type":"ping","data":null}`, `{"type":"ping","data":{}}`} {
		in, _ := Decode([]byte(frame))
		if err := NoData(in); err != nil {
			t.Errorf("%s: %v", frame, err)
		}
	}
	in, _ = Decode([]byte(`{"type":"hello","data":{"last_seq":-5}}`))
	var h Hello
	err = DecodeData(in, &h)
	if e := AsError(err); e.Code != CodeInvalid || e.Message != "field last_seq must be a whole number, 0 or more, not -5" {
		t.Errorf("last_seq -5: %v", err)
	}
}
