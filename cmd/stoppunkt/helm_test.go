package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/goccy/go-yaml"
)

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
