package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stoppunkt/stoppunkt/hub/helpcard"
	"github.com/stoppunkt/stoppunkt/hub/screening"
	"github.com/stoppunkt/stoppunkt/server/instance"
)

// setting is one configuration value: a flag with an environment variable
// behind it. A flag given on the command line wins over the environment.
type setting struct {
	name, env, def, usage string
	value                 *string
}

// settings is the whole configuration surface; --help prints it.
type settings struct {
	fs   *flag.FlagSet
	list []*setting
}

func newSettings(out io.Writer) *settings {
	s := &settings{fs: flag.NewFlagSet("stoppunkt", flag.ContinueOnError)}
	s.fs.SetOutput(out)
	s.fs.Usage = func() { s.usage(out) }
	return s
}

func (s *settings) add(name, env, def, usage string) *string {
	st := &setting{name: name, env: env, def: def, usage: usage, value: new(string)}
	s.fs.StringVar(st.value, name, def, usage)
	s.list = append(s.list, st)
	return st.value
}

func (s *settings) usage(out io.Writer) {
	fmt.Fprintf(out, "Usage: stoppunkt [flags]\n       stoppunkt plan validate|list|show ...\n\nEvery flag can also be set by its environment variable; a flag on the command line wins.\n\n")
	for _, st := range s.list {
		def := st.def
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(out, "  --%s  (env %s, default %s)\n      %s\n", st.name, st.env, def, st.usage)
	}
	fmt.Fprintf(out, "  --version\n      print the version and exit\n")
}

// parse reads flags, then fills every flag not given from its environment
// variable.
func (s *settings) parse(args []string, getenv func(string) string) error {
	if err := s.fs.Parse(args); err != nil {
		return err
	}
	given := map[string]bool{}
	s.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, st := range s.list {
		if given[st.name] {
			continue
		}
		if v, ok := lookup(getenv, st.env); ok {
			*st.value = v
		}
	}
	if s.fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see --help)", s.fs.Arg(0))
	}
	return nil
}

func lookup(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}

// envNames lists every environment variable the binary reads, for tests
// that check deployment files against it.
func (s *settings) envNames() []string {
	var names []string
	for _, st := range s.list {
		names = append(names, st.env)
	}
	sort.Strings(names)
	return names
}

// options are the settings before they become an instance.Config.
type options struct {
	addr, data, natsURL, natsListen, replicas, publicURL, origins, proxies, accessCode *string
	plans, retention, name, logFormat, logLevel, drain, tlsCert, tlsKey                *string
	joinRate, messageRate, failureRate, pprofAddr, shutdownDelay, releaseMemory        *string
	natsCreds, natsCA, natsCert, natsKey                                               *string
	timeZone                                                                           *string
	a11yContact                                                                        *string
	helpCountry, helpFile                                                              *string
	screeningTerms                                                                     *string
	oidcFile, sessionLifetime, sessionIdle                                             *string
	// getenv reads secrets that files name by variable (nil: os.Getenv).
	getenv func(string) string
}

func registerSettings(s *settings) *options {
	return &options{
		addr:            s.add("addr", "STOPPUNKT_ADDR", ":8080", "address to listen on"),
		data:            s.add("data", "STOPPUNKT_DATA", "./data", "data folder; the embedded NATS keeps JetStream under it"),
		natsURL:         s.add("nats-url", "STOPPUNKT_NATS_URL", "", "external NATS server or cluster (comma-separated URLs); empty embeds NATS in this process"),
		natsListen:      s.add("nats-listen", "STOPPUNKT_NATS_LISTEN", "", "let other instances connect to the embedded NATS on this address (e.g. 127.0.0.1:4222); empty: in-process only"),
		natsCreds:       s.add("nats-creds", "STOPPUNKT_NATS_CREDS", "", "credentials file (JWT and NKey seed) for the external NATS"),
		natsCA:          s.add("nats-ca", "STOPPUNKT_NATS_CA", "", "CA certificate file to verify the external NATS's TLS certificate"),
		natsCert:        s.add("nats-cert", "STOPPUNKT_NATS_CERT", "", "client certificate file for TLS to the external NATS (with --nats-key)"),
		natsKey:         s.add("nats-key", "STOPPUNKT_NATS_KEY", "", "client key file for TLS to the external NATS (with --nats-cert)"),
		replicas:        s.add("nats-replicas", "STOPPUNKT_NATS_REPLICAS", "1", "JetStream replicas for the room log (3 on a 3-node cluster)"),
		publicURL:       s.add("public-url", "STOPPUNKT_PUBLIC_URL", "", "URL people reach this server at; join links and QR codes point there (default: the host the page was opened on, or for a page opened on localhost this machine's LAN address)"),
		origins:         s.add("allowed-origins", "STOPPUNKT_ALLOWED_ORIGINS", "", "extra origins allowed to open websockets, comma-separated (scheme://host[:port])"),
		proxies:         s.add("trusted-proxies", "STOPPUNKT_TRUSTED_PROXIES", "", "proxy addresses or CIDRs whose X-Forwarded-For is trusted, comma-separated; empty trusts none"),
		accessCode:      s.add("access-code", "STOPPUNKT_ACCESS_CODE", "", "organizer access code required to create rooms; without it only this machine (loopback) may create rooms"),
		plans:           s.add("plans", "STOPPUNKT_PLANS", "", "folder with more session plans (*.yaml)"),
		retention:       s.add("retention", "STOPPUNKT_RETENTION", "720h", "how long a room and everything in it is kept after creation"),
		name:            s.add("name", "STOPPUNKT_NAME", "", "instance name in logs and welcomes (default: host name)"),
		logFormat:       s.add("log-format", "STOPPUNKT_LOG_FORMAT", "text", "log format: text or json"),
		logLevel:        s.add("log-level", "STOPPUNKT_LOG_LEVEL", "info", "log level: debug, info, warn or error"),
		drain:           s.add("drain-timeout", "STOPPUNKT_DRAIN_TIMEOUT", "20s", "longest graceful shutdown on SIGTERM"),
		tlsCert:         s.add("tls-cert", "STOPPUNKT_TLS_CERT", "", "TLS certificate file, for an install without a proxy in front"),
		tlsKey:          s.add("tls-key", "STOPPUNKT_TLS_KEY", "", "TLS key file (with --tls-cert)"),
		joinRate:        s.add("join-rate", "STOPPUNKT_JOIN_RATE", "50", "joins per second allowed from one client address (burst: 10x)"),
		messageRate:     s.add("message-rate", "STOPPUNKT_MESSAGE_RATE", "20", "frames per second allowed per connection (burst: 2x)"),
		failureRate:     s.add("failure-rate", "STOPPUNKT_FAILURE_RATE", "60", "failed hellos (unknown codes, wrong keys or tokens) per minute allowed from one client address; past it, that address's failing hellos and joins by code alone are refused for a while (valid tokens and keys never are)"),
		shutdownDelay:   s.add("shutdown-delay", "STOPPUNKT_SHUTDOWN_DELAY", "0s", "on SIGTERM, how long /readyz reports 503 before connections are told to reconnect elsewhere"),
		pprofAddr:       s.add("pprof-addr", "STOPPUNKT_PPROF_ADDR", "", "serve Go profiles on this loopback address (e.g. 127.0.0.1:6060); empty: off"),
		timeZone:        s.add("time-zone", "STOPPUNKT_TIME_ZONE", "Europe/Oslo", "IANA time zone that reports give dates and times in (e.g. Europe/Copenhagen, UTC)"),
		a11yContact:     s.add("accessibility-contact", "STOPPUNKT_ACCESSIBILITY_CONTACT", "", "contact line on the accessibility statement (/accessibility): an e-mail or web address, or a short text, where people report barriers; empty: the page tells them to ask whoever runs the server"),
		helpCountry:     s.add("help-country", "STOPPUNKT_HELP_COUNTRY", "no", "country whose national helplines the help card of a closing step lists when the plan's language names none (en): no (Norway), dk (Denmark) or none; nb and nn plans always list Norway's, da plans Denmark's"),
		helpFile:        s.add("help-file", "STOPPUNKT_HELP_FILE", "", "text file with the organisation's own lines for every help card (one per line, \"name: number\" or \"name: https://address\"; # starts a comment), listed after a plan's own and before the national helplines"),
		screeningTerms:  s.add("screening-terms", "STOPPUNKT_SCREENING_TERMS", "", "text file with the organisation's own terms for possible disclosures, one per line as \"language: term\" or \"language: category: term\" (nb, da or en; a term ending in * is a stem; # starts a comment), added to the shipped lists"),
		oidcFile:        s.add("oidc-file", "STOPPUNKT_OIDC_FILE", "", "YAML file listing the OpenID Connect providers facilitators sign in with (Feide, Entra ID, Keycloak...; see docs/operations.md); empty: local accounts only"),
		sessionLifetime: s.add("session-lifetime", "STOPPUNKT_SESSION_LIFETIME", "12h", "how long a facilitator's sign-in lasts"),
		sessionIdle:     s.add("session-idle", "STOPPUNKT_SESSION_IDLE", "2h", "a sign-in nobody used for this long ends"),
		releaseMemory:   s.add("release-idle-memory", "STOPPUNKT_RELEASE_IDLE_MEMORY", "1m", "at most this often, once no connection has arrived for 10s, return heap the Go runtime holds but no longer uses (the garbage of a join storm) to the system; 0 turns it off"),
	}
}

// config checks the options and builds the instance configuration; an
// error names the setting that is wrong.
func (o *options) config() (instance.Config, error) {
	var cfg instance.Config
	cfg.Addr, cfg.DataDir, cfg.NATSURL, cfg.PlansDir, cfg.Name = *o.addr, *o.data, *o.natsURL, *o.plans, *o.name
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return cfg, configError("addr", "%q must be host:port, e.g. :8080", cfg.Addr)
	}
	cfg.NATSListen = *o.natsListen
	if cfg.NATSListen != "" {
		if cfg.NATSURL != "" {
			return cfg, configError("nats-listen", "only an embedded NATS listens; drop --nats-url or --nats-listen")
		}
		if _, _, err := net.SplitHostPort(cfg.NATSListen); err != nil {
			return cfg, configError("nats-listen", "%q must be host:port", cfg.NATSListen)
		}
	}
	if cfg.NATSURL == "" && cfg.DataDir == "" {
		return cfg, configError("data", "a data folder is required when NATS is embedded")
	}
	if err := o.natsAuth(&cfg); err != nil {
		return cfg, err
	}
	r, err := strconv.Atoi(*o.replicas)
	if err != nil || r < 1 || r > 5 {
		return cfg, configError("nats-replicas", "%q must be a whole number from 1 to 5", *o.replicas)
	}
	cfg.Replicas = r
	if cfg.NATSURL == "" && r != 1 {
		return cfg, configError("nats-replicas", "the embedded NATS is a single server; replicas must be 1")
	}
	if err := checkURL("public-url", *o.publicURL); err != nil {
		return cfg, err
	}
	cfg.Server.PublicURL = *o.publicURL
	cfg.Server.AllowedOrigins = splitList(*o.origins)
	for _, origin := range cfg.Server.AllowedOrigins {
		if err := checkURL("allowed-origins", origin); err != nil {
			return cfg, err
		}
	}
	cfg.Server.TrustedProxies = splitList(*o.proxies)
	cfg.Server.AccessCode = *o.accessCode
	if cfg.Server.AccessCode != "" && len(cfg.Server.AccessCode) < 12 {
		return cfg, configError("access-code", "must be at least 12 characters")
	}
	if cfg.Retention, err = parseDuration("retention", *o.retention, time.Minute); err != nil {
		return cfg, err
	}
	if cfg.DrainTimeout, err = parseDuration("drain-timeout", *o.drain, time.Second); err != nil {
		return cfg, err
	}
	if (*o.tlsCert == "") != (*o.tlsKey == "") {
		return cfg, configError("tls-cert", "--tls-cert and --tls-key go together")
	}
	cfg.TLSCert, cfg.TLSKey = *o.tlsCert, *o.tlsKey
	join, err := parsePositive("join-rate", *o.joinRate)
	if err != nil {
		return cfg, err
	}
	msg, err := parsePositive("message-rate", *o.messageRate)
	if err != nil {
		return cfg, err
	}
	cfg.Hub.JoinRate, cfg.Hub.JoinBurst = join, int(join*10)
	fail, err := parsePositive("failure-rate", *o.failureRate)
	if err != nil {
		return cfg, err
	}
	cfg.Hub.FailureRate, cfg.Hub.FailureBurst = fail/60, max(int(fail), 1)
	if cfg.ShutdownDelay, err = parseDuration("shutdown-delay", *o.shutdownDelay, 0); err != nil {
		return cfg, err
	}
	if cfg.ShutdownDelay >= cfg.DrainTimeout+time.Minute {
		return cfg, configError("shutdown-delay", "must be shorter than a minute plus --drain-timeout")
	}
	cfg.Hub.MessageRate, cfg.Hub.MessageBurst = msg, int(msg*2)
	if cfg.Release.Every, err = parseDuration("release-idle-memory", *o.releaseMemory, 0); err != nil {
		return cfg, err
	}
	if *o.pprofAddr != "" && !loopbackOnly(*o.pprofAddr) {
		return cfg, configError("pprof-addr", "%q must be a loopback address such as 127.0.0.1:6060", *o.pprofAddr)
	}
	switch *o.logFormat {
	case "text", "json":
	default:
		return cfg, configError("log-format", "%q must be text or json", *o.logFormat)
	}
	if _, err := parseLevel(*o.logLevel); err != nil {
		return cfg, err
	}
	if cfg.Server.TimeZone, err = parseTimeZone(*o.timeZone); err != nil {
		return cfg, err
	}
	if cfg.Server.AccessibilityContact, err = parseContact(*o.a11yContact); err != nil {
		return cfg, err
	}
	if cfg.Hub.HelpCard, err = parseHelpCard(*o.helpCountry, *o.helpFile); err != nil {
		return cfg, err
	}
	if cfg.Hub.ScreeningTerms, err = parseScreeningTerms(*o.screeningTerms); err != nil {
		return cfg, err
	}
	getenv := o.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if err := o.signIn(&cfg, getenv); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// natsAuth checks the credentials and TLS files for an external NATS:
// only with --nats-url, certificate and key together, every file readable.
func (o *options) natsAuth(cfg *instance.Config) error {
	files := []struct{ name, v string }{{"nats-creds", *o.natsCreds}, {"nats-ca", *o.natsCA}, {"nats-cert", *o.natsCert}, {"nats-key", *o.natsKey}}
	for _, f := range files {
		if f.v == "" {
			continue
		}
		if cfg.NATSURL == "" {
			return configError(f.name, "only for an external NATS (--nats-url)")
		}
		fh, err := os.Open(f.v)
		if err != nil {
			return configError(f.name, "cannot read %q: %v", f.v, err)
		}
		fh.Close()
	}
	if (*o.natsCert == "") != (*o.natsKey == "") {
		return configError("nats-cert", "--nats-cert and --nats-key go together")
	}
	cfg.NATSCreds, cfg.NATSCA, cfg.NATSCert, cfg.NATSKey = *o.natsCreds, *o.natsCA, *o.natsCert, *o.natsKey
	return nil
}

// configError names the setting that is wrong.
func configError(name, format string, args ...any) error {
	return fmt.Errorf("invalid --%s: %s", name, fmt.Sprintf(format, args...))
}

func parseDuration(name, v string, min time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, configError(name, "%q is not a duration such as 720h or 30s", v)
	}
	if d < min {
		return 0, configError(name, "must be at least %s", min)
	}
	return d, nil
}

// parseTimeZone loads an IANA time zone. The binary carries the zone
// database (time/tzdata), so this works in containers without one.
func parseTimeZone(v string) (*time.Location, error) {
	if v == "" || v == "Local" {
		return nil, configError("time-zone", "%q must name a time zone such as Europe/Oslo or UTC", v)
	}
	loc, err := time.LoadLocation(v)
	if err != nil {
		return nil, configError("time-zone", "%q is not a known time zone (such as Europe/Oslo or UTC)", v)
	}
	return loc, nil
}

// parseContact checks the accessibility contact line: one line of at most
// 200 characters.
func parseContact(v string) (string, error) {
	v = strings.TrimSpace(v)
	if utf8.RuneCountInString(v) > 200 {
		return "", configError("accessibility-contact", "must be at most 200 characters")
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return "", configError("accessibility-contact", "must be one line of text")
		}
	}
	return v, nil
}

// parseHelpCard checks the help card's country and reads the
// organisation's lines: at most plan.MaxHelpLines of one line of at most
// 200 characters each.
func parseHelpCard(country, file string) (helpcard.Card, error) {
	card := helpcard.Card{Country: strings.ToLower(strings.TrimSpace(country))}
	if !slices.Contains(helpcard.Countries, card.Country) {
		return card, configError("help-country", "%q must be no, dk or none", country)
	}
	if file == "" {
		return card, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return card, configError("help-file", "cannot read it: %v", err)
	}
	var lines []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			line = "" // keeps the line numbers
		}
		lines = append(lines, line)
	}
	if card.Lines, _, err = helpcard.CheckLines(lines); err != nil {
		return card, configError("help-file", "%v", err)
	}
	return card, nil
}

// parseScreeningTerms extends the shipped term lists with the lines of
// file: "language: term" or "language: category: term".
func parseScreeningTerms(file string) (*screening.Terms, error) {
	terms := screening.Shipped()
	if file == "" {
		return terms, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, configError("screening-terms", "cannot read it: %v", err)
	}
	extra := map[string][]string{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lang, rest, ok := strings.Cut(line, ":")
		lang, rest = strings.TrimSpace(lang), strings.TrimSpace(rest)
		if !ok || !slices.Contains(terms.Languages(), lang) || rest == "" {
			return nil, configError("screening-terms", "line %d must be \"language: term\" with language nb, da or en", i+1)
		}
		section := screening.OtherSection
		if cat, term, ok := strings.Cut(rest, ":"); ok {
			section, rest = strings.TrimSpace(cat), strings.TrimSpace(term)
		}
		if err := screening.CheckTerm(rest); err != nil {
			return nil, configError("screening-terms", "line %d: %v", i+1, err)
		}
		extra[lang] = append(extra[lang], "["+section+"]", rest)
	}
	for lang, lines := range extra {
		terms = terms.Extend(lang, lines)
	}
	return terms, nil
}

func parsePositive(name, v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		return 0, configError(name, "%q must be a positive number", v)
	}
	return f, nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func checkURL(name, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return configError(name, "%q must be an http or https URL", v)
	}
	return nil
}

// loopbackOnly reports whether addr listens only on a loopback address.
func loopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
