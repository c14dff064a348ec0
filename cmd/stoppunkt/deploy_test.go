package main

// Tests of the deployment files in deploy/ and of docs/operations.md,
// without a container engine: every setting they use exists in this
// binary and is accepted by it, every config file parses, and the pieces
// agree with each other (upstreams, scrape targets, grace periods, metric
// names).

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	deployDir     = "../../deploy"
	operationsDoc = "../../docs/operations.md"
	composeDir    = deployDir + "/compose"
	chartDir      = deployDir + "/kubernetes/stoppunkt"
	dashboardFile = deployDir + "/grafana/stoppunkt-dashboard.json"
)

// --- settings -------------------------------------------------------------

// binarySettings are the environment variables and flags this binary reads.
func binarySettings() (envs, flags map[string]bool) {
	s := newSettings(io.Discard)
	registerSettings(s)
	envs, flags = map[string]bool{}, map[string]bool{"version": true, "help": true}
	for _, name := range s.envNames() {
		envs[name] = true
	}
	for _, st := range s.list {
		flags[st.name] = true
	}
	return envs, flags
}

// acceptConfig runs the environment through the binary's own parsing and
// checking, as a start would.
func acceptConfig(t *testing.T, where string, env map[string]string) {
	t.Helper()
	s := newSettings(io.Discard)
	opts := registerSettings(s)
	if err := s.parse(nil, func(k string) string { return env[k] }); err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	if _, err := opts.config(); err != nil {
		t.Errorf("%s: the binary refuses this configuration: %v", where, err)
	}
}

// deployFiles lists the text files under deploy/ and docs/operations.md.
func deployFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(deployDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("only %d files under %s", len(files), deployDir)
	}
	return append(files, operationsDoc)
}

var envRef = regexp.MustCompile(`\bSTOPPUNKT_[A-Z0-9_]+\b`)

// stoppunktFlags finds "--flag" arguments given to the stoppunkt binary in
// a line: after a token that is the binary (stoppunkt, ./stoppunkt,
// /usr/local/bin/stoppunkt), up to the first positional argument (a
// subcommand, or a word that shows it was not the binary at all, as in
// `helm install stoppunkt ./chart`).
func stoppunktFlags(line string) []string {
	fields := strings.Fields(line)
	var out []string
	for i := 0; i < len(fields); i++ {
		tok := strings.Trim(fields[i], "`\"'[],()$")
		tok = strings.TrimPrefix(tok, "ExecStart=")
		if tok != "stoppunkt" && !strings.HasSuffix(tok, "bin/stoppunkt") && tok != "./stoppunkt" {
			continue
		}
		if i > 0 {
			prev := fields[i-1]
			if strings.HasPrefix(prev, "-") && !strings.Contains(prev, "=") && !booleanOptions[prev] {
				continue // the value of another program's option, as in --name stoppunkt
			}
		}
		for j := i + 1; j < len(fields); j++ {
			arg := strings.Trim(fields[j], "`\"'[],()")
			if !strings.HasPrefix(arg, "--") {
				break
			}
			name, _, hasValue := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
			out = append(out, name)
			if !hasValue && j+1 < len(fields) && !strings.HasPrefix(fields[j+1], "-") {
				j++ // its value
			}
		}
	}
	return out
}

func TestStoppunktFlagsFindsBinaryArguments(t *testing.T) {
	for line, want := range map[string]string{
		"ExecStart=/usr/local/bin/stoppunkt --addr :8080 --log-format=json": "addr log-format",
		"  $ stoppunkt --version":                                                        "version",
		`CMD ["/usr/local/bin/stoppunkt", "healthcheck"]`:                                "",
		"helm install stoppunkt ./deploy/kubernetes/stoppunkt --set x=y":                 "",
		"docker run -d --name stoppunkt --restart unless-stopped":                        "",
		"docker run --rm stoppunkt --nats-url nats://a:4222 --pprof-addr 127.0.0.1:6060": "nats-url pprof-addr",
	} {
		if got := strings.Join(stoppunktFlags(line), " "); got != want {
			t.Errorf("%q: flags %q, want %q", line, got, want)
		}
	}
}

// booleanOptions are options of other programs (docker run) that take no
// value, so that a "stoppunkt" after them is the image, not their value.
var booleanOptions = map[string]bool{"--rm": true, "-d": true, "--detach": true, "-it": true, "--init": true}

var inlineFlag = regexp.MustCompile("`--([a-z][a-z0-9-]*)(?:[ =][^`]*)?`")

func TestDeployUsesOnlyRealSettings(t *testing.T) {
	envs, flags := binarySettings()
	used := map[string]bool{}
	for _, path := range deployFiles(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for n, line := range strings.Split(string(src), "\n") {
			where := fmt.Sprintf("%s:%d", path, n+1)
			for _, env := range envRef.FindAllString(line, -1) {
				used[env] = true
				if !envs[env] {
					t.Errorf("%s: %s is not an environment variable of stoppunkt (see --help)", where, env)
				}
			}
			for _, f := range stoppunktFlags(line) {
				if !flags[f] {
					t.Errorf("%s: --%s is not a flag of stoppunkt", where, f)
				}
			}
			if path == operationsDoc {
				for _, m := range inlineFlag.FindAllStringSubmatch(line, -1) {
					if !flags[m[1]] {
						t.Errorf("%s: `--%s` is not a flag of stoppunkt", where, m[1])
					}
				}
			}
		}
	}
	for _, must := range []string{"STOPPUNKT_NATS_URL", "STOPPUNKT_NATS_REPLICAS", "STOPPUNKT_TRUSTED_PROXIES",
		"STOPPUNKT_PUBLIC_URL", "STOPPUNKT_ACCESS_CODE", "STOPPUNKT_LOG_FORMAT", "STOPPUNKT_DRAIN_TIMEOUT"} {
		if !used[must] {
			t.Errorf("no deployment file sets %s", must)
		}
	}
}

// --- Dockerfile -------------------------------------------------------------

func TestDockerfile(t *testing.T) {
	src, err := os.ReadFile(deployDir + "/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	// Join continuation lines, then read instructions of the final stage.
	text := strings.ReplaceAll(string(src), "\\\n", " ")
	var stages int
	final := map[string][]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		instr = strings.ToUpper(instr)
		if instr == "FROM" {
			stages++
			final = map[string][]string{}
		}
		final[instr] = append(final[instr], strings.TrimSpace(rest))
	}
	if stages < 2 {
		t.Errorf("Dockerfile has %d stages; want a build stage and a runtime stage", stages)
	}
	if !strings.Contains(text, "CGO_ENABLED=0") {
		t.Error("Dockerfile: the binary is not built static (CGO_ENABLED=0)")
	}
	user := strings.Join(final["USER"], "")
	if user == "" || strings.HasPrefix(user, "root") || strings.HasPrefix(user, "0") {
		t.Errorf("Dockerfile: final stage runs as %q; want a non-root user", user)
	}
	hc := strings.Join(final["HEALTHCHECK"], " ")
	if !strings.Contains(hc, `"/usr/local/bin/stoppunkt", "healthcheck"`) {
		t.Errorf("Dockerfile: HEALTHCHECK %q does not run `stoppunkt healthcheck`", hc)
	}
	env := map[string]string{}
	for _, e := range final["ENV"] {
		for _, kv := range strings.Fields(e) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("Dockerfile: ENV %q: use KEY=value", e)
			}
			env[k] = v
		}
	}
	acceptConfig(t, "Dockerfile ENV", env)
	if vol := strings.Join(final["VOLUME"], " "); !strings.Contains(vol, env["STOPPUNKT_DATA"]) || env["STOPPUNKT_DATA"] == "" {
		t.Errorf("Dockerfile: VOLUME %q is not the data folder STOPPUNKT_DATA=%q", vol, env["STOPPUNKT_DATA"])
	}
	_, port, _ := strings.Cut(env["STOPPUNKT_ADDR"], ":")
	if expose := strings.Join(final["EXPOSE"], " "); port == "" || expose != port {
		t.Errorf("Dockerfile: EXPOSE %q, but STOPPUNKT_ADDR=%q", expose, env["STOPPUNKT_ADDR"])
	}
	if ep := strings.Join(final["ENTRYPOINT"], ""); !strings.Contains(ep, "/usr/local/bin/stoppunkt") {
		t.Errorf("Dockerfile: ENTRYPOINT %q", ep)
	}
}

// --- systemd ----------------------------------------------------------------

func TestSystemdUnit(t *testing.T) {
	unit := readINI(t, deployDir+"/systemd/stoppunkt.service")
	svc := unit["Service"]
	if svc == nil || unit["Unit"] == nil || unit["Install"] == nil {
		t.Fatalf("unit lacks [Unit], [Service] or [Install]: %v", unit)
	}
	if exec := strings.Join(svc["ExecStart"], ""); !strings.HasPrefix(exec, "/usr/local/bin/stoppunkt") {
		t.Errorf("ExecStart=%q", exec)
	}
	if u := strings.Join(svc["User"], ""); u == "" || u == "root" {
		t.Errorf("User=%q: run as a system user", u)
	}
	env := map[string]string{}
	for _, e := range svc["Environment"] {
		k, v, _ := strings.Cut(e, "=")
		env[k] = v
	}
	for k, v := range readEnvFile(t, deployDir+"/systemd/stoppunkt.env.example") {
		env[k] = v
	}
	acceptConfig(t, "systemd unit with stoppunkt.env.example", env)
	drain := durationSetting(t, env["STOPPUNKT_DRAIN_TIMEOUT"], "20s")
	stop, err := strconv.Atoi(strings.Join(svc["TimeoutStopSec"], ""))
	if err != nil || time.Duration(stop)*time.Second <= drain {
		t.Errorf("TimeoutStopSec=%v must exceed the drain timeout %s", svc["TimeoutStopSec"], drain)
	}
	if n, _ := strconv.Atoi(strings.Join(svc["LimitNOFILE"], "")); n < 65536 {
		t.Errorf("LimitNOFILE=%v: every phone is a file descriptor", svc["LimitNOFILE"])
	}
	if state := strings.Join(svc["StateDirectory"], ""); env["STOPPUNKT_DATA"] != "/var/lib/"+state {
		t.Errorf("STOPPUNKT_DATA=%q is not the StateDirectory %q", env["STOPPUNKT_DATA"], state)
	}

	// The reverse proxies next to the unit point at its address.
	addr := env["STOPPUNKT_ADDR"]
	caddy := readFile(t, deployDir+"/systemd/Caddyfile")
	checkBalanced(t, "systemd/Caddyfile", caddy, "{}")
	if !regexp.MustCompile(`(?m)^\s*reverse_proxy\s+` + regexp.QuoteMeta(addr) + `\b`).MatchString(caddy) {
		t.Errorf("systemd/Caddyfile: no reverse_proxy to %s", addr)
	}
	checkMetricsHidden(t, "systemd/Caddyfile", caddy)
	checkNginx(t, deployDir+"/systemd/nginx.conf", []string{addr})
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readINI reads a systemd unit: section -> key -> values.
func readINI(t *testing.T, path string) map[string]map[string][]string {
	t.Helper()
	out := map[string]map[string][]string{}
	var section map[string][]string
	sc := bufio.NewScanner(strings.NewReader(readFile(t, path)))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = map[string][]string{}
			out[strings.Trim(line, "[]")] = section
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == nil {
				t.Fatalf("%s:%d: not key=value in a section: %q", path, n, line)
			}
			section[k] = append(section[k], v)
		}
	}
	return out
}

// readEnvFile reads KEY=value lines, skipping comments.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for n, line := range strings.Split(readFile(t, path), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s:%d: not KEY=value: %q", path, n+1, line)
		}
		env[k] = v
	}
	return env
}

func durationSetting(t *testing.T, v, def string) time.Duration {
	t.Helper()
	if v == "" {
		v = def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("duration %q: %v", v, err)
	}
	return d
}

func checkBalanced(t *testing.T, where, text, pairs string) {
	t.Helper()
	var stack []rune
	for n, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		for _, r := range line {
			for p := 0; p < len(pairs); p += 2 {
				switch r {
				case rune(pairs[p]):
					stack = append(stack, r)
				case rune(pairs[p+1]):
					if len(stack) == 0 || stack[len(stack)-1] != rune(pairs[p]) {
						t.Errorf("%s:%d: unbalanced %c", where, n+1, r)
						return
					}
					stack = stack[:len(stack)-1]
				}
			}
		}
	}
	if len(stack) > 0 {
		t.Errorf("%s: %d unclosed %q", where, len(stack), string(stack))
	}
}

func checkMetricsHidden(t *testing.T, where, caddyfile string) {
	t.Helper()
	if !regexp.MustCompile(`@\w+\s+path\s+/metrics\b`).MatchString(caddyfile) || !regexp.MustCompile(`respond\s+@\w+\s+404`).MatchString(caddyfile) {
		t.Errorf("%s: /metrics is not kept from the internet", where)
	}
}

// checkNginx checks an nginx site: balanced, websocket upgrade for /ws
// with long timeouts, every upstream listed.
func checkNginx(t *testing.T, path string, upstreams []string) {
	t.Helper()
	conf := readFile(t, path)
	checkBalanced(t, path, conf, "{}")
	ws := regexp.MustCompile(`(?s)location\s+/ws\s*\{(.*?)\n\s*\}`).FindStringSubmatch(conf)
	if ws == nil {
		t.Fatalf("%s: no location /ws", path)
	}
	for _, want := range []string{"proxy_pass", "proxy_http_version 1.1", "proxy_set_header Upgrade $http_upgrade",
		"proxy_set_header Connection $connection_upgrade", "proxy_set_header X-Forwarded-For", "proxy_set_header Host"} {
		if !strings.Contains(ws[1], want) && !(want == "proxy_http_version 1.1" && strings.Contains(conf, want)) {
			t.Errorf("%s: location /ws lacks %q", path, want)
		}
	}
	m := regexp.MustCompile(`proxy_read_timeout\s+(\d+)s`).FindStringSubmatch(ws[1])
	if m == nil {
		t.Errorf("%s: location /ws sets no proxy_read_timeout (nginx's 60s is barely above the 54s ping)", path)
	} else if n, _ := strconv.Atoi(m[1]); n < 120 {
		t.Errorf("%s: proxy_read_timeout %ss is too short for websockets", path, m[1])
	}
	for _, u := range upstreams {
		if !regexp.MustCompile(`server\s+` + regexp.QuoteMeta(u) + `\b`).MatchString(conf) {
			t.Errorf("%s: upstream %s missing", path, u)
		}
	}
	if !regexp.MustCompile(`location\s*=\s*/metrics\s*\{\s*return\s+404`).MatchString(conf) {
		t.Errorf("%s: /metrics is not kept from the internet", path)
	}
}
