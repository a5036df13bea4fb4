package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
)

const (
	// shutdownTimeout is the grace period given to the servers under test.
	shutdownTimeout = 10 * time.Second
	// startGuard and stopGuard only catch a hung server; no test measures time otherwise.
	// The second of two PostgreSQL instances waits for the migration lock (goose retries
	// every 5 s), hence the room.
	startGuard = 90 * time.Second
	stopGuard  = shutdownTimeout + 50*time.Second
)

// freeAddrs returns n distinct loopback addresses that were free a moment ago.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	out := make([]string, n)
	for i := range out {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		lns = append(lns, ln)
		out[i] = ln.Addr().String()
	}
	return out
}

// server is one `souk serve` running in a goroutine of the test.
type server struct {
	t       *testing.T
	base    string
	stdout  *syncBuffer
	stderr  *syncBuffer
	cancel  context.CancelFunc
	done    chan error
	once    sync.Once
	stopErr error
}

// startServe runs `run` with args and env in the background; the server is stopped when
// the test ends if the test has not stopped it.
func startServe(t *testing.T, addr string, env map[string]string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{t: t, base: "http://" + addr, stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		s.done <- run(ctx, args, envMap(env), strings.NewReader(""), s.stdout, s.stderr)
	}()
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("stop server at %s: %v", s.base, err)
		}
	})
	return s
}

// stop cancels the context and waits for run to return, within a generous guard.
func (s *server) stop() error {
	s.once.Do(func() {
		s.cancel()
		select {
		case s.stopErr = <-s.done:
		case <-time.After(stopGuard):
			s.stopErr = fmt.Errorf("run did not return within %v of the cancel", stopGuard)
		}
	})
	return s.stopErr
}

// waitHealthy polls /healthz until it answers 200, failing if run returns first.
func (s *server) waitHealthy(c *http.Client) {
	s.t.Helper()
	deadline := time.Now().Add(startGuard)
	for attempt := 0; time.Now().Before(deadline); attempt++ {
		select {
		case err := <-s.done:
			s.done <- err // let stop see it too
			s.t.Fatalf("run returned before the server was healthy: %v\nstderr:\n%s", err, s.stderr.String())
		default:
		}
		resp, err := c.Get(s.base + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("%s/healthz did not answer 200 within %v\nstderr:\n%s", s.base, startGuard, s.stderr.String())
}

// newClient is a browser that does not follow redirects; jar may be nil.
func newClient(t *testing.T, jar http.CookieJar) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport: tr, Jar: jar, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// reply is a response read in full.
type reply struct {
	StatusCode int
	Header     http.Header
}

func readReply(t *testing.T, what string, resp *http.Response, err error) (reply, string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", what, err)
	}
	return reply{StatusCode: resp.StatusCode, Header: resp.Header}, string(b)
}

func get(t *testing.T, c *http.Client, u string) (reply, string) {
	t.Helper()
	resp, err := c.Get(u)
	return readReply(t, "GET "+u, resp, err)
}

func postForm(t *testing.T, c *http.Client, u string, form url.Values) (reply, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	return readReply(t, "POST "+u, resp, err)
}

// minioEnv points env at the TEST_S3_* MinIO with a bucket of the test's own, removed at
// the end; it skips (or fails under SOUK_REQUIRE_SERVICES=1) when MinIO is not configured.
func minioEnv(t *testing.T, env map[string]string) {
	t.Helper()
	v := dbtest.RequireEnv(t, "TEST_S3_ENDPOINT", "TEST_S3_ACCESS_KEY", "TEST_S3_SECRET_KEY")
	bucket := "souk-t-" + strings.ToLower(rand.Text()[:12])
	useSSL := os.Getenv("TEST_S3_USE_SSL") == "1"
	env["S3_ENDPOINT"], env["S3_ACCESS_KEY"], env["S3_SECRET_KEY"], env["S3_BUCKET"] = v[0], v[1], v[2], bucket
	env["S3_USE_SSL"] = fmt.Sprint(useSSL)
	t.Cleanup(func() {
		mc, err := minio.New(v[0], &minio.Options{Creds: credentials.NewStaticV4(v[1], v[2], ""), Secure: useSSL})
		if err != nil {
			t.Logf("minio client for cleanup: %v", err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := mc.RemoveBucketWithOptions(ctx, bucket, minio.RemoveBucketOptions{ForceDelete: true}); err != nil {
			t.Logf("remove test bucket %s: %v", bucket, err)
		}
	})
}

func TestServe(t *testing.T) {
	tests := []struct {
		name string
		// setup fills the environment; it may skip the test.
		setup func(t *testing.T, env map[string]string)
		// flagsOnly passes the address and data folder as flags with no command (serve is
		// the default), instead of SOUK_ADDR and SOUK_DATA_DIR with "serve".
		flagsOnly     bool
		wantDatabase  string
		wantStore     string
		secretsInLogs []string
	}{
		{name: "sqlite and folder", wantDatabase: "sqlite", wantStore: "disk"},
		{name: "default command with flags", flagsOnly: true, wantDatabase: "sqlite", wantStore: "disk"},
		{
			name:         "postgres and folder",
			setup:        func(t *testing.T, env map[string]string) { env["DATABASE_URL"] = dbtest.PostgresURL(t) },
			wantDatabase: "postgres", wantStore: "disk",
		},
		{
			name: "postgres and minio",
			setup: func(t *testing.T, env map[string]string) {
				minioEnv(t, env) // first: skips before a database is made when MinIO is absent
				env["DATABASE_URL"] = dbtest.PostgresURL(t)
			},
			wantDatabase: "postgres", wantStore: "minio",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, dataDir := freeAddrs(t, 1)[0], t.TempDir()
			env := map[string]string{"SOUK_SHUTDOWN_TIMEOUT": shutdownTimeout.String()}
			if tt.setup != nil {
				tt.setup(t, env)
			}
			args := []string{"souk", "serve"}
			if tt.flagsOnly {
				args = []string{"souk", "--addr", addr, "--data-dir", dataDir}
			} else {
				env["SOUK_ADDR"], env["SOUK_DATA_DIR"] = addr, dataDir
			}
			s := startServe(t, addr, env, args...)
			c := newClient(t, nil)
			s.waitHealthy(c)

			checks := []struct {
				path       string
				wantStatus int
				want       []string
			}{
				{"/healthz", http.StatusOK, []string{"ok"}},
				{"/readyz", http.StatusOK, []string{"ready"}},
				{"/", http.StatusOK, []string{`<html lang="fr"`, `dir="ltr"`}},
				{"/?lang=ar", http.StatusOK, []string{`lang="ar"`, `dir="rtl"`}},
				{"/?lang=en", http.StatusOK, []string{`<html lang="en"`}},
				{"/metrics", http.StatusOK, []string{"go_goroutines", "souk_http_requests_total"}},
				{"/login", http.StatusOK, []string{`name="_csrf"`}},
				{"/account", http.StatusSeeOther, nil},
				{"/no-such-page", http.StatusNotFound, nil},
			}
			for _, ck := range checks {
				resp, body := get(t, c, s.base+ck.path)
				if resp.StatusCode != ck.wantStatus {
					t.Errorf("GET %s: status %d, want %d\n%.300s", ck.path, resp.StatusCode, ck.wantStatus, body)
					continue
				}
				for _, w := range ck.want {
					if !strings.Contains(body, w) {
						t.Errorf("GET %s: body does not contain %q\n%.300s", ck.path, w, body)
					}
				}
			}

			c.CloseIdleConnections()
			if err := s.stop(); err != nil {
				t.Fatalf("run after cancel: %v\nstderr:\n%s", err, s.stderr.String())
			}
			stdout, stderr := s.stdout.String(), s.stderr.String()
			if want := "Souk Expo is running at http://" + addr; !strings.Contains(stdout, want) {
				t.Errorf("stdout does not contain %q:\n%s", want, stdout)
			}
			for _, w := range []string{"database=" + tt.wantDatabase, "store=" + tt.wantStore, "shutting down", "stopped"} {
				if !strings.Contains(stderr, w) {
					t.Errorf("log does not contain %q:\n%s", w, stderr)
				}
			}
			if secret := env["S3_SECRET_KEY"]; secret != "" && strings.Contains(stdout+stderr, secret) {
				t.Errorf("the S3 secret key appears in the output:\n%s", stderr)
			}
			if resp, err := c.Get(s.base + "/healthz"); err == nil {
				_ = resp.Body.Close()
				t.Errorf("%s still answers after run returned", s.base)
			}
		})
	}
}

func TestServeRefusesBadStart(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"address in use", map[string]string{"SOUK_ADDR": busy.Addr().String()}, "listen on " + busy.Addr().String()},
		{"invalid configuration", map[string]string{"SOUK_LOG_FORMAT": "xml"}, "SOUK_LOG_FORMAT"},
		{"unreachable postgres", map[string]string{"DATABASE_URL": "postgres://u@127.0.0.1:1/db?connect_timeout=1"}, "database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"SOUK_DATA_DIR": t.TempDir(), "SOUK_ADDR": freeAddrs(t, 1)[0]}
			for k, v := range tt.env {
				env[k] = v
			}
			s := startServe(t, env["SOUK_ADDR"], env, "souk", "serve")
			select {
			case err := <-s.done:
				s.once.Do(s.cancel) // run is over: nothing left for the cleanup to stop
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("run = %v, want an error containing %q", err, tt.wantErr)
				}
			case <-time.After(startGuard):
				t.Fatalf("run did not give up within %v", startGuard)
			}
		})
	}
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func csrfToken(t *testing.T, c *http.Client, page string) string {
	t.Helper()
	resp, body := get(t, c, page)
	m := csrfInput.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("GET %s: status %d, no _csrf field\n%.300s", page, resp.StatusCode, body)
	}
	return m[1]
}

func TestServeTwoInstancesSharePostgres(t *testing.T) {
	dbURL := dbtest.PostgresURL(t)
	addrs := freeAddrs(t, 2)
	servers := make([]*server, 2)
	// Both start at once on the fresh database: one applies the migrations under the lock,
	// the other waits for it.
	for i, addr := range addrs {
		servers[i] = startServe(t, addr, map[string]string{
			"DATABASE_URL": dbURL, "SOUK_ADDR": addr, "SOUK_DATA_DIR": t.TempDir(),
			"SOUK_SHUTDOWN_TIMEOUT": shutdownTimeout.String(),
		}, "souk", "serve")
	}
	probe := newClient(t, nil)
	for _, s := range servers {
		s.waitHealthy(probe)
		if resp, body := get(t, probe, s.base+"/readyz"); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s/readyz: %d %s", s.base, resp.StatusCode, body)
		}
	}
	migrated := 0
	for _, s := range servers {
		if strings.Contains(s.stderr.String(), "migrations applied") {
			migrated++
		}
	}
	if migrated != 1 {
		t.Errorf("%d instances applied migrations, want exactly 1 (the other finds them done)", migrated)
	}

	if out, stderr, err := runSouk(t, map[string]string{"DATABASE_URL": dbURL, "SOUK_DATA_DIR": t.TempDir(), "SOUK_SEED_PHOTO_WIDTH": "320"}, "", "seed"); err != nil {
		t.Fatalf("seed: %v\n%s\n%s", err, out, stderr)
	}

	a, b := servers[0], servers[1]
	// Log in on A.
	jarA, _ := cookiejar.New(nil)
	browserA := newClient(t, jarA)
	token := csrfToken(t, browserA, a.base+"/login")
	resp, body := postForm(t, browserA, a.base+"/login", url.Values{
		"_csrf": {token}, "email": {"organizer@souk.test"}, "password": {models.DefaultDemoPassword}, "next": {"/account"},
	})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" {
		t.Fatalf("POST /login on A: status %d, Location %q\n%.500s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	urlA, _ := url.Parse(a.base)
	var hasSession bool
	for _, ck := range jarA.Cookies(urlA) {
		hasSession = hasSession || ck.Name == "souk_session"
	}
	if !hasSession {
		t.Fatalf("no souk_session cookie after login; cookies: %v", jarA.Cookies(urlA))
	}

	// The same cookies, carried to B by hand (a load balancer sends the browser anywhere).
	urlB, _ := url.Parse(b.base)
	jarB, _ := cookiejar.New(nil)
	jarB.SetCookies(urlB, jarA.Cookies(urlA))
	browserB := newClient(t, jarB)
	for _, tc := range []struct {
		name string
		c    *http.Client
		base string
	}{{"A", browserA, a.base}, {"B", browserB, b.base}} {
		resp, body := get(t, tc.c, tc.base+"/account")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "organizer@souk.test") {
			t.Errorf("GET /account on %s with the session from A: status %d, want 200 showing organizer@souk.test\n%.300s",
				tc.name, resp.StatusCode, body)
		}
	}
	// Control: without the cookie, B sends the visitor to the login page.
	if resp, _ := get(t, newClient(t, nil), b.base+"/account"); resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("GET /account on B without a session: status %d, Location %q; want a redirect to /login",
			resp.StatusCode, resp.Header.Get("Location"))
	}

	// Log out on B with the CSRF token of the shared session: the session ends on A too.
	token = csrfToken(t, browserB, b.base+"/account")
	if resp, body := postForm(t, browserB, b.base+"/logout", url.Values{"_csrf": {token}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /logout on B: status %d\n%.300s", resp.StatusCode, body)
	}
	if resp, _ := get(t, browserA, a.base+"/account"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /account on A after logging out on B: status %d, want a redirect to /login", resp.StatusCode)
	}

	for _, s := range servers {
		probe.CloseIdleConnections()
		browserA.CloseIdleConnections()
		browserB.CloseIdleConnections()
		if err := s.stop(); err != nil {
			t.Errorf("stop %s: %v", s.base, err)
		}
	}
}
