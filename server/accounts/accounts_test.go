package accounts

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stoppunkt/stoppunkt/hub/natsembed"
)

// openStore starts an embedded NATS and opens a store on it.
func openStore(t *testing.T, cfg Config) (*Store, jetstream.JetStream) { return open(t, cfg) }

// openStoreB is openStore for benchmarks.
func openStoreB(b *testing.B) (*Store, jetstream.JetStream) { return open(b, Config{}) }

func open(t testing.TB, cfg Config) (*Store, jetstream.JetStream) {
	t.Helper()
	ns, err := natsembed.Start(natsembed.Options{Dir: t.TempDir(), NoListen: true, ServerName: "accounts-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	nc, err := nats.Connect("", ns.InProcess())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, js
}

func TestPasswordHash(t *testing.T) {
	h := HashPassword("correct horse battery")
	if !CheckPassword(h, "correct horse battery") {
		t.Fatal("the right password was refused")
	}
	if CheckPassword(h, "correct horse batterY") || CheckPassword(h, "") {
		t.Fatal("a wrong password was accepted")
	}
	if h2 := HashPassword("correct horse battery"); h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=99999999,t=3,p=2$AAAA$AAAA", "$bcrypt$x", h[:len(h)-4]} {
		if CheckPassword(bad, "correct horse battery") {
			t.Fatalf("hash %q accepted", bad)
		}
	}
}

func TestFirstAdminIsCreatedOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t, Config{})
	if has, err := s.HasUsers(ctx); err != nil || has {
		t.Fatalf("fresh store HasUsers = %v, %v", has, err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	made := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.CreateFirstAdmin(ctx, NewUser{Email: "admin@example.org", Name: "Admin", Password: "a long password"})
			if err == nil {
				mu.Lock()
				made++
				mu.Unlock()
			} else if !errors.Is(err, ErrSetupDone) && !errors.Is(err, ErrExists) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if made != 1 {
		t.Fatalf("%d first administrators made, want 1", made)
	}
	u, err := s.UserByEmail(ctx, " Admin@Example.org ")
	if err != nil || u.Role != RoleAdmin {
		t.Fatalf("admin = %+v, %v", u, err)
	}
}

func TestInvitationWorksOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t, Config{})
	token, _, err := s.CreateInvite(ctx, "kari@example.org", RoleFacilitator, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptInvite(ctx, token, "Kari", "another long one"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptInvite(ctx, token, "Mallory", "another long one"); !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrUsed) {
		t.Fatalf("second use: %v, want not found or used", err)
	}
	if _, err := s.PeekInvite(ctx, token); !errors.Is(err, ErrNotFound) {
		t.Fatalf("peek after use: %v", err)
	}
	u, err := s.UserByEmail(ctx, "kari@example.org")
	if err != nil || u.Name != "Kari" || !CheckPassword(u.PasswordHash, "another long one") {
		t.Fatalf("user = %+v, %v", u, err)
	}
}

func TestSessionsRevokeAndExpire(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s, js := openStore(t, Config{Now: clock, SessionLifetime: 8 * time.Hour, SessionIdle: time.Hour})
	u, err := s.CreateUser(ctx, NewUser{Email: "a@example.org", Name: "A", Role: RoleFacilitator})
	if err != nil {
		t.Fatal(err)
	}
	ses, cookie, err := s.CreateSession(ctx, u, "password", "Firefox")
	if err != nil {
		t.Fatal(err)
	}
	if got, gu, err := s.CheckSession(ctx, cookie); err != nil || got.ID != ses.ID || gu.ID != u.ID {
		t.Fatalf("check = %v %v %v", got, gu, err)
	}
	for _, forged := range []string{"", cookie + "x", u.ID + "." + ses.ID, "other." + cookie[len(u.ID)+1:]} {
		if _, _, err := s.CheckSession(ctx, forged); !errors.Is(err, ErrSignedOut) {
			t.Fatalf("forged cookie %q: %v", forged, err)
		}
	}
	// A second store on the same JetStream (another instance) sees the
	// revocation at once.
	other, err := Open(ctx, js, Config{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, u.ID, ses.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.CheckSession(ctx, cookie); !errors.Is(err, ErrSignedOut) {
		t.Fatalf("revoked session on the other instance: %v", err)
	}
	_, cookie2, _ := s.CreateSession(ctx, u, "password", "")
	mu.Lock()
	now = now.Add(61 * time.Minute)
	mu.Unlock()
	if _, _, err := s.CheckSession(ctx, cookie2); !errors.Is(err, ErrSignedOut) {
		t.Fatalf("idle session: %v", err)
	}
}

func TestPasswordGuessingIsPaused(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t, Config{Limits: Limits{PerAccount: 10, PerAddress: 100, Window: time.Minute}})
	checked := 0
	for i := 0; i < 1000; i++ {
		ok, err := s.SignInAllowed(ctx, "victim@example.org", "198.51.100.7")
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			continue
		}
		checked++
		if err := s.SignInFailed(ctx, "victim@example.org", "198.51.100.7"); err != nil {
			t.Fatal(err)
		}
	}
	if checked != 10 {
		t.Fatalf("%d of 1000 guesses were checked, want 10", checked)
	}
	// Another account from the same address (a colleague in the same
	// school) is not locked out.
	if ok, _ := s.SignInAllowed(ctx, "colleague@example.org", "198.51.100.7"); !ok {
		t.Fatal("a colleague behind the same address was locked out")
	}
}

func TestPendingStateIsUsedOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t, Config{})
	state, err := s.StartPending(ctx, Pending{Provider: "feide", Nonce: "n", Verifier: "v"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.TakePending(ctx, state); err != nil || p.Nonce != "n" {
		t.Fatalf("take = %+v, %v", p, err)
	}
	if _, err := s.TakePending(ctx, state); err == nil {
		t.Fatal("a replayed state was accepted")
	}
}

func TestLinksAndAudit(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t, Config{})
	for _, l := range []Link{
		{Kind: KindRoom, ID: "room1", User: "u1", Part: PartOwner, Title: "A"},
		{Kind: KindRoom, ID: "room1", User: "u2", Part: PartObserver, Title: "A"},
		{Kind: KindRoom, ID: "room2", User: "u1", Part: PartOwner, Title: "B"},
	} {
		if err := s.PutLink(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := s.Members(ctx, KindRoom, "room1")
	if err != nil || len(ms) != 2 || ms[0].Part != PartOwner {
		t.Fatalf("members = %+v, %v", ms, err)
	}
	if ls, _ := s.Links(ctx, "u1"); len(ls) != 2 {
		t.Fatalf("u1 links = %+v", ls)
	}
	if err := s.ForgetLinks(ctx, KindRoom, "room1"); err != nil {
		t.Fatal(err)
	}
	if ls, _ := s.Links(ctx, "u2"); len(ls) != 0 {
		t.Fatalf("u2 links after forget = %+v", ls)
	}
	for i := 0; i < 7; i++ {
		if err := s.Record(ctx, Entry{Action: ActRoomCreated, Actor: "u1", Target: "ABC"}); err != nil {
			t.Fatal(err)
		}
	}
	page, next, err := s.Audit(ctx, 0, 5)
	if err != nil || len(page) != 5 || next == 0 {
		t.Fatalf("audit page = %d entries, next %d, %v", len(page), next, err)
	}
	rest, next, err := s.Audit(ctx, next, 5)
	if err != nil || len(rest) != 2 || next != 0 {
		t.Fatalf("audit rest = %d entries, next %d, %v", len(rest), next, err)
	}
}
