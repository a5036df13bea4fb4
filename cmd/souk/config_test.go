package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// envMap turns a map into a getenv function; unknown names read as "".
func envMap(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig("serve", nil, envMap(nil), io.Discard)
	if err != nil {
		t.Fatalf("loadConfig with an empty environment: %v", err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"addr", c.Addr, "127.0.0.1:8080"},
		{"data dir", c.DataDir, "./data"},
		{"base url", c.BaseURL, "http://127.0.0.1:8080"},
		{"database url", c.DatabaseURL, ""},
		{"db max conns", c.DBMaxConns, 10},
		{"s3 endpoint", c.S3Endpoint, ""},
		{"s3 bucket", c.S3Bucket, "souk"},
		{"s3 region", c.S3Region, "us-east-1"},
		{"s3 use ssl", c.S3UseSSL, false},
		{"log format", c.LogFormat, "text"},
		{"log level", c.LogLevel, "info"},
		{"trusted proxies", c.TrustedProxies, ""},
		{"shutdown timeout", c.ShutdownTimeout, 15 * time.Second},
		{"body limit", c.BodyLimitMB, 64},
		{"sqlite path", c.sqlitePath(), "data/souk.db"},
		{"objects dir", c.objectsDir(), "data/objects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

func TestLoadConfigEnvAndFlags(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(t *testing.T, c Config)
	}{
		{
			name: "environment is read",
			env: map[string]string{
				"SOUK_ADDR": "0.0.0.0:9000", "SOUK_DATA_DIR": "/var/lib/souk", "SOUK_BASE_URL": "https://souk.example",
				"DATABASE_URL": "postgres://u:p@db/souk", "SOUK_DB_MAX_CONNS": "25",
				"S3_ENDPOINT": "minio:9000", "S3_ACCESS_KEY": "ak", "S3_SECRET_KEY": "sk", "S3_BUCKET": "photos",
				"S3_USE_SSL": "true", "S3_REGION": "eu-west-3", "SOUK_LOG_FORMAT": "json", "SOUK_LOG_LEVEL": "debug",
				"SOUK_TRUSTED_PROXIES": "10.0.0.1, 10.1.0.0/16", "SOUK_SHUTDOWN_TIMEOUT": "40s", "SOUK_BODY_LIMIT_MB": "16",
			},
			check: func(t *testing.T, c Config) {
				want := Config{
					Addr: "0.0.0.0:9000", DataDir: "/var/lib/souk", BaseURL: "https://souk.example",
					DatabaseURL: "postgres://u:p@db/souk", DBMaxConns: 25,
					S3Endpoint: "minio:9000", S3AccessKey: "ak", S3SecretKey: "sk", S3Bucket: "photos",
					S3UseSSL: true, S3Region: "eu-west-3", LogFormat: "json", LogLevel: "debug",
					TrustedProxies: "10.0.0.1, 10.1.0.0/16", ShutdownTimeout: 40 * time.Second, BodyLimitMB: 16,
				}
				if c != want {
					t.Errorf("config\n got %+v\nwant %+v", c, want)
				}
				if got := strings.Join(c.trustedProxies(), "|"); got != "10.0.0.1|10.1.0.0/16" {
					t.Errorf("trustedProxies() = %q, want the two trimmed entries", got)
				}
				if got := c.sqlitePath(); got != "/var/lib/souk/souk.db" {
					t.Errorf("sqlitePath() = %q", got)
				}
			},
		},
		{
			name: "flags override the environment",
			env: map[string]string{
				"SOUK_ADDR": "0.0.0.0:9000", "SOUK_DATA_DIR": "/env/dir", "SOUK_LOG_LEVEL": "debug",
				"S3_BUCKET": "from-env", "SOUK_SHUTDOWN_TIMEOUT": "40s", "SOUK_DB_MAX_CONNS": "25",
			},
			args: []string{"--addr", "127.0.0.1:7000", "--data-dir", "/flag/dir", "--log-level=warn",
				"--s3-bucket", "from-flag", "--shutdown-timeout", "2s", "--db-max-conns", "3"},
			check: func(t *testing.T, c Config) {
				if c.Addr != "127.0.0.1:7000" || c.DataDir != "/flag/dir" || c.LogLevel != "warn" ||
					c.S3Bucket != "from-flag" || c.ShutdownTimeout != 2*time.Second || c.DBMaxConns != 3 {
					t.Errorf("flags did not win: %+v", c)
				}
				if c.BaseURL != "http://127.0.0.1:7000" {
					t.Errorf("BaseURL = %q, want it derived from the --addr flag", c.BaseURL)
				}
			},
		},
		{
			name: "secret flags override the environment",
			env: map[string]string{"DATABASE_URL": "postgres://env@h/db", "S3_ENDPOINT": "m:9000",
				"S3_ACCESS_KEY": "env-ak", "S3_SECRET_KEY": "env-sk"},
			args: []string{"--database-url", "postgres://flag@h/db", "--s3-access-key", "flag-ak", "--s3-secret-key=flag-sk"},
			check: func(t *testing.T, c Config) {
				if c.DatabaseURL != "postgres://flag@h/db" || c.S3AccessKey != "flag-ak" || c.S3SecretKey != "flag-sk" {
					t.Errorf("got %q %q %q, want the flags' values", c.DatabaseURL, c.S3AccessKey, c.S3SecretKey)
				}
			},
		},
		{
			name: "an empty database-url flag selects SQLite over the environment",
			env:  map[string]string{"DATABASE_URL": "postgres://env@h/db"},
			args: []string{"--database-url="},
			check: func(t *testing.T, c Config) {
				if c.DatabaseURL != "" {
					t.Errorf("DatabaseURL = %q, want empty", c.DatabaseURL)
				}
			},
		},
		{
			name: "explicit base url is kept",
			env:  map[string]string{"SOUK_ADDR": "127.0.0.1:7000", "SOUK_BASE_URL": "https://expo.example"},
			check: func(t *testing.T, c Config) {
				if c.BaseURL != "https://expo.example" {
					t.Errorf("BaseURL = %q", c.BaseURL)
				}
			},
		},
		{
			name: "postgresql scheme is accepted",
			env:  map[string]string{"DATABASE_URL": "postgresql://u@h/db"},
			check: func(t *testing.T, c Config) {
				if c.DatabaseURL != "postgresql://u@h/db" {
					t.Errorf("DatabaseURL = %q", c.DatabaseURL)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig("serve", tt.args, envMap(tt.env), io.Discard)
			if err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadConfigProblems(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		// want are substrings the error must contain, each naming the variable at fault.
		want []string
	}{
		{"bad addr", map[string]string{"SOUK_ADDR": "localhost"}, nil,
			[]string{`SOUK_ADDR "localhost" is not host:port`}},
		{"bad addr flag", nil, []string{"--addr", "8080"},
			[]string{`SOUK_ADDR "8080" is not host:port`}},
		{"ftp base url", map[string]string{"SOUK_BASE_URL": "ftp://souk.example"}, nil,
			[]string{`SOUK_BASE_URL "ftp://souk.example" must be an http:// or https:// URL`}},
		{"base url without host", map[string]string{"SOUK_BASE_URL": "https://"}, nil,
			[]string{`SOUK_BASE_URL "https://" must be an http:// or https:// URL`}},
		{"mysql database url", map[string]string{"DATABASE_URL": "mysql://u:p@h/db"}, nil,
			[]string{"DATABASE_URL must start with postgres://"}},
		{"s3 endpoint without keys", map[string]string{"S3_ENDPOINT": "minio:9000"}, nil,
			[]string{"S3_ACCESS_KEY and S3_SECRET_KEY are required with S3_ENDPOINT"}},
		{"s3 endpoint without secret key", map[string]string{"S3_ENDPOINT": "minio:9000", "S3_ACCESS_KEY": "ak"}, nil,
			[]string{"S3_ACCESS_KEY and S3_SECRET_KEY are required with S3_ENDPOINT"}},
		{"s3 endpoint with scheme", map[string]string{"S3_ENDPOINT": "https://minio:9000", "S3_ACCESS_KEY": "ak", "S3_SECRET_KEY": "sk"}, nil,
			[]string{"S3_ENDPOINT is host:port without a scheme"}},
		{"s3 endpoint with empty bucket flag", map[string]string{"S3_ENDPOINT": "minio:9000", "S3_ACCESS_KEY": "ak", "S3_SECRET_KEY": "sk"},
			[]string{"--s3-bucket="}, []string{"S3_BUCKET is required with S3_ENDPOINT"}},
		{"bad log format", map[string]string{"SOUK_LOG_FORMAT": "xml"}, nil,
			[]string{"SOUK_LOG_FORMAT must be text or json"}},
		{"bad log level", map[string]string{"SOUK_LOG_LEVEL": "loud"}, nil,
			[]string{"SOUK_LOG_LEVEL must be debug, info, warn or error"}},
		{"bad trusted proxy", map[string]string{"SOUK_TRUSTED_PROXIES": "10.0.0.1,lb.internal"}, nil,
			[]string{`SOUK_TRUSTED_PROXIES entry "lb.internal" is not an IP or CIDR`}},
		{"bad trusted proxy cidr", map[string]string{"SOUK_TRUSTED_PROXIES": "10.0.0.0/33"}, nil,
			[]string{`SOUK_TRUSTED_PROXIES entry "10.0.0.0/33" is not an IP or CIDR`}},
		{"db max conns out of range", map[string]string{"SOUK_DB_MAX_CONNS": "0"}, nil,
			[]string{"SOUK_DB_MAX_CONNS must be between 1 and 200"}},
		{"body limit out of range", nil, []string{"--body-limit-mb", "1024"},
			[]string{"SOUK_BODY_LIMIT_MB must be between 1 and 512"}},
		{"negative shutdown timeout", map[string]string{"SOUK_SHUTDOWN_TIMEOUT": "-1s"}, nil,
			[]string{"SOUK_SHUTDOWN_TIMEOUT must be positive"}},
		// A malformed number, duration or boolean in the environment must not silently
		// become the default (SOUK_SHUTDOWN_TIMEOUT=30 is a likely slip for 30s).
		{"unparsable db max conns", map[string]string{"SOUK_DB_MAX_CONNS": "ten"}, nil,
			[]string{`SOUK_DB_MAX_CONNS "ten" is not a whole number`}},
		{"shutdown timeout without unit", map[string]string{"SOUK_SHUTDOWN_TIMEOUT": "30"}, nil,
			[]string{`SOUK_SHUTDOWN_TIMEOUT "30" is not a duration`}},
		{"unparsable s3 use ssl", map[string]string{"S3_USE_SSL": "yes please"}, nil,
			[]string{`S3_USE_SSL "yes please" is not true or false`}},
		{"unparsable body limit", map[string]string{"SOUK_BODY_LIMIT_MB": "4MB"}, nil,
			[]string{`SOUK_BODY_LIMIT_MB "4MB" is not a whole number`}},
		{
			name: "several problems are reported together",
			env: map[string]string{
				"SOUK_ADDR": "nope", "SOUK_BASE_URL": "ftp://x", "DATABASE_URL": "mysql://h/db",
				"S3_ENDPOINT": "http://minio:9000", "SOUK_LOG_FORMAT": "xml", "SOUK_LOG_LEVEL": "loud",
				"SOUK_TRUSTED_PROXIES": "proxy", "SOUK_DB_MAX_CONNS": "many",
			},
			want: []string{
				"SOUK_ADDR", "SOUK_BASE_URL", "DATABASE_URL", "S3_ENDPOINT is host:port without a scheme",
				"S3_ACCESS_KEY and S3_SECRET_KEY", "SOUK_LOG_FORMAT", "SOUK_LOG_LEVEL", "SOUK_TRUSTED_PROXIES",
				"SOUK_DB_MAX_CONNS",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig("serve", tt.args, envMap(tt.env), io.Discard)
			if err == nil {
				t.Fatalf("loadConfig accepted a bad configuration; want errors mentioning %q", tt.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "invalid configuration:") {
				t.Errorf("error %q does not start with %q", msg, "invalid configuration:")
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not mention %q:\n%s", w, msg)
				}
			}
			if n := strings.Count(msg, "\n  - "); n < len(tt.want) && len(tt.want) > 1 {
				t.Errorf("error lists %d problems, want at least %d:\n%s", n, len(tt.want), msg)
			}
		})
	}
}

func TestLoadConfigFlagOverridesMalformedEnv(t *testing.T) {
	// The flag wins, so the malformed variable it replaces is not reported.
	env := envMap(map[string]string{"SOUK_SHUTDOWN_TIMEOUT": "30", "SOUK_DB_MAX_CONNS": "ten"})
	c, err := loadConfig("serve", []string{"--shutdown-timeout", "30s", "--db-max-conns", "12"}, env, io.Discard)
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	if c.ShutdownTimeout != 30*time.Second || c.DBMaxConns != 12 {
		t.Errorf("got timeout %v, max conns %d; want the flags' 30s and 12", c.ShutdownTimeout, c.DBMaxConns)
	}
}

func TestLoadConfigBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--password", "x"}, "flag provided but not defined: -password"},
		{"bad number", []string{"--db-max-conns", "lots"}, "db-max-conns"},
		{"bad duration", []string{"--shutdown-timeout", "soon"}, "shutdown-timeout"},
		{"flag without its value", []string{"--addr"}, "flag needs an argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			_, err := loadConfig("serve", tt.args, envMap(nil), &stderr)
			if err == nil {
				t.Fatalf("loadConfig(%q) succeeded, want an error", tt.args)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if !strings.Contains(stderr.String(), "-data-dir") {
				t.Errorf("flag usage not printed to stderr:\n%s", stderr.String())
			}
		})
	}
}

func TestLoadConfigHelpHidesSecrets(t *testing.T) {
	// -h prints every flag with its default; defaults come from the environment, which must
	// not put the secrets on the terminal (or in a container log).
	env := envMap(map[string]string{
		"DATABASE_URL": "postgres://u:pg-s3cret@db/souk", "S3_ENDPOINT": "m:9000",
		"S3_ACCESS_KEY": "AKIAHELPACCESS", "S3_SECRET_KEY": "help-secret-key", "SOUK_DATA_DIR": "/srv/souk-help",
	})
	var stderr bytes.Buffer
	_, err := loadConfig("serve", []string{"-h"}, env, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	out := stderr.String()
	if !strings.Contains(out, "/srv/souk-help") {
		t.Errorf("help does not show the non-secret default from the environment:\n%s", out)
	}
	for _, secret := range []string{"pg-s3cret", "AKIAHELPACCESS", "help-secret-key"} {
		if strings.Contains(out, secret) {
			t.Errorf("help output shows the secret %q:\n%s", secret, out)
		}
	}
}

func TestConfigLogValueMasksSecrets(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		secret []string // must never appear in the log line
		show   []string // must appear
	}{
		{
			name: "s3 keys and database password",
			env: map[string]string{
				"DATABASE_URL": "postgres://u:s3cret@db.internal:5432/souk?sslmode=require",
				"S3_ENDPOINT":  "minio.internal:9000", "S3_ACCESS_KEY": "AKIAEXAMPLEACCESS", "S3_SECRET_KEY": "wJalrXUtnFEMIsecretKEY",
				"S3_BUCKET": "souk-photos",
			},
			secret: []string{"s3cret", "AKIAEXAMPLEACCESS", "wJalrXUtnFEMIsecretKEY"},
			show:   []string{"db.internal:5432", "sslmode=require", "minio.internal:9000", "souk-photos", "s3_secret_key=***", "s3_access_key=***"},
		},
		{
			name:   "the short form from the brief",
			env:    map[string]string{"DATABASE_URL": "postgres://u:s3cret@h/db"},
			secret: []string{"s3cret"},
			show:   []string{"postgres://u:", "@h/db"},
		},
		{
			name:   "password given as a query parameter",
			env:    map[string]string{"DATABASE_URL": "postgres://u@db.internal/souk?password=s3cret&sslmode=disable&sslpassword=k3ypass"},
			secret: []string{"s3cret", "k3ypass"},
			show:   []string{"db.internal", "sslmode=disable"},
		},
		{
			name:   "unparsable url is hidden whole",
			env:    map[string]string{"DATABASE_URL": "postgres://u:s3cret@h:port/db"},
			secret: []string{"s3cret"},
			show:   []string{"database=***"},
		},
		{
			name: "embedded defaults",
			env:  map[string]string{"SOUK_DATA_DIR": "/srv/souk"},
			show: []string{"database=sqlite:/srv/souk/souk.db", "s3_endpoint=folder:/srv/souk/objects", "s3_access_key=\"\"", "addr=127.0.0.1:8080"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Build the Config directly so an URL that validation would refuse is still logged.
			c, _ := loadConfig("serve", nil, envMap(tt.env), io.Discard)
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("starting souk", slog.Any("config", c))
			line := buf.String()
			for _, s := range tt.secret {
				if strings.Contains(line, s) {
					t.Errorf("log line shows the secret %q:\n%s", s, line)
				}
			}
			for _, s := range tt.show {
				if !strings.Contains(line, s) {
					t.Errorf("log line does not show %q:\n%s", s, line)
				}
			}
		})
	}

	t.Run("json handler too", func(t *testing.T) {
		c, err := loadConfig("serve", nil, envMap(map[string]string{
			"DATABASE_URL": "postgres://u:s3cret@h/db", "S3_ENDPOINT": "m:9000", "S3_ACCESS_KEY": "ak-hidden", "S3_SECRET_KEY": "sk-hidden",
		}), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "config", c)
		for _, s := range []string{"s3cret", "ak-hidden", "sk-hidden"} {
			if strings.Contains(buf.String(), s) {
				t.Errorf("json log shows %q: %s", s, buf.String())
			}
		}
	})
}
