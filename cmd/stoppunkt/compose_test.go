package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	natsserver "github.com/nats-io/nats-server/v2/server"
)

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
