package chaos

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// server is one stoppunkt process.
type server struct {
	name string
	cmd  *exec.Cmd
	addr string
}

func (s *server) url() string { return "http://" + s.addr }
func (s *server) ws() string  { return "ws://" + s.addr + "/ws" }

// binary is the stoppunkt binary to run: STOPPUNKT_BIN (the Makefile
// passes the one it built), or one built for this test.
func binary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("STOPPUNKT_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("STOPPUNKT_BIN: %v", err)
		}
		return bin
	}
	bin := filepath.Join(t.TempDir(), "stoppunkt")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/stoppunkt/stoppunkt/cmd/stoppunkt").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServer starts a stoppunkt process on NATS and waits until it is
// ready; the test's end kills it.
func startServer(t *testing.T, bin, natsURL, name string) *server {
	t.Helper()
	s := &server{name: name, addr: freeAddr(t)}
	s.cmd = exec.Command(bin, "--addr", s.addr, "--nats-url", natsURL, "--name", name,
		"--join-rate", "5000", "--message-rate", "1000", "--log-level", "warn")
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, os.Stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.cmd.Process.Kill(); _, _ = s.cmd.Process.Wait() })
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(s.url() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not ready within 2 minutes", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
