package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// syncBuffer is a bytes.Buffer safe to write from a server goroutine while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runSouk runs one command to completion the way main does, with env as the whole
// environment and stdin as standard input.
func runSouk(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var out, errb syncBuffer
	err = run(ctx, append([]string{"souk"}, args...), envMap(env), strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

// sqliteEnv is an environment with a fresh data folder and nothing else.
func sqliteEnv(t *testing.T) map[string]string {
	t.Helper()
	// Small demo photos: seeding draws and processes about a hundred of them, which at the
	// default 1600 px takes long under -race.
	return map[string]string{"SOUK_DATA_DIR": t.TempDir(), "SOUK_LOG_LEVEL": "warn", "SOUK_SEED_PHOTO_WIDTH": "320"}
}

// postgresEnv is an environment on a fresh PostgreSQL database (skips without one).
func postgresEnv(t *testing.T) map[string]string {
	t.Helper()
	env := sqliteEnv(t) // the data folder still holds objects; keep it out of the package dir
	env["DATABASE_URL"] = dbtest.PostgresURL(t)
	return env
}

// eachDialect runs fn on SQLite and, when available, on PostgreSQL.
func eachDialect(t *testing.T, fn func(t *testing.T, env map[string]string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, sqliteEnv(t)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, postgresEnv(t)) })
}

// openDB opens (and migrates, so a command that failed early still leaves a countable
// schema) the database the environment points at.
func openDB(t *testing.T, env map[string]string) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	db, err := models.Open(ctx, models.DBConfig{
		URL: env["DATABASE_URL"], SQLitePath: filepath.Join(env["SOUK_DATA_DIR"], "souk.db"), Logger: dbtest.Logger(),
	})
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	if _, err := models.Migrate(ctx, db, nil); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// rowCounts counts the rows of every table.
func rowCounts(t *testing.T, env map[string]string) map[string]int64 {
	t.Helper()
	db := openDB(t, env)
	tables, err := db.Migrator().GetTables()
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	if len(tables) == 0 {
		t.Fatal("no tables")
	}
	out := make(map[string]int64, len(tables))
	for _, tbl := range tables {
		var n int64
		if err := db.Raw(`SELECT count(*) FROM "` + tbl + `"`).Scan(&n).Error; err != nil {
			t.Fatalf("count %s: %v", tbl, err)
		}
		out[tbl] = n
	}
	if err := models.Close(db); err != nil {
		t.Fatalf("close: %v", err)
	}
	return out
}

func countRows(t *testing.T, env map[string]string, model any) int64 {
	t.Helper()
	var n int64
	if err := openDB(t, env).Model(model).Count(&n).Error; err != nil {
		t.Fatalf("count %T: %v", model, err)
	}
	return n
}

func TestRunCommands(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantErr    string // "" = success
		wantIsErr  error
		wantStdout []string
		wantStderr []string
	}{
		{name: "help", args: []string{"help"}, wantStdout: []string{"usage: souk", "serve", "migrate", "seed", "admin create-organizer"}},
		{name: "-h", args: []string{"-h"}, wantStdout: []string{"usage: souk", "admin create-organizer"}},
		{name: "--help", args: []string{"--help"}, wantStdout: []string{"usage: souk"}},
		{name: "unknown command", args: []string{"serf"}, wantErr: `unknown command "serf"`},
		{name: "unknown command points to help", args: []string{"deploy"}, wantErr: `unknown command "deploy" (see "souk help")`},
		{name: "admin without a command", args: []string{"admin"}, wantErr: `the only command is "create-organizer"`},
		{name: "admin with another command", args: []string{"admin", "delete-organizer"}, wantErr: `the only command is "create-organizer"`},
		{name: "migrate -h lists the flags", args: []string{"migrate", "-h"}, wantIsErr: flag.ErrHelp,
			wantStderr: []string{"-data-dir", "SOUK_DATA_DIR", "-database-url"}},
		{name: "migrate with a bad configuration", args: []string{"migrate"},
			env:     map[string]string{"SOUK_LOG_LEVEL": "loud", "DATABASE_URL": "mysql://h/db"},
			wantErr: "invalid configuration"},
		{name: "seed with an unknown flag", args: []string{"seed", "--no-such-flag"}, wantErr: "parse flags"},
		{name: "create-organizer needs --email", args: []string{"admin", "create-organizer"}, wantErr: "--email is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := sqliteEnv(t)
			for k, v := range tt.env {
				env[k] = v
			}
			stdout, stderr, err := runSouk(t, env, "", tt.args...)
			switch {
			case tt.wantIsErr != nil:
				if !errors.Is(err, tt.wantIsErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantIsErr)
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("run %q: %v\nstderr: %s", tt.args, err, stderr)
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout does not contain %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, stderr)
				}
			}
			// A command that failed before opening the database leaves no database behind.
			if err != nil {
				if _, serr := os.Stat(filepath.Join(env["SOUK_DATA_DIR"], "souk.db")); serr == nil {
					t.Errorf("a failed %q created the SQLite file", tt.args)
				}
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	eachDialect(t, func(t *testing.T, env map[string]string) {
		dialect := "(sqlite)"
		if env["DATABASE_URL"] != "" {
			dialect = "(postgres)"
		}
		for i, wantFirst := range []bool{true, false} {
			stdout, stderr, err := runSouk(t, env, "", "migrate")
			if err != nil {
				t.Fatalf("migrate run %d: %v\nstderr: %s", i+1, err, stderr)
			}
			var n int
			if _, err := fmt.Sscanf(stdout, "%d migration(s) applied", &n); err != nil {
				t.Fatalf("run %d: output %q does not start with \"N migration(s) applied\"", i+1, stdout)
			}
			if !strings.Contains(stdout, "schema up to date "+dialect) {
				t.Errorf("run %d: output %q does not name the dialect %s", i+1, stdout, dialect)
			}
			if wantFirst && n == 0 {
				t.Errorf("first migrate applied 0 migrations on a fresh database")
			}
			if !wantFirst && n != 0 {
				t.Errorf("second migrate applied %d migrations, want 0", n)
			}
		}
		ok, err := models.SchemaUpToDate(context.Background(), openDB(t, env))
		if err != nil || !ok {
			t.Errorf("SchemaUpToDate = %v, %v after migrate", ok, err)
		}
	})
}

// parseSeedReport reads "Demo data: U account(s), A artisan profile(s), F fair(s) added."
func parseSeedReport(t *testing.T, stdout string) (users, artisans, fairs int64) {
	t.Helper()
	i := strings.Index(stdout, "Demo data: ")
	if i < 0 {
		t.Fatalf("no \"Demo data:\" line in:\n%s", stdout)
	}
	if _, err := fmt.Sscanf(stdout[i:], "Demo data: %d account(s), %d artisan profile(s), %d fair(s) added.", &users, &artisans, &fairs); err != nil {
		t.Fatalf("parse seed report: %v\n%s", err, stdout)
	}
	return users, artisans, fairs
}

func TestSeedTwice(t *testing.T) {
	eachDialect(t, func(t *testing.T, env map[string]string) {
		stdout1, stderr, err := runSouk(t, env, "", "seed")
		if err != nil {
			t.Fatalf("first seed: %v\nstderr: %s", err, stderr)
		}
		users, artisans, fairs := parseSeedReport(t, stdout1)
		if users == 0 || artisans == 0 || fairs == 0 {
			t.Errorf("first seed added %d users, %d artisans, %d fairs; want some of each", users, artisans, fairs)
		}
		after1 := rowCounts(t, env)
		for _, c := range []struct {
			table    string
			reported int64
		}{{"users", users}, {"artisans", artisans}, {"fairs", fairs}} {
			if after1[c.table] != c.reported {
				t.Errorf("first seed reported %d %s but the table has %d rows", c.reported, c.table, after1[c.table])
			}
		}

		stdout2, stderr, err := runSouk(t, env, "", "seed")
		if err != nil {
			t.Fatalf("second seed: %v\nstderr: %s", err, stderr)
		}
		if !strings.Contains(stdout2, "0 account(s), 0 artisan profile(s), 0 fair(s) added") {
			t.Errorf("second seed output does not say it added nothing:\n%s", stdout2)
		}
		after2 := rowCounts(t, env)
		if diff := diffCounts(after1, after2); diff != "" {
			t.Errorf("row counts changed on the second seed:\n%s", diff)
		}

		// The output lists the demo logins and the password, and they work.
		ctx := context.Background()
		db := openDB(t, env)
		for _, acc := range []struct {
			email string
			role  models.Role
		}{
			{"organizer@souk.test", models.RoleOrganizer},
			{"chamber@souk.test", models.RoleChamber},
			{"artisan@souk.test", models.RoleArtisan},
			{"visitor@souk.test", models.RoleVisitor},
		} {
			listed := acc.email + " (" + string(acc.role) + ")"
			if !strings.Contains(stdout2, listed) {
				t.Errorf("output does not list %q:\n%s", listed, stdout2)
			}
			u, err := models.Authenticate(ctx, db, acc.email, models.DefaultDemoPassword)
			if err != nil {
				t.Errorf("log in as %s with the default demo password: %v", acc.email, err)
				continue
			}
			if u.Role != acc.role {
				t.Errorf("%s has role %q, want %q", acc.email, u.Role, acc.role)
			}
		}
		if !strings.Contains(stdout2, "Password: "+models.DefaultDemoPassword+" (default") {
			t.Errorf("output does not give the default password %q:\n%s", models.DefaultDemoPassword, stdout2)
		}
	})
}

func diffCounts(a, b map[string]int64) string {
	var names []string
	for k := range a {
		names = append(names, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var out strings.Builder
	for _, n := range names {
		if a[n] != b[n] {
			fmt.Fprintf(&out, "  %s: %d → %d\n", n, a[n], b[n])
		}
	}
	return out.String()
}

func TestSeedDemoPassword(t *testing.T) {
	tests := []struct {
		name     string
		password string
		wantErr  string
	}{
		{"too short", "short", "password too short"},
		{"too common", "password", "password too common"},
		{"chosen", "medina-blue-door-42", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := sqliteEnv(t)
			env["SOUK_DEMO_PASSWORD"] = tt.password
			stdout, stderr, err := runSouk(t, env, "", "seed")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "demo password") {
					t.Fatalf("err = %v, want a demo password error containing %q", err, tt.wantErr)
				}
				if n := countRows(t, env, &models.User{}); n != 0 {
					t.Errorf("%d accounts created despite the refused password", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("seed: %v\nstderr: %s", err, stderr)
			}
			if !strings.Contains(stdout, "Password: "+tt.password+"\n") {
				t.Errorf("output does not give the chosen password:\n%s", stdout)
			}
			if strings.Contains(stdout, models.DefaultDemoPassword) {
				t.Errorf("output mentions the default password although another was chosen:\n%s", stdout)
			}
			db := openDB(t, env)
			if _, err := models.Authenticate(context.Background(), db, "organizer@souk.test", tt.password); err != nil {
				t.Errorf("log in with the chosen password: %v", err)
			}
			if _, err := models.Authenticate(context.Background(), db, "organizer@souk.test", models.DefaultDemoPassword); !errors.Is(err, models.ErrInvalidCredentials) {
				t.Errorf("log in with the default password: err = %v, want ErrInvalidCredentials", err)
			}
		})
	}
}

func TestSeedPostgresConcurrent(t *testing.T) {
	// Two seed runs on one migrated database at once (migrated first, or the migration
	// lock would hold the second run back): both succeed and the rows exist once.
	env := postgresEnv(t)
	if _, stderr, err := runSouk(t, env, "", "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, stderr)
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			var out, errb syncBuffer
			err := run(ctx, []string{"souk", "seed"}, envMap(env), strings.NewReader(""), &out, &errb)
			if err != nil {
				err = fmt.Errorf("%w\nstderr: %s", err, errb.String())
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent seed: %v", err)
		}
	}
	first := rowCounts(t, env)
	if _, _, err := runSouk(t, env, "", "seed"); err != nil {
		t.Fatalf("third seed: %v", err)
	}
	if diff := diffCounts(first, rowCounts(t, env)); diff != "" {
		t.Errorf("a later seed added rows, so the concurrent ones left some out or doubled:\n%s", diff)
	}
}

const organizerPassword = "argan-oil-and-saffron-77"

func TestCreateOrganizer(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		stdin    string
		wantErr  string // "" = created
		wantName string
		password string // the password that must work afterwards
	}{
		{name: "password on standard input", args: []string{"--email", "boss@smap.test"},
			stdin: organizerPassword + "\n", wantName: "boss", password: organizerPassword},
		{name: "password on standard input without newline, crlf trimmed", args: []string{"--email", "Boss@SMAP.test", "--name", "Le Patron"},
			stdin: organizerPassword + "\r\n", wantName: "Le Patron", password: organizerPassword},
		{name: "password from SOUK_ADMIN_PASSWORD", args: []string{"--email", "boss@smap.test"},
			env: map[string]string{"SOUK_ADMIN_PASSWORD": organizerPassword}, stdin: "not-this-one-2026\n",
			wantName: "boss", password: organizerPassword},
		{name: "email flag with equals sign", args: []string{"--email=boss@smap.test"},
			stdin: organizerPassword, wantName: "boss", password: organizerPassword},
		{name: "password flag is refused", args: []string{"--email", "boss@smap.test", "--password", "x"},
			stdin: organizerPassword + "\n", wantErr: "flag provided but not defined: -password"},
		{name: "password flag is refused even when strong", args: []string{"--email", "boss@smap.test", "--password=" + organizerPassword},
			wantErr: "flag provided but not defined: -password"},
		{name: "weak password", args: []string{"--email", "boss@smap.test"}, stdin: "abc\n", wantErr: "PasswordTooShort"},
		{name: "common password", args: []string{"--email", "boss@smap.test"}, stdin: "password\n", wantErr: "PasswordTooCommon"},
		{name: "empty standard input", args: []string{"--email", "boss@smap.test"}, stdin: "", wantErr: "PasswordTooShort"},
		{name: "invalid email", args: []string{"--email", "boss"}, stdin: organizerPassword + "\n", wantErr: "EmailInvalid"},
		{name: "missing email", args: nil, stdin: organizerPassword + "\n", wantErr: "--email is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := sqliteEnv(t)
			for k, v := range tt.env {
				env[k] = v
			}
			stdout, stderr, err := runSouk(t, env, tt.stdin, append([]string{"admin", "create-organizer"}, tt.args...)...)
			ctx := context.Background()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				db := openDB(t, env)
				var users, audits int64
				db.Model(&models.User{}).Count(&users)
				db.Model(&models.AuditEntry{}).Count(&audits)
				if users != 0 || audits != 0 {
					t.Errorf("refused command left %d user(s) and %d audit row(s)", users, audits)
				}
				if strings.Contains(stdout, "created") {
					t.Errorf("stdout claims success: %s", stdout)
				}
				return
			}
			if err != nil {
				t.Fatalf("create-organizer: %v\nstderr: %s", err, stderr)
			}
			db := openDB(t, env)
			u, err := models.Authenticate(ctx, db, "boss@smap.test", tt.password)
			if err != nil {
				t.Fatalf("log in as the new organizer: %v", err)
			}
			if u.Role != models.RoleOrganizer || u.Name != tt.wantName || u.Email != "boss@smap.test" {
				t.Errorf("user = %q %q %q, want organizer %q boss@smap.test", u.Role, u.Name, u.Email, tt.wantName)
			}
			if want := fmt.Sprintf("Organizer boss@smap.test created (id %d).", u.ID); !strings.Contains(stdout, want) {
				t.Errorf("stdout %q does not contain %q", stdout, want)
			}
			if strings.Contains(stdout+stderr, tt.password) {
				t.Errorf("the password was echoed:\nstdout: %s\nstderr: %s", stdout, stderr)
			}
			entries, err := models.ListAudit(ctx, db, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				t.Fatalf("%d audit rows, want 1: %+v", len(entries), entries)
			}
			e := entries[0]
			if e.Action != "organizer.create" || e.Subject != "user" || e.SubjectID != u.ID || e.ActorID != nil ||
				!strings.Contains(e.After, "boss@smap.test") || !strings.Contains(e.After, "command line") {
				t.Errorf("audit row = %+v, want organizer.create of user %d by the command line", e, u.ID)
			}
		})
	}
}

func TestCreateOrganizerDuplicate(t *testing.T) {
	eachDialect(t, func(t *testing.T, env map[string]string) {
		args := []string{"admin", "create-organizer", "--email", "boss@smap.test"}
		if _, stderr, err := runSouk(t, env, organizerPassword+"\n", args...); err != nil {
			t.Fatalf("first create: %v\nstderr: %s", err, stderr)
		}
		// Same address, typed differently, with another password.
		_, _, err := runSouk(t, env, "another-strong-pass-99\n", "admin", "create-organizer", "--email", " BOSS@smap.test ")
		if err == nil || !strings.Contains(err.Error(), "EmailTaken") {
			t.Fatalf("second create: err = %v, want an EmailTaken error", err)
		}
		db := openDB(t, env)
		var users, audits int64
		db.Model(&models.User{}).Where("email = ?", "boss@smap.test").Count(&users)
		db.Model(&models.AuditEntry{}).Where("action = ?", "organizer.create").Count(&audits)
		if users != 1 || audits != 1 {
			t.Errorf("%d user(s) and %d audit row(s), want 1 and 1", users, audits)
		}
		if _, err := models.Authenticate(context.Background(), db, "boss@smap.test", organizerPassword); err != nil {
			t.Errorf("the first password no longer works: %v", err)
		}
	})
}
