package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/soukexpo/souk/handlers"
	"github.com/soukexpo/souk/payments"
)

// Config is the whole configuration of souk, read from the environment and overridden by
// flags, validated before anything starts.
type Config struct {
	Addr            string
	DataDir         string
	BaseURL         string
	DatabaseURL     string
	DBMaxConns      int
	S3Endpoint      string
	S3AccessKey     string
	S3SecretKey     string
	S3Bucket        string
	S3UseSSL        bool
	S3Region        string
	LogFormat       string
	LogLevel        string
	TrustedProxies  string
	ShutdownTimeout time.Duration
	BodyLimitMB     int
	// SMTPURL sends e-mails (smtp[s]://user:password@host:port?from=address); empty keeps
	// them in the outbox, read by organizers at /admin/outbox.
	SMTPURL string
	// Stripe turns card payments on when its SecretKey (STRIPE_SECRET_KEY) is set, with
	// STRIPE_WEBHOOK_SECRET and optionally STRIPE_API_BASE (stripe-mock); else pay at the stand.
	Stripe payments.Config
}

// envDefault returns getenv(name) or def when unset.
func envDefault(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// loadConfig reads the environment, then the flags of the subcommand (flags win).
// extra registers a subcommand's own flags.
func loadConfig(name string, args []string, getenv func(string) string, stderr io.Writer, extra ...func(*flag.FlagSet)) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("souk "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", envDefault(getenv, "SOUK_ADDR", "127.0.0.1:8080"), "listen address (SOUK_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", envDefault(getenv, "SOUK_DATA_DIR", "./data"), "folder for the SQLite file and objects when no server is configured (SOUK_DATA_DIR)")
	fs.StringVar(&c.BaseURL, "base-url", getenv("SOUK_BASE_URL"), "public URL, e.g. https://souk.example (SOUK_BASE_URL; default http://ADDR)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "postgres:// URL; empty = SQLite in the data folder (DATABASE_URL)")
	fs.IntVar(&c.DBMaxConns, "db-max-conns", intEnv(getenv, "SOUK_DB_MAX_CONNS", 10), "database pool size per instance (SOUK_DB_MAX_CONNS)")
	fs.StringVar(&c.S3Endpoint, "s3-endpoint", getenv("S3_ENDPOINT"), "MinIO/S3 host:port; empty = folder in the data dir (S3_ENDPOINT)")
	fs.StringVar(&c.S3AccessKey, "s3-access-key", "", "S3 access key (S3_ACCESS_KEY)")
	fs.StringVar(&c.S3SecretKey, "s3-secret-key", "", "S3 secret key (S3_SECRET_KEY)")
	fs.StringVar(&c.S3Bucket, "s3-bucket", envDefault(getenv, "S3_BUCKET", "souk"), "S3 bucket (S3_BUCKET)")
	fs.BoolVar(&c.S3UseSSL, "s3-use-ssl", boolEnv(getenv, "S3_USE_SSL", false), "use https to reach S3 (S3_USE_SSL)")
	fs.StringVar(&c.S3Region, "s3-region", envDefault(getenv, "S3_REGION", "us-east-1"), "S3 region (S3_REGION)")
	fs.StringVar(&c.LogFormat, "log-format", envDefault(getenv, "SOUK_LOG_FORMAT", "text"), "text or json (SOUK_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", envDefault(getenv, "SOUK_LOG_LEVEL", "info"), "debug, info, warn, error (SOUK_LOG_LEVEL)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", getenv("SOUK_TRUSTED_PROXIES"), "comma-separated load-balancer addresses whose X-Forwarded-For is trusted (SOUK_TRUSTED_PROXIES)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", durationEnv(getenv, "SOUK_SHUTDOWN_TIMEOUT", 15*time.Second), "grace period for in-flight requests (SOUK_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&c.SMTPURL, "smtp-url", "", "smtp://user:password@host:587 (or smtps://…:465, ?from=address); empty = e-mails stay in the outbox (SMTP_URL)")
	fs.IntVar(&c.BodyLimitMB, "body-limit-mb", intEnv(getenv, "SOUK_BODY_LIMIT_MB", 64), "largest request body in MiB: photo uploads (20 MB a file); other forms are capped at 1 MiB (SOUK_BODY_LIMIT_MB)")
	for _, add := range extra {
		add(fs)
	}
	if err := fs.Parse(args); err != nil {
		return c, fmt.Errorf("parse flags: %w", err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	// Secrets are not flag defaults, so that -h never prints them; the environment fills them
	// unless a flag was given.
	for flagName, v := range map[string]struct {
		dst *string
		env string
	}{"database-url": {&c.DatabaseURL, "DATABASE_URL"}, "s3-access-key": {&c.S3AccessKey, "S3_ACCESS_KEY"}, "s3-secret-key": {&c.S3SecretKey, "S3_SECRET_KEY"}, "smtp-url": {&c.SMTPURL, "SMTP_URL"}} {
		if !set[flagName] {
			*v.dst = getenv(v.env)
		}
	}
	// Stripe settings come from the environment only: secrets never appear as flags.
	c.Stripe = payments.Config{SecretKey: getenv("STRIPE_SECRET_KEY"), WebhookSecret: getenv("STRIPE_WEBHOOK_SECRET"),
		APIBase: getenv("STRIPE_API_BASE")}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	return c, c.validate(malformedEnv(set, getenv)...)
}

// malformedEnv reports the typed variables that do not parse (they would otherwise silently
// become the default: SOUK_SHUTDOWN_TIMEOUT=30 is not 30s), unless a flag replaced them.
func malformedEnv(set map[string]bool, getenv func(string) string) []string {
	isInt := func(s string) bool { _, err := strconv.Atoi(s); return err == nil }
	isBool := func(s string) bool { _, err := strconv.ParseBool(s); return err == nil }
	isDuration := func(s string) bool { _, err := time.ParseDuration(s); return err == nil }
	var problems []string
	for _, v := range []struct {
		flag, env, kind string
		ok              func(string) bool
	}{
		{"db-max-conns", "SOUK_DB_MAX_CONNS", "a whole number", isInt},
		{"body-limit-mb", "SOUK_BODY_LIMIT_MB", "a whole number", isInt},
		{"s3-use-ssl", "S3_USE_SSL", "true or false", isBool},
		{"shutdown-timeout", "SOUK_SHUTDOWN_TIMEOUT", "a duration such as 15s", isDuration},
	} {
		if raw := getenv(v.env); raw != "" && !set[v.flag] && !v.ok(raw) {
			problems = append(problems, fmt.Sprintf("%s %q is not %s", v.env, raw, v.kind))
		}
	}
	return problems
}

func intEnv(getenv func(string) string, name string, def int) int {
	if n, err := strconv.Atoi(getenv(name)); err == nil {
		return n
	}
	return def
}

func boolEnv(getenv func(string) string, name string, def bool) bool {
	if b, err := strconv.ParseBool(getenv(name)); err == nil {
		return b
	}
	return def
}

func durationEnv(getenv func(string) string, name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(getenv(name)); err == nil {
		return d
	}
	return def
}

// validate collects every problem so the operator fixes them in one go; problems found while
// reading the environment come first.
func (c Config) validate(problems ...string) error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		problems = append(problems, fmt.Sprintf("SOUK_ADDR %q is not host:port", c.Addr))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, fmt.Sprintf("SOUK_BASE_URL %q must be an http:// or https:// URL", c.BaseURL))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		problems = append(problems, "DATABASE_URL must start with postgres:// (or be empty for SQLite)")
	}
	if c.S3Endpoint != "" {
		if strings.Contains(c.S3Endpoint, "://") {
			problems = append(problems, "S3_ENDPOINT is host:port without a scheme (use S3_USE_SSL for https)")
		}
		if c.S3AccessKey == "" || c.S3SecretKey == "" {
			problems = append(problems, "S3_ACCESS_KEY and S3_SECRET_KEY are required with S3_ENDPOINT")
		}
		if c.S3Bucket == "" {
			problems = append(problems, "S3_BUCKET is required with S3_ENDPOINT")
		}
	}
	if c.DBMaxConns < 1 || c.DBMaxConns > 200 {
		problems = append(problems, "SOUK_DB_MAX_CONNS must be between 1 and 200")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		problems = append(problems, "SOUK_LOG_FORMAT must be text or json")
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		problems = append(problems, "SOUK_LOG_LEVEL must be debug, info, warn or error")
	}
	if c.ShutdownTimeout <= 0 {
		problems = append(problems, "SOUK_SHUTDOWN_TIMEOUT must be positive")
	}
	if c.BodyLimitMB < 1 || c.BodyLimitMB > 512 {
		problems = append(problems, "SOUK_BODY_LIMIT_MB must be between 1 and 512")
	}
	if err := handlers.ValidateSMTPURL(c.SMTPURL); err != nil {
		problems = append(problems, err.Error())
	}
	if _, err := payments.New(c.Stripe); err != nil {
		problems = append(problems, err.Error())
	}
	for _, p := range c.trustedProxies() {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				problems = append(problems, fmt.Sprintf("SOUK_TRUSTED_PROXIES entry %q is not an IP or CIDR", p))
			}
		}
	}
	if len(problems) > 0 {
		return errors.New("invalid configuration:\n  - " + strings.Join(problems, "\n  - "))
	}
	return nil
}

func (c Config) trustedProxies() []string {
	var out []string
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// sqlitePath is where the embedded database lives.
func (c Config) sqlitePath() string { return filepath.Join(c.DataDir, "souk.db") }

// objectsDir is where the embedded object store lives.
func (c Config) objectsDir() string { return filepath.Join(c.DataDir, "objects") }

// LogValue masks secrets whenever the configuration is logged.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("data_dir", c.DataDir),
		slog.String("base_url", c.BaseURL),
		slog.String("database", maskURL(c.DatabaseURL, "sqlite:"+c.sqlitePath())),
		slog.Int("db_max_conns", c.DBMaxConns),
		slog.String("s3_endpoint", orDefault(c.S3Endpoint, "folder:"+c.objectsDir())),
		slog.String("s3_access_key", mask(c.S3AccessKey)),
		slog.String("s3_secret_key", mask(c.S3SecretKey)),
		slog.String("s3_bucket", c.S3Bucket),
		slog.Bool("s3_use_ssl", c.S3UseSSL),
		slog.String("s3_region", c.S3Region),
		slog.String("trusted_proxies", c.TrustedProxies),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.String("smtp", maskURL(c.SMTPURL, "outbox only")),
		slog.Any("payments", c.Stripe),
	)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func mask(s string) string {
	if s == "" {
		return ""
	}
	return "***"
}

// maskURL hides the password of a database URL.
func maskURL(raw, def string) string {
	if raw == "" {
		return def
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "***"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	// pgx also takes the password (and the client key's) as query parameters.
	q := u.Query()
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			q.Set(k, "***")
			u.RawQuery = q.Encode()
		}
	}
	return u.Redacted()
}
