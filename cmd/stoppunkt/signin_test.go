package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/stoppunkt/stoppunkt/server/sso"
)

// configWith parses settings from an environment and builds the config.
func configWith(t *testing.T, env map[string]string) error {
	t.Helper()
	s := newSettings(io.Discard)
	opts := registerSettings(s)
	getenv := func(k string) string { return env[k] }
	if err := s.parse(nil, getenv); err != nil {
		return err
	}
	opts.getenv = getenv
	cfg, err := opts.config()
	if err == nil && env["check_providers"] != "" && len(cfg.SSO) == 0 {
		t.Fatal("no providers in the config")
	}
	if err == nil && len(cfg.SSO) > 0 && cfg.SSO[0].ClientSecret != env["FEIDE_SECRET"] {
		t.Fatalf("client secret %q, want the environment's", cfg.SSO[0].ClientSecret)
	}
	return err
}

func TestOIDCFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", `providers:
  - id: feide
    label: Feide
    issuer: https://auth.dataporten.no
    client_id: abc
    client_secret_env: FEIDE_SECRET
    allowed_domains: [skole.no]
`)
	if err := configWith(t, map[string]string{"STOPPUNKT_OIDC_FILE": good, "FEIDE_SECRET": "s3cret", "check_providers": "1"}); err != nil {
		t.Fatalf("a good file: %v", err)
	}
	for name, c := range map[string]struct {
		src, env, want string
	}{
		"secret missing":  {`providers: [{id: feide, label: Feide, issuer: "https://x", client_id: a, client_secret_env: NOPE}]`, "", "NOPE"},
		"unknown field":   {`providers: [{id: feide, label: Feide, issuer: "https://x", client_id: a, tenant: b}]`, "", "tenant"},
		"no issuer":       {`providers: [{id: feide, label: Feide, client_id: a}]`, "", "issuer"},
		"bad id":          {`providers: [{id: "Feide!", label: Feide, issuer: "https://x", client_id: a}]`, "", "id"},
		"same id twice":   {`providers: [{id: a, label: A, issuer: "https://x", client_id: a}, {id: a, label: B, issuer: "https://y", client_id: b}]`, "", "two providers"},
		"no label":        {`providers: [{id: a, issuer: "https://x", client_id: a}]`, "", "label"},
		"not yaml at all": {`providers: [`, "", "oidc-file"},
	} {
		p := write(strings.ReplaceAll(name, " ", "-")+".yaml", c.src)
		err := configWith(t, map[string]string{"STOPPUNKT_OIDC_FILE": p})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "oidc-file") {
			t.Errorf("%s: %v, want an oidc-file error mentioning %q", name, err, c.want)
		}
	}
	// The compose example is a valid file once its secrets are set.
	if err := configWith(t, map[string]string{"STOPPUNKT_OIDC_FILE": composeDir + "/config/oidc.example.yaml",
		"FEIDE_CLIENT_SECRET": "a", "ENTRA_CLIENT_SECRET": "b", "FEIDE_SECRET": "a"}); err != nil {
		t.Errorf("deploy/compose/config/oidc.example.yaml: %v", err)
	}
	if err := configWith(t, map[string]string{"STOPPUNKT_OIDC_FILE": filepath.Join(dir, "missing.yaml")}); err == nil {
		t.Error("a missing file is accepted")
	}
	if err := configWith(t, map[string]string{"STOPPUNKT_SESSION_IDLE": "13h"}); err == nil || !strings.Contains(err.Error(), "session-idle") {
		t.Errorf("idle longer than the lifetime: %v", err)
	}
	if err := configWith(t, map[string]string{"STOPPUNKT_SESSION_LIFETIME": "1m"}); err == nil {
		t.Error("a one-minute session lifetime is accepted")
	}
}

// TestHelmChartSignIn: with providers set, the chart mounts them as the
// --oidc-file the binary reads, and takes the client secrets from the
// named Secret.
func TestHelmChartSignIn(t *testing.T) {
	providers := []any{map[string]any{"id": "feide", "label": "Feide", "issuer": "https://auth.dataporten.no",
		"client_id": "abc", "client_secret_env": "FEIDE_CLIENT_SECRET", "allowed_domains": []any{"example.kommune.no"}}}
	values := chartValues(t, map[string]any{"accessCode.value": "a-long-enough-test-code",
		"signIn.providers": providers, "signIn.existingSecret": "stoppunkt-oidc"})
	rendered, err := renderChart(values)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	objs := k8sObjects(t, rendered)
	if len(objs["ConfigMap"]) != 1 {
		t.Fatalf("%d ConfigMaps; want the providers' one", len(objs["ConfigMap"]))
	}
	src, _ := dig(objs["ConfigMap"][0], "data", "providers.yaml").(string)
	var f oidcFile
	if err := yaml.UnmarshalWithOptions([]byte(src), &f, yaml.DisallowUnknownField()); err != nil {
		t.Fatalf("providers.yaml: %v\n%s", err, src)
	}
	f.Providers[0].ClientSecret = "from the secret"
	if _, err := sso.NewSet(f.Providers, nil); err != nil || f.Providers[0].Issuer != "https://auth.dataporten.no" {
		t.Fatalf("providers.yaml is not a valid --oidc-file: %v\n%s", err, src)
	}
	c := dig(objs["Deployment"][0], "spec", "template", "spec", "containers", 0)
	file := ""
	for _, e := range dig(c, "env").([]any) {
		if dig(e, "name") == "STOPPUNKT_OIDC_FILE" {
			file = dig(e, "value").(string)
		}
	}
	mount, _ := dig(c, "volumeMounts", 0, "mountPath").(string)
	if file == "" || filepath.Dir(file) != mount || filepath.Base(file) != "providers.yaml" {
		t.Errorf("STOPPUNKT_OIDC_FILE %q is not in the mounted folder %q", file, mount)
	}
	if dig(c, "envFrom", 0, "secretRef", "name") != "stoppunkt-oidc" {
		t.Errorf("client secrets: envFrom %v", dig(c, "envFrom"))
	}
	if d := dig(objs["Deployment"][0], "spec", "template", "spec", "volumes", 0, "configMap", "name"); d != dig(objs["ConfigMap"][0], "metadata", "name") {
		t.Errorf("volume %v does not name the ConfigMap", d)
	}
	// Without providers, nothing of it.
	rendered, _ = renderChart(chartValues(t, map[string]any{"accessCode.value": "a-long-enough-test-code"}))
	if objs := k8sObjects(t, rendered); len(objs["ConfigMap"]) != 0 {
		t.Error("a ConfigMap without providers")
	}
}
