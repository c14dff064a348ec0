package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stoppunkt/stoppunkt/hub"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

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
