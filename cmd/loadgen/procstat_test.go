package main

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// The command name may hold spaces and parentheses.
	stat := []byte("4242 (we(ird) name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 12 0 100 123456789 2000 18446744073709551615\n")
	ut, st, err := parseStat(stat)
	if err != nil {
		t.Fatal(err)
	}
	if ut != 1234 || st != 567 {
		t.Fatalf("utime %d stime %d, want 1234 567", ut, st)
	}
	for _, bad := range []string{"", "1 (x S 1 2", "1 (x) S 1 2 3"} {
		if _, _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) should fail", bad)
		}
	}
}

func TestParseStatus(t *testing.T) {
	status := []byte("Name:\tstoppunkt\nVmPeak:\t  900000 kB\nVmHWM:\t  812345 kB\nVmRSS:\t  765432 kB\nThreads:\t15\nbogus line\n")
	rss, hwm, threads := parseStatus(status)
	if rss != 765432 || hwm != 812345 || threads != 15 {
		t.Fatalf("rss %d hwm %d threads %d", rss, hwm, threads)
	}
}

func TestReadProcOfSelf(t *testing.T) {
	s, err := ReadProc(os.Getpid())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if s.RSSKB == 0 || s.Threads == 0 || s.OpenFDs == 0 {
		t.Fatalf("implausible sample %+v", s)
	}
	w := newProcWatch("self", os.Getpid())
	w.Sample()
	busy := time.Now()
	for time.Since(busy) < 50*time.Millisecond {
	}
	w.Sample()
	if len(w.Series()) != 2 || w.MaxRSSKB() == 0 {
		t.Fatalf("series %d max %d", len(w.Series()), w.MaxRSSKB())
	}
}

func TestParseMachineCPU(t *testing.T) {
	busy, total, err := parseMachineCPU([]byte("cpu  100 5 50 1000 20 0 7 3 9 0\ncpu0 1 2 3 4\n"))
	if err != nil {
		t.Fatal(err)
	}
	// guest (9) is part of user already; idle and iowait are not busy.
	if total != 100+5+50+1000+20+0+7+3 || busy != 100+5+50+7+3 {
		t.Fatalf("busy %d total %d", busy, total)
	}
	if _, _, err := parseMachineCPU([]byte("intr 1 2 3\n")); err == nil {
		t.Fatal("no cpu line must fail")
	}
}
