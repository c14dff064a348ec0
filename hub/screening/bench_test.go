package screening

import (
	"strings"
	"testing"
)

// A reflection of ordinary length, and a long text packed with cues, terms
// and number groups: the cost of Check grows with the text, not with cues
// times terms.
func BenchmarkCheck(b *testing.B) {
	terms := Shipped()
	texts := map[string]string{
		"reflection": "Vi snakket om avvergingsplikten og hva kollegaen i caset burde gjort. Jeg tenker at vi må tørre å spørre, og at rutinen for å ringe politiet må være kjent for alle. Ring meg på 41 23 45 67 om du vil snakke mer.",
		"dense":      strings.Repeat("meg slo meg slo jeg ble slått, 41 23 45 67 kari@example.no ", 2000),
	}
	for name, text := range texts {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				Check(terms, "nb", text)
			}
		})
	}
}
