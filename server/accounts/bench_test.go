package accounts

import (
	"context"
	"testing"
)

// BenchmarkCheckSession is the cost a signed-in request adds: reading its
// session and its account from JetStream KV (embedded NATS, in-process).
func BenchmarkCheckSession(b *testing.B) {
	ctx := context.Background()
	s, _ := openStoreB(b)
	u, err := s.CreateUser(ctx, NewUser{Email: "bench@example.org", Name: "Bench", Role: RoleFacilitator})
	if err != nil {
		b.Fatal(err)
	}
	_, cookie, err := s.CreateSession(ctx, u, "password", "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := s.CheckSession(ctx, cookie); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPasswordHash is one Argon2id hash with the parameters every
// password sign-in pays once.
func BenchmarkPasswordHash(b *testing.B) {
	h := HashPassword("correct horse battery")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !CheckPassword(h, "correct horse battery") {
			b.Fatal("refused")
		}
	}
}
