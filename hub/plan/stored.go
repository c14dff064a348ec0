package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Stored is an uploaded plan as the plan store keeps it: its YAML source
// and who owns it.
type Stored struct {
	Owner  string `json:"owner,omitempty"`
	Shared bool   `json:"shared,omitempty"`
	// Revision is the saved version this is (1, 2, ...; 0: unknown).
	Revision int    `json:"revision,omitempty"`
	Source   string `json:"source"`
}

// EncodeStored is the stored form of an uploaded plan. A plan nobody owns
// is kept as its bare YAML source, as before accounts existed.
func EncodeStored(st Stored) []byte {
	if st.Owner == "" && st.Revision == 0 {
		return []byte(st.Source)
	}
	b, _ := json.Marshal(st)
	return b
}

// DecodeStored reads what EncodeStored wrote: a JSON object with the
// source, or bare YAML.
func DecodeStored(b []byte) (Stored, error) {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' && bytes.Contains(t, []byte(`"source"`)) {
		var st Stored
		if err := json.Unmarshal(t, &st); err != nil {
			return Stored{}, fmt.Errorf("plan: stored plan: %w", err)
		}
		return st, nil
	}
	return Stored{Source: string(b)}, nil
}
