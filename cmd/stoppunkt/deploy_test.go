package main

// Tests of the deployment files in deploy/ and of docs/operations.md,
// without a container engine: every setting they use exists in this
// binary and is accepted by it, every config file parses, and the pieces
// agree with each other (upstreams, scrape targets, grace periods, metric
// names).

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/goccy/go-yaml"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stoppunkt/stoppunkt/hub"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
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

// --- Docker Compose ---------------------------------------------------------

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Networks map[string]struct {
		IPAM struct {
			Config []struct {
				Subnet string `yaml:"subnet"`
			} `yaml:"config"`
		} `yaml:"ipam"`
	} `yaml:"networks"`
	Volumes map[string]any `yaml:"volumes"`
}

type composeService struct {
	Image           string            `yaml:"image"`
	Command         []string          `yaml:"command"`
	Environment     map[string]string `yaml:"environment"`
	Volumes         []string          `yaml:"volumes"`
	Networks        any               `yaml:"networks"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
	Build           map[string]string `yaml:"build"`
	Healthcheck     map[string]any    `yaml:"healthcheck"`
}

var composeVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}`)

// interpolate substitutes ${VAR}, ${VAR:-default} and ${VAR:?error} as
// Docker Compose does.
func interpolate(s string, vars map[string]string, used map[string]string) (string, error) {
	var err error
	out := composeVar.ReplaceAllStringFunc(s, func(ref string) string {
		m := composeVar.FindStringSubmatch(ref)
		name, op, arg := m[1], m[2], m[3]
		v, set := vars[name]
		used[name] = op
		switch op {
		case ":-":
			if v == "" {
				return arg
			}
		case "-":
			if !set {
				return arg
			}
		case ":?", "?":
			if v == "" {
				err = fmt.Errorf("%s: %s", name, arg)
			}
		}
		return v
	})
	return out, err
}

func loadCompose(t *testing.T, vars map[string]string) (*composeFile, map[string]string) {
	t.Helper()
	var raw any
	if err := yaml.Unmarshal([]byte(readFile(t, composeDir+"/docker-compose.yml")), &raw); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	used := map[string]string{}
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case string:
			s, err := interpolate(v, vars, used)
			if err != nil {
				t.Errorf("docker-compose.yml: %v", err)
			}
			return s
		case map[string]any:
			for k, e := range v {
				v[k] = walk(e)
			}
		case []any:
			for i, e := range v {
				v[i] = walk(e)
			}
		}
		return v
	}
	b, err := yaml.Marshal(walk(raw))
	if err != nil {
		t.Fatal(err)
	}
	var cf composeFile
	if err := yaml.Unmarshal(b, &cf); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return &cf, used
}

func TestCompose(t *testing.T) {
	example := readEnvFile(t, composeDir+"/env.example")
	vars := map[string]string{}
	for k, v := range example {
		vars[k] = v
	}
	vars["STOPPUNKT_ACCESS_CODE"] = "a-long-enough-test-code"
	vars["GRAFANA_ADMIN_PASSWORD"] = "test"
	cf, used := loadCompose(t, vars)

	// Every variable the file needs is in env.example, with or without a value.
	exampleText := readFile(t, composeDir+"/env.example")
	for name, op := range used {
		if !regexp.MustCompile(`(?m)^#?` + name + `=`).MatchString(exampleText) {
			t.Errorf("docker-compose.yml uses ${%s} (%q), but env.example does not mention it", name, op)
		}
	}

	var instances, natsNodes []string
	for name, svc := range cf.Services {
		switch {
		case strings.HasPrefix(name, "stoppunkt-"):
			instances = append(instances, name)
			if svc.Build["dockerfile"] != "deploy/Dockerfile" {
				t.Errorf("%s: build.dockerfile %q", name, svc.Build["dockerfile"])
			}
		case regexp.MustCompile(`^nats-\d+$`).MatchString(name):
			natsNodes = append(natsNodes, name)
		}
	}
	sort.Strings(instances)
	sort.Strings(natsNodes)
	if len(instances) != 3 || len(natsNodes) != 3 {
		t.Fatalf("compose has instances %v and NATS nodes %v; want three of each", instances, natsNodes)
	}

	proxy := cf.Services["caddy"]
	proxyIP := ""
	if nets, ok := proxy.Networks.(map[string]any); ok {
		for _, n := range nets {
			if m, ok := n.(map[string]any); ok && m["ipv4_address"] != nil {
				proxyIP = fmt.Sprint(m["ipv4_address"])
			}
		}
	}
	if proxyIP == "" {
		t.Error("caddy has no fixed address for STOPPUNKT_TRUSTED_PROXIES")
	}

	for _, name := range instances {
		svc := cf.Services[name]
		env := svc.Environment
		acceptConfig(t, "compose "+name, env)
		for _, node := range natsNodes {
			if !strings.Contains(env["STOPPUNKT_NATS_URL"], "nats://"+node+":4222") {
				t.Errorf("%s: STOPPUNKT_NATS_URL %q lacks %s", name, env["STOPPUNKT_NATS_URL"], node)
			}
		}
		for k, want := range map[string]string{
			"STOPPUNKT_NATS_REPLICAS":   "3",
			"STOPPUNKT_LOG_FORMAT":      "json",
			"STOPPUNKT_TRUSTED_PROXIES": proxyIP,
			"STOPPUNKT_ACCESS_CODE":     vars["STOPPUNKT_ACCESS_CODE"],
			"STOPPUNKT_PUBLIC_URL":      vars["STOPPUNKT_PUBLIC_URL"],
			"STOPPUNKT_NAME":            name,
		} {
			if env[k] != want {
				t.Errorf("%s: %s=%q, want %q", name, k, env[k], want)
			}
		}
		drain := durationSetting(t, env["STOPPUNKT_DRAIN_TIMEOUT"], "20s")
		if grace := durationSetting(t, svc.StopGracePeriod, "10s"); grace <= drain {
			t.Errorf("%s: stop_grace_period %s must exceed the drain timeout %s", name, grace, drain)
		}
	}
	// The access code comes from .env, never from the compose file itself.
	if used["STOPPUNKT_ACCESS_CODE"] != ":?" {
		t.Error("docker-compose.yml must take STOPPUNKT_ACCESS_CODE from .env with ${STOPPUNKT_ACCESS_CODE:?...}")
	}

	// Every relative bind mount exists; every named volume is declared.
	for name, svc := range cf.Services {
		for _, v := range svc.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(filepath.Join(composeDir, src)); err != nil {
					t.Errorf("%s: volume %q: %v", name, v, err)
				}
			} else if _, ok := cf.Volumes[src]; !ok {
				t.Errorf("%s: named volume %q is not declared", name, src)
			}
		}
	}

	// NATS: one config for all nodes, each with its own name and volume.
	for _, node := range natsNodes {
		svc := cf.Services[node]
		if svc.Environment["SERVER_NAME"] != node {
			t.Errorf("%s: SERVER_NAME=%q", node, svc.Environment["SERVER_NAME"])
		}
		if !strings.Contains(strings.Join(svc.Volumes, " "), "./nats/nats.conf:/etc/nats/nats.conf") ||
			!strings.Contains(strings.Join(svc.Command, " "), "/etc/nats/nats.conf") {
			t.Errorf("%s: does not run with nats/nats.conf", node)
		}
		if !strings.Contains(strings.Join(svc.Volumes, " "), node+":/data") {
			t.Errorf("%s: JetStream store is not on its own volume", node)
		}
	}
	checkNATSConf(t, natsNodes)

	// One exporter per NATS node.
	exporters := map[string]string{}
	for name, svc := range cf.Services {
		if strings.Contains(svc.Image, "prometheus-nats-exporter") {
			cmd := strings.Join(svc.Command, " ")
			for _, node := range natsNodes {
				if strings.Contains(cmd, "http://"+node+":8222") {
					exporters[node] = name
				}
			}
		}
	}
	if len(exporters) != len(natsNodes) {
		t.Errorf("NATS exporters %v; want one for each of %v", exporters, natsNodes)
	}

	checkPrometheus(t, instances, exporters)
	checkCaddy(t, instances)
	checkGrafanaProvisioning(t, cf.Services["grafana"])
}

// checkNATSConf parses nats/nats.conf with nats-server's own parser, as
// each node would.
func checkNATSConf(t *testing.T, nodes []string) {
	t.Helper()
	path := composeDir + "/nats/nats.conf"
	checkBalanced(t, path, readFile(t, path), "{}[]")
	for _, node := range nodes {
		t.Setenv("SERVER_NAME", node)
		opts, err := natsserver.ProcessConfigFile(path)
		if err != nil {
			t.Fatalf("%s as %s: %v", path, node, err)
		}
		if opts.ServerName != node {
			t.Errorf("%s: server_name %q, want %q", path, opts.ServerName, node)
		}
		if !opts.JetStream || opts.StoreDir != "/data" {
			t.Errorf("%s: JetStream %v, store_dir %q; want on, in the /data volume", path, opts.JetStream, opts.StoreDir)
		}
		if opts.Port != 4222 || opts.HTTPPort != 8222 || opts.Cluster.Port != 6222 || opts.Cluster.Name == "" {
			t.Errorf("%s: ports client %d, monitor %d, cluster %d, cluster name %q", path, opts.Port, opts.HTTPPort, opts.Cluster.Port, opts.Cluster.Name)
		}
		routes := map[string]bool{}
		for _, r := range opts.Routes {
			routes[r.Hostname()] = true
		}
		for _, n := range nodes {
			if !routes[n] {
				t.Errorf("%s: no route to %s", path, n)
			}
		}
	}
}

func checkPrometheus(t *testing.T, instances []string, exporters map[string]string) {
	t.Helper()
	var cfg struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, composeDir+"/prometheus/prometheus.yml")), &cfg); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	targets := map[string]bool{}
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, tg := range st.Targets {
				targets[tg] = true
			}
		}
	}
	for _, in := range instances {
		if !targets[in+":8080"] {
			t.Errorf("prometheus.yml does not scrape %s:8080", in)
		}
	}
	for node, exp := range exporters {
		if !targets[exp+":7777"] {
			t.Errorf("prometheus.yml does not scrape %s:7777 (NATS node %s)", exp, node)
		}
	}
	for _, rf := range cfg.RuleFiles {
		var rules struct {
			Groups []struct {
				Rules []struct {
					Alert string `yaml:"alert"`
					Expr  string `yaml:"expr"`
				} `yaml:"rules"`
			} `yaml:"groups"`
		}
		path := filepath.Join(composeDir, "prometheus", rf)
		if err := yaml.Unmarshal([]byte(readFile(t, path)), &rules); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		known := knownMetrics(t)
		for _, g := range rules.Groups {
			for _, r := range g.Rules {
				checkExprMetrics(t, path+" "+r.Alert, r.Expr, known)
			}
		}
	}
}

func checkCaddy(t *testing.T, instances []string) {
	t.Helper()
	path := composeDir + "/Caddyfile"
	caddy := readFile(t, path)
	checkBalanced(t, path, caddy, "{}")
	if !regexp.MustCompile(`(?m)^\{\$STOPPUNKT_PUBLIC_URL\}\s*\{`).MatchString(caddy) {
		t.Errorf("%s: the site address is not {$STOPPUNKT_PUBLIC_URL}", path)
	}
	// reverse_proxy without a matcher: every path, /ws included, goes to
	// the instances; Caddy upgrades websockets by itself.
	m := regexp.MustCompile(`(?m)^\s*reverse_proxy\s+([^{\n]+)\{`).FindStringSubmatch(caddy)
	if m == nil {
		t.Fatalf("%s: no reverse_proxy block", path)
	}
	upstreams := strings.Fields(m[1])
	if strings.HasPrefix(upstreams[0], "@") || strings.HasPrefix(upstreams[0], "/") {
		t.Errorf("%s: reverse_proxy has a matcher %q; /ws must reach the instances", path, upstreams[0])
	}
	for _, in := range instances {
		if !contains(upstreams, in+":8080") {
			t.Errorf("%s: upstream %s:8080 missing from %v", path, in, upstreams)
		}
	}
	for _, want := range []string{`health_uri\s+/readyz`, `health_interval\s+\d+s`, `lb_try_duration`, `flush_interval\s+-1`} {
		if !regexp.MustCompile(want).MatchString(caddy) {
			t.Errorf("%s: reverse_proxy lacks %s", path, want)
		}
	}
	// A stream timeout would cut every phone's websocket.
	if strings.Contains(caddy, "stream_timeout") {
		t.Errorf("%s: stream_timeout cuts websockets", path)
	}
	checkMetricsHidden(t, path, caddy)
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func checkGrafanaProvisioning(t *testing.T, grafana composeService) {
	t.Helper()
	var ds struct {
		Datasources []struct {
			UID, Type, URL string
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, composeDir+"/grafana/provisioning/datasources/prometheus.yml")), &ds); err != nil {
		t.Fatal(err)
	}
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL != "http://prometheus:9090" {
		t.Errorf("grafana datasource: %+v", ds.Datasources)
	}
	var prov struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, composeDir+"/grafana/provisioning/dashboards/stoppunkt.yml")), &prov); err != nil {
		t.Fatal(err)
	}
	if len(prov.Providers) != 1 {
		t.Fatalf("dashboard providers: %+v", prov.Providers)
	}
	mounted := false
	for _, v := range grafana.Volumes {
		src, dst, _ := strings.Cut(v, ":")
		dst, _, _ = strings.Cut(dst, ":")
		if filepath.Clean(filepath.Join(composeDir, src)) == filepath.Clean(dashboardFile) && filepath.Dir(dst) == prov.Providers[0].Options.Path {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("grafana does not mount %s into the provider's path %s", dashboardFile, prov.Providers[0].Options.Path)
	}
}

// --- Helm chart -------------------------------------------------------------

// renderChart renders the chart's templates with Go's text/template and the
// few Helm and Sprig functions they use, the way `helm template` would.
// A template that needs a function not provided here fails the test: keep
// the templates plain.
func renderChart(values map[string]any) (map[string]string, error) {
	var chartRaw map[string]any
	src, err := os.ReadFile(chartDir + "/Chart.yaml")
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(src, &chartRaw); err != nil {
		return nil, err
	}
	chartName := fmt.Sprint(chartRaw["name"])

	root := template.New("chart").Option("missingkey=zero")
	funcs := template.FuncMap{
		"include": func(name string, data any) (string, error) {
			var b strings.Builder
			err := root.ExecuteTemplate(&b, name, data)
			return b.String(), err
		},
		"toYaml": func(v any) (string, error) {
			var b bytes.Buffer
			enc := yaml.NewEncoder(&b, yaml.Indent(2))
			if err := enc.Encode(v); err != nil {
				return "", err
			}
			return strings.TrimSuffix(b.String(), "\n"), nil
		},
		"nindent": func(n int, s string) string { return "\n" + indent(n, s) },
		"indent":  indent,
		"quote": func(v any) string {
			if v == nil {
				return `""`
			}
			return strconv.Quote(fmt.Sprint(v))
		},
		"default": func(def, v any) any {
			if empty(v) {
				return def
			}
			return v
		},
		"required": func(msg string, v any) (any, error) {
			if empty(v) {
				return nil, fmt.Errorf("%s", msg)
			}
			return v, nil
		},
		"trunc": func(n int, s string) string {
			if len(s) > n {
				return s[:n]
			}
			return s
		},
		"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
		"contains":   func(sub, s string) bool { return strings.Contains(s, sub) },
		"int": func(v any) (int, error) {
			switch v := v.(type) {
			case int:
				return v, nil
			case float64:
				return int(v), nil
			default:
				return strconv.Atoi(fmt.Sprint(v))
			}
		},
		"sha256sum": func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) },
	}
	root.Funcs(funcs)
	entries, err := os.ReadDir(chartDir + "/templates")
	if err != nil {
		return nil, err
	}
	basePath := chartName + "/templates"
	var names []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(chartDir, "templates", e.Name()))
		if err != nil {
			return nil, err
		}
		name := basePath + "/" + e.Name()
		if _, err := root.New(name).Parse(string(b)); err != nil {
			return nil, err
		}
		if !strings.HasPrefix(e.Name(), "_") {
			names = append(names, name)
		}
	}
	data := map[string]any{
		"Values":   values,
		"Release":  map[string]any{"Name": "stoppunkt", "Namespace": "sessions", "Service": "Helm"},
		"Chart":    map[string]any{"Name": chartName, "Version": fmt.Sprint(chartRaw["version"]), "AppVersion": fmt.Sprint(chartRaw["appVersion"])},
		"Template": map[string]any{"BasePath": basePath},
	}
	out := map[string]string{}
	for _, name := range names {
		var b strings.Builder
		if err := root.ExecuteTemplate(&b, name, data); err != nil {
			return nil, err
		}
		out[strings.TrimPrefix(name, basePath+"/")] = strings.ReplaceAll(b.String(), "<no value>", "")
	}
	return out, nil
}

func indent(n int, s string) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

// empty is Sprig's notion of an unset value.
func empty(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String, reflect.Map, reflect.Slice, reflect.Array:
		return rv.Len() == 0
	case reflect.Bool:
		return !rv.Bool()
	case reflect.Int, reflect.Int64:
		return rv.Int() == 0
	case reflect.Float64:
		return rv.Float() == 0
	}
	return false
}

func chartValues(t *testing.T, set map[string]any) map[string]any {
	t.Helper()
	var values map[string]any
	if err := yaml.Unmarshal([]byte(readFile(t, chartDir+"/values.yaml")), &values); err != nil {
		t.Fatalf("values.yaml: %v", err)
	}
	wholeNumbers(values)
	for path, v := range set {
		m := values
		keys := strings.Split(path, ".")
		for _, k := range keys[:len(keys)-1] {
			m = m[k].(map[string]any)
		}
		m[keys[len(keys)-1]] = v
	}
	return values
}

// wholeNumbers turns the int64 and uint64 the YAML decoder gives for
// whole numbers into int, in place, as Helm's values are compared here.
func wholeNumbers(v any) any {
	switch v := v.(type) {
	case uint64:
		return int(v)
	case int64:
		return int(v)
	case []any:
		for i := range v {
			v[i] = wholeNumbers(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = wholeNumbers(v[k])
		}
	}
	return v
}

// k8sObjects parses rendered manifests into objects by kind.
func k8sObjects(t *testing.T, rendered map[string]string) map[string][]map[string]any {
	t.Helper()
	objs := map[string][]map[string]any{}
	for name, text := range rendered {
		if !strings.HasSuffix(name, ".yaml") {
			continue
		}
		dec := yaml.NewDecoder(strings.NewReader(text))
		for {
			var obj map[string]any
			err := dec.Decode(&obj)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s does not render to valid YAML: %v\n%s", name, err, text)
			}
			if obj == nil {
				continue
			}
			wholeNumbers(obj)
			kind, _ := obj["kind"].(string)
			if kind == "" || obj["apiVersion"] == nil {
				t.Errorf("%s: an object without kind or apiVersion", name)
			}
			objs[kind] = append(objs[kind], obj)
		}
	}
	return objs
}

// dig walks maps and lists: dig(obj, "spec", "template", "spec", "containers", 0).
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestHelmChart(t *testing.T) {
	var chart struct {
		APIVersion   string `yaml:"apiVersion"`
		Name         string `yaml:"name"`
		Dependencies []struct {
			Name, Version, Repository, Condition string
		} `yaml:"dependencies"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, chartDir+"/Chart.yaml")), &chart); err != nil {
		t.Fatalf("Chart.yaml: %v", err)
	}
	if chart.APIVersion != "v2" || chart.Name != "stoppunkt" || len(chart.Dependencies) != 1 ||
		chart.Dependencies[0].Name != "nats" || !strings.Contains(chart.Dependencies[0].Repository, "nats-io") ||
		chart.Dependencies[0].Condition != "nats.enabled" {
		t.Errorf("Chart.yaml: want apiVersion v2 and the official nats chart as a dependency: %+v", chart)
	}

	values := chartValues(t, map[string]any{"accessCode.value": "a-long-enough-test-code"})
	nats := values["nats"].(map[string]any)
	if dig(nats, "config", "cluster", "enabled") != true || dig(nats, "config", "cluster", "replicas") != 3 ||
		dig(nats, "config", "jetstream", "enabled") != true || dig(nats, "config", "jetstream", "fileStore", "enabled") != true ||
		dig(nats, "promExporter", "enabled") != true {
		t.Errorf("values.yaml: nats must be a 3-node cluster with JetStream on files and the exporter: %v", nats)
	}
	if values["natsReplicas"] != dig(nats, "config", "cluster", "replicas") {
		t.Errorf("values.yaml: natsReplicas %v differs from the NATS cluster size %v", values["natsReplicas"], dig(nats, "config", "cluster", "replicas"))
	}

	rendered, err := renderChart(values)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	objs := k8sObjects(t, rendered)
	for _, kind := range []string{"Deployment", "Service", "Ingress", "PodDisruptionBudget", "Secret"} {
		if len(objs[kind]) != 1 {
			t.Errorf("chart renders %d %s objects; want 1", len(objs[kind]), kind)
		}
	}
	if len(objs["Deployment"]) != 1 {
		t.FailNow()
	}
	dep := objs["Deployment"][0]
	pod := dig(dep, "spec", "template", "spec")
	c := dig(pod, "containers", 0)
	if dig(c, "readinessProbe", "httpGet", "path") != "/readyz" || dig(c, "livenessProbe", "httpGet", "path") != "/healthz" {
		t.Errorf("probes: readiness %v, liveness %v", dig(c, "readinessProbe"), dig(c, "livenessProbe"))
	}
	// The startup probe must outlast the minute the server waits for JetStream.
	if p, f := dig(c, "startupProbe", "periodSeconds"), dig(c, "startupProbe", "failureThreshold"); p == nil || f == nil || p.(int)*f.(int) <= 60 {
		t.Errorf("startupProbe allows %v x %v seconds; the server waits up to 60s for JetStream", p, f)
	}

	env := map[string]string{}
	for _, e := range dig(c, "env").([]any) {
		name := dig(e, "name").(string)
		switch {
		case dig(e, "value") != nil:
			env[name] = fmt.Sprint(dig(e, "value"))
		case dig(e, "valueFrom", "secretKeyRef") != nil:
			env[name] = "a-long-enough-test-code"
		case dig(e, "valueFrom", "fieldRef") != nil:
			env[name] = "stoppunkt-5d9c7-abcde"
		default:
			t.Errorf("env %s has no value", name)
		}
	}
	acceptConfig(t, "Helm Deployment", env)
	if env["STOPPUNKT_NATS_URL"] != "nats://stoppunkt-nats:4222" || env["STOPPUNKT_NATS_REPLICAS"] != "3" {
		t.Errorf("NATS: %s replicas %s", env["STOPPUNKT_NATS_URL"], env["STOPPUNKT_NATS_REPLICAS"])
	}

	// Graceful termination: preStop sleep, then the drain, within the grace period.
	drain := durationSetting(t, env["STOPPUNKT_DRAIN_TIMEOUT"], "20s")
	sleep, _ := dig(c, "lifecycle", "preStop", "sleep", "seconds").(int)
	grace, _ := dig(pod, "terminationGracePeriodSeconds").(int)
	if sleep < 5 || time.Duration(grace)*time.Second <= time.Duration(sleep)*time.Second+drain {
		t.Errorf("preStop sleep %ds + drain %s must be under terminationGracePeriodSeconds %d", sleep, drain, grace)
	}

	if dig(pod, "securityContext", "runAsNonRoot") != true || dig(c, "securityContext", "readOnlyRootFilesystem") != true ||
		dig(c, "securityContext", "allowPrivilegeEscalation") != false {
		t.Errorf("security contexts: pod %v, container %v", dig(pod, "securityContext"), dig(c, "securityContext"))
	}
	if dig(c, "resources", "requests", "cpu") == nil || dig(c, "resources", "requests", "memory") == nil {
		t.Errorf("no resource requests: %v", dig(c, "resources"))
	}
	if dig(dep, "spec", "replicas") != 3 {
		t.Errorf("replicas %v", dig(dep, "spec", "replicas"))
	}

	svc := objs["Service"][0]
	ing := objs["Ingress"][0]
	if dig(svc, "spec", "ports", 0, "targetPort") != dig(c, "ports", 0, "name") {
		t.Errorf("Service targets %v; the container's port is %v", dig(svc, "spec", "ports", 0, "targetPort"), dig(c, "ports", 0, "name"))
	}
	backend := dig(ing, "spec", "rules", 0, "http", "paths", 0, "backend", "service")
	if dig(backend, "name") != dig(svc, "metadata", "name") || dig(backend, "port", "name") != dig(svc, "spec", "ports", 0, "name") {
		t.Errorf("Ingress backend %v is not the Service %v", backend, dig(svc, "metadata", "name"))
	}
	if dig(ing, "spec", "rules", 0, "http", "paths", 0, "path") != "/" {
		t.Errorf("Ingress path %v: /ws and the pages must all reach the Service", dig(ing, "spec", "rules", 0, "http", "paths", 0, "path"))
	}
	for _, a := range []string{"nginx.ingress.kubernetes.io/proxy-read-timeout", "nginx.ingress.kubernetes.io/proxy-send-timeout"} {
		v, _ := strconv.Atoi(fmt.Sprint(dig(ing, "metadata", "annotations", a)))
		if v < 120 {
			t.Errorf("Ingress annotation %s=%v: websockets need a long timeout", a, dig(ing, "metadata", "annotations", a))
		}
	}
	selector := dig(dep, "spec", "selector", "matchLabels")
	if !reflect.DeepEqual(dig(objs["PodDisruptionBudget"][0], "spec", "selector", "matchLabels"), selector) ||
		!reflect.DeepEqual(dig(svc, "spec", "selector"), selector) {
		t.Error("the PodDisruptionBudget and Service do not select the Deployment's pods")
	}
	if !reflect.DeepEqual(dig(dep, "spec", "template", "metadata", "labels", "app.kubernetes.io/name"), dig(selector, "app.kubernetes.io/name")) {
		t.Error("the Deployment's pods do not carry its selector labels")
	}

	// Other shapes: an existing Secret, external NATS, monitoring.
	values = chartValues(t, map[string]any{
		"accessCode.existingSecret": "organizer-code", "nats.enabled": false,
		"natsURL": "nats://a:4222,nats://b:4222,nats://c:4222", "serviceMonitor.enabled": true,
	})
	rendered, err = renderChart(values)
	if err != nil {
		t.Fatalf("render with existing secret and external NATS: %v", err)
	}
	objs = k8sObjects(t, rendered)
	if len(objs["Secret"]) != 0 || len(objs["ServiceMonitor"]) != 1 {
		t.Errorf("existing secret: %d Secrets, %d ServiceMonitors", len(objs["Secret"]), len(objs["ServiceMonitor"]))
	}
	if !strings.Contains(rendered["deployment.yaml"], `"nats://a:4222,nats://b:4222,nats://c:4222"`) ||
		!strings.Contains(rendered["deployment.yaml"], "name: organizer-code") {
		t.Errorf("external NATS or existing secret not used:\n%s", rendered["deployment.yaml"])
	}

	// Without an access code the chart refuses to render.
	if _, err := renderChart(chartValues(t, nil)); err == nil || !strings.Contains(err.Error(), "accessCode") {
		t.Errorf("render without an access code: %v; want a refusal naming accessCode", err)
	}
}

// --- metrics: dashboard, alerts, docs ---------------------------------------

// natsExporterMetrics are the prometheus-nats-exporter series the dashboard
// may use: /varz under "gnatsd_varz_" and /jsz under "jetstream_" by
// default; the NATS Helm chart runs it with -prefix=nats, which makes both
// prefixes "nats_".
var natsExporterMetrics = map[string]bool{
	"gnatsd_varz_connections": true, "nats_varz_connections": true,
	"jetstream_stream_total_bytes": true, "nats_stream_total_bytes": true,
	"jetstream_server_total_message_bytes": true, "nats_server_total_message_bytes": true,
	"jetstream_server_max_storage": true, "nats_server_max_storage": true,
}

var (
	knownNames   = map[string]bool{}
	knownLoaded  bool
	descName     = regexp.MustCompile(`fqName: "([^"]+)"`)
	metricInExpr = regexp.MustCompile(`(?:^|[^a-zA-Z0-9_:])((?:stoppunkt|go|process|gnatsd|nats|jetstream)_[a-z0-9_]+)`)
)

// knownMetrics are the series a running instance exposes: the hub's
// collectors (every one, also vectors with no series yet) and whatever a
// real instance's /metrics lists (instance-level counters, Go, process).
func knownMetrics(t *testing.T) map[string]bool {
	t.Helper()
	if knownLoaded {
		return knownNames
	}
	m := hub.NewMetrics(nil)
	rv := reflect.ValueOf(m).Elem()
	for i := 0; i < rv.NumField(); i++ {
		c, ok := rv.Field(i).Interface().(prometheus.Collector)
		if !ok {
			continue
		}
		ch := make(chan *prometheus.Desc, 4)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			if n := descName.FindStringSubmatch(d.String()); n != nil {
				knownNames[n[1]] = true
			}
		}
	}
	ns := instancetest.NATS(t)
	in := instancetest.Start(t, ns.ClientURL())
	resp, err := http.Get(in.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			knownNames[f[2]] = true
		}
	}
	if !knownNames["stoppunkt_nats_reconnects_total"] || !knownNames["process_resident_memory_bytes"] || !knownNames["stoppunkt_connections"] {
		t.Fatalf("metric names incomplete: %v", knownNames)
	}
	knownLoaded = true
	return knownNames
}

// checkExprMetrics checks that every series a PromQL expression names
// exists; histogram series may carry _bucket, _sum or _count.
func checkExprMetrics(t *testing.T, where, expr string, known map[string]bool) []string {
	t.Helper()
	var names []string
	for _, m := range metricInExpr.FindAllStringSubmatch(expr, -1) {
		name := m[1]
		base := name
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if strings.HasSuffix(name, suffix) && known[strings.TrimSuffix(name, suffix)] {
				base = strings.TrimSuffix(name, suffix)
			}
		}
		if !known[base] && !natsExporterMetrics[base] {
			t.Errorf("%s: %s is not a metric the server (or the NATS exporter) exposes: %s", where, name, expr)
		}
		names = append(names, base)
	}
	return names
}

func TestGrafanaDashboard(t *testing.T) {
	var dash struct {
		UID        string `json:"uid"`
		Title      string `json:"title"`
		Templating struct {
			List []struct {
				Name, Type string
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID         int    `json:"id"`
			Type       string `json:"type"`
			Title      string `json:"title"`
			Datasource struct {
				UID string `json:"uid"`
			} `json:"datasource"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	src := readFile(t, dashboardFile)
	if err := json.Unmarshal([]byte(src), &dash); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if dash.UID == "" || dash.Title == "" {
		t.Errorf("dashboard uid %q, title %q", dash.UID, dash.Title)
	}
	vars := map[string]string{}
	for _, v := range dash.Templating.List {
		vars[v.Name] = v.Type
	}
	if vars["datasource"] != "datasource" || vars["instance"] != "query" {
		t.Errorf("dashboard variables %v; want datasource and instance", vars)
	}
	known := knownMetrics(t)
	used := map[string]bool{}
	quantiles := map[string]bool{}
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: datasource %q, want ${datasource}", p.Title, p.Datasource.UID)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			names := checkExprMetrics(t, "panel "+p.Title, tg.Expr, known)
			if len(names) == 0 {
				t.Errorf("panel %q: query names no known metric: %s", p.Title, tg.Expr)
			}
			for _, n := range names {
				used[n] = true
				if strings.Contains(tg.Expr, "histogram_quantile") && strings.Contains(tg.Expr, n+"_bucket") {
					quantiles[n] = true
				}
			}
		}
	}
	for _, want := range []string{"stoppunkt_connections", "stoppunkt_rooms_active", "stoppunkt_participants",
		"stoppunkt_messages_in_total", "stoppunkt_messages_out_total", "stoppunkt_slow_disconnects_total",
		"stoppunkt_jetstream_publish_errors_total", "stoppunkt_nats_reconnects_total"} {
		if !used[want] {
			t.Errorf("dashboard does not show %s", want)
		}
	}
	for _, h := range []string{"stoppunkt_fanout_latency_seconds", "stoppunkt_jetstream_append_seconds"} {
		if !quantiles[h] {
			t.Errorf("dashboard has no histogram_quantile over %s_bucket", h)
		}
	}
}

// TestOperationsDocDescribesEveryMetric keeps docs/operations.md in step
// with the server: every stoppunkt_ metric is explained, none is made up.
func TestOperationsDocDescribesEveryMetric(t *testing.T) {
	doc := readFile(t, operationsDoc)
	known := knownMetrics(t)
	for name := range known {
		if strings.HasPrefix(name, "stoppunkt_") && !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("docs/operations.md does not describe %s", name)
		}
	}
	for _, m := range regexp.MustCompile("stoppunkt_[a-z_]+").FindAllString(doc, -1) {
		base := m
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if strings.HasSuffix(m, suffix) && known[strings.TrimSuffix(m, suffix)] {
				base = strings.TrimSuffix(m, suffix)
			}
		}
		if !known[base] {
			t.Errorf("docs/operations.md mentions %s, which the server does not expose", m)
		}
	}
}
