package main

import (
	"os"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/stoppunkt/stoppunkt/server/instance"
	"github.com/stoppunkt/stoppunkt/server/sso"
)

// oidcFile is the --oidc-file format.
type oidcFile struct {
	Providers []sso.Provider `yaml:"providers"`
}

// signIn reads the sign-in settings: session lifetimes and the OpenID
// Connect providers, each provider's secret taken from the environment
// when the file names a variable for it.
func (o *options) signIn(cfg *instance.Config, getenv func(string) string) error {
	var err error
	if cfg.Accounts.SessionLifetime, err = parseDuration("session-lifetime", *o.sessionLifetime, 5*time.Minute); err != nil {
		return err
	}
	if cfg.Accounts.SessionIdle, err = parseDuration("session-idle", *o.sessionIdle, time.Minute); err != nil {
		return err
	}
	if cfg.Accounts.SessionIdle > cfg.Accounts.SessionLifetime {
		return configError("session-idle", "must not be longer than --session-lifetime")
	}
	if *o.oidcFile == "" {
		return nil
	}
	b, err := os.ReadFile(*o.oidcFile)
	if err != nil {
		return configError("oidc-file", "cannot read %s: %v", *o.oidcFile, err)
	}
	var f oidcFile
	if err := yaml.UnmarshalWithOptions(b, &f, yaml.DisallowUnknownField()); err != nil {
		return configError("oidc-file", "%s: %s", *o.oidcFile, yaml.FormatError(err, false, true))
	}
	for i, p := range f.Providers {
		if p.ClientSecretEnv != "" {
			if f.Providers[i].ClientSecret = getenv(p.ClientSecretEnv); f.Providers[i].ClientSecret == "" {
				return configError("oidc-file", "provider %s: the environment variable %s (client_secret_env) is empty", p.ID, p.ClientSecretEnv)
			}
		}
	}
	if _, err := sso.NewSet(f.Providers, nil); err != nil {
		return configError("oidc-file", "%v", err)
	}
	cfg.SSO = f.Providers
	return nil
}
