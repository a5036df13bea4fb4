package handlers

// What operators notice: liveness, readiness, metrics, a database outage (checklist F1),
// graceful shutdown (F5), and the bytes served under /media and /static.

import (
	"bytes"
	"context"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"github.com/soukexpo/souk/storage"
)

// opsDo sends req through c's instance with a hard timeout in milliseconds: a request that
// does not answer in time fails the test instead of hanging it. Cookies are kept like client.do.
func opsDo(t *testing.T, c *client, req *http.Request, timeoutMS int) (*http.Response, string) {
	t.Helper()
	for _, ck := range c.jar.Cookies(base) {
		req.AddCookie(ck)
	}
	resp, err := c.a.app.Test(req, timeoutMS)
	if err != nil {
		t.Fatalf("%s %s: no answer within %d ms: %v", req.Method, req.URL, timeoutMS, err)
	}
	c.jar.SetCookies(base, resp.Cookies())
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	_ = resp.Body.Close()
	return resp, string(body)
}

func TestHealthAndReadiness(t *testing.T) {
	tests := []struct {
		name       string
		notReady   bool
		path       string
		wantStatus int
		wantBody   string
	}{
		{name: "liveness", path: "/healthz", wantStatus: http.StatusOK, wantBody: "ok"},
		{name: "ready with database and store", path: "/readyz", wantStatus: http.StatusOK, wantBody: "ready"},
		{name: "not ready while shutting down", notReady: true, path: "/readyz", wantStatus: http.StatusServiceUnavailable, wantBody: "shutting down"},
		{name: "liveness unaffected by readiness", notReady: true, path: "/healthz", wantStatus: http.StatusOK, wantBody: "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestApp(t, nil)
			if tt.notReady {
				a.h.SetReady(false)
			}
			resp, body := a.client().get(tt.path)
			if resp.StatusCode != tt.wantStatus || body != tt.wantBody {
				t.Fatalf("GET %s: %d %q, want %d %q", tt.path, resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if cc := resp.Header.Get(fiber.HeaderCacheControl); cc != "no-store" {
				t.Errorf("GET %s: Cache-Control %q, want no-store (a cached probe lies)", tt.path, cc)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	a := newTestApp(t, nil)
	c := a.client()
	for _, p := range []string{"/", "/fairs/some-slug", "/no-such-page-xyz"} {
		c.get(p)
	}
	resp, body := c.get("/metrics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	if ct := resp.Header.Get(fiber.HeaderContentType); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET /metrics: Content-Type %q, want the Prometheus text format", ct)
	}
	tests := []struct {
		name    string
		pattern string
		present bool
	}{
		{name: "Go runtime collector", pattern: `(?m)^go_goroutines \d+`, present: true},
		{name: "process collector", pattern: `(?m)^process_\w+ `, present: true},
		{name: "home counted under its route", pattern: `(?m)^souk_http_requests_total\{[^}]*route="/"[^}]*status="200"[^}]*\} 1$`, present: true},
		{name: "fair page labelled by template", pattern: `(?m)^souk_http_requests_total\{[^}]*route="/fairs/:slug"[^}]*status="404"[^}]*\} 1$`, present: true},
		{name: "unmatched paths share one label", pattern: `(?m)^souk_http_requests_total\{[^}]*route="\(unmatched\)"[^}]*\} 1$`, present: true},
		{name: "latency histogram", pattern: `(?m)^souk_http_request_duration_seconds_bucket\{[^}]*route="/"`, present: true},
		{name: "no raw slug label", pattern: `some-slug`, present: false},
		{name: "no raw unmatched path label", pattern: `no-such-page-xyz`, present: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := regexp.MustCompile(tt.pattern).MatchString(body); got != tt.present {
				t.Errorf("/metrics matches %q: %v, want %v\n%s", tt.pattern, got, tt.present, souksLines(body))
			}
		})
	}
}

// souksLines keeps the portal's own series of a metrics page, for failure messages.
func souksLines(body string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "souk_http_requests_total") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// tcpProxy forwards connections to a PostgreSQL server; stop closes the listener and every
// live connection (the database "goes away"), start listens again on the same port.
type tcpProxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
	// frozen holds every byte in flight (a network partition: nothing refused, nothing answered).
	frozen atomic.Bool
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{t: t, target: target, addr: "127.0.0.1:0", conns: map[net.Conn]struct{}{}}
	p.start()
	t.Cleanup(func() {
		p.stop()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) start() {
	p.t.Helper()
	var (
		ln  net.Listener
		err error
	)
	for range 100 { // the same port must come back; retry briefly if the kernel still holds it
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("proxy: listen on %s: %v", p.addr, err)
	}
	p.mu.Lock()
	p.ln = ln
	p.addr = ln.Addr().String()
	p.mu.Unlock()
	p.wg.Add(1)
	go p.accept(ln)
}

func (p *tcpProxy) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		down, err := ln.Accept()
		if err != nil {
			return
		}
		up, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			_ = down.Close()
			continue
		}
		p.mu.Lock()
		if p.ln != ln { // stopped meanwhile
			p.mu.Unlock()
			_ = down.Close()
			_ = up.Close()
			continue
		}
		p.conns[down], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			buf := make([]byte, 32<<10)
			for {
				n, err := src.Read(buf)
				for p.frozen.Load() {
					time.Sleep(10 * time.Millisecond)
				}
				if n > 0 {
					if _, werr := dst.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			_ = dst.Close()
			_ = src.Close()
			p.mu.Lock()
			delete(p.conns, dst)
			delete(p.conns, src)
			p.mu.Unlock()
		}
		go pipe(up, down)
		go pipe(down, up)
	}
}

// stop makes the database unreachable: new connections are refused, open ones are cut.
func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

// TestDatabaseOutage is the acceptance of F1: with the database stopped, pages answer 503
// (the localized error page) within 2 s and /readyz fails while /healthz stays up; when the
// database returns, the same instance recovers — no restart, sessions intact.
func TestDatabaseOutage(t *testing.T) {
	ctx := context.Background()
	pgURL, err := url.Parse(dbtest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, pgURL.Host)
	pgURL.Host = proxy.addr
	db, err := models.Open(ctx, models.DBConfig{URL: pgURL.String(), Logger: dbtest.Logger(), MaxOpenConns: 8})
	if err != nil {
		t.Fatalf("open database through the proxy: %v", err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	if _, err := models.Migrate(ctx, db, nil); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	a := newTestApp(t, db)
	fair := models.Fair{Slug: "outage-2027", Name: "Salon de la panne 2027", City: "Bruxelles", Country: "BE",
		StartsOn: time.Date(2027, 5, 7, 0, 0, 0, 0, time.UTC), EndsOn: time.Date(2027, 5, 9, 0, 0, 0, 0, time.UTC),
		Timezone: "Europe/Brussels", Status: models.FairOpen}
	if err := db.Create(&fair).Error; err != nil {
		t.Fatalf("seed fair: %v", err)
	}
	a.mkUser("panne@example.be", models.RoleVisitor)

	anon, arabic, signed := a.client(), a.client(), a.client()
	signed.login("panne@example.be", testPassword)

	type check struct {
		name string
		c    *client
		path string
		// during the outage: the status, the error page language ("" for a plain probe).
		outageStatus int
		outageLang   string
		// once recovered: text the page must show.
		okText string
	}
	checks := []check{
		{name: "home, anonymous", c: anon, path: "/", outageStatus: 503, outageLang: "fr", okText: fair.Name},
		{name: "fairs, anonymous", c: anon, path: "/fairs", outageStatus: 503, outageLang: "fr", okText: fair.Name},
		{name: "fair page, anonymous", c: anon, path: "/fairs/outage-2027", outageStatus: 503, outageLang: "fr", okText: fair.Name},
		{name: "fairs in Arabic", c: arabic, path: "/fairs?lang=ar", outageStatus: 503, outageLang: "ar", okText: fair.Name},
		{name: "account, signed in", c: signed, path: "/account", outageStatus: 503, outageLang: "fr", okText: "panne@example.be"},
		{name: "readiness", c: anon, path: "/readyz", outageStatus: 503, okText: "ready"},
		{name: "liveness", c: anon, path: "/healthz", outageStatus: 200, okText: "ok"},
	}
	const bound = 2000 // ms: the acceptance's "within 2 s", as a guard only
	get := func(t *testing.T, ck check) (*http.Response, string) {
		t.Helper()
		return opsDo(t, ck.c, httptest.NewRequest(http.MethodGet, ck.path, nil), bound)
	}
	expectUp := func(t *testing.T, phase string) {
		t.Helper()
		for _, ck := range checks {
			resp, body := get(t, ck)
			if resp.StatusCode != http.StatusOK || !strings.Contains(html.UnescapeString(body), ck.okText) {
				t.Errorf("%s: %s GET %s: %d, want 200 showing %q", phase, ck.name, ck.path, resp.StatusCode, ck.okText)
			}
		}
	}

	expectUp(t, "before the outage")

	proxy.stop()
	for _, ck := range checks {
		t.Run("outage/"+ck.name, func(t *testing.T) {
			resp, body := get(t, ck)
			if resp.StatusCode != ck.outageStatus {
				t.Fatalf("GET %s with the database down: %d, want %d; body %.300s", ck.path, resp.StatusCode, ck.outageStatus, body)
			}
			switch {
			case ck.outageLang != "":
				text := html.UnescapeString(body)
				if !strings.Contains(body, `<html lang="`+ck.outageLang+`"`) {
					t.Errorf("GET %s: error page is not in %q (layout missing?)", ck.path, ck.outageLang)
				}
				if want := a.h.tr.localize(ck.outageLang, "ErrorUnavailable", nil, nil); !strings.Contains(text, want) {
					t.Errorf("GET %s: error page lacks %q", ck.path, want)
				}
				if resp.Header.Get(fiber.HeaderRetryAfter) == "" {
					t.Errorf("GET %s: 503 without Retry-After", ck.path)
				}
				if strings.Contains(text, "connection refused") || strings.Contains(text, "dial tcp") {
					t.Errorf("GET %s: the error page leaks the internal cause", ck.path)
				}
			case ck.path == "/readyz":
				if !strings.Contains(body, "database") || strings.Contains(body, "object store") {
					t.Errorf("GET /readyz: %q, want it to name the database (and only it)", body)
				}
			}
		})
	}

	proxy.start() // same port: the pool's address is unchanged
	recovered := false
	for range 40 {
		resp, _ := opsDo(t, anon, httptest.NewRequest(http.MethodGet, "/", nil), bound)
		if resp.StatusCode == http.StatusOK {
			recovered = true
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if !recovered {
		t.Fatal("the portal did not recover within 10 s of the database coming back")
	}
	expectUp(t, "after the outage")
}

// TestDatabaseHangs: a database that accepts but never answers (a partition) must not hold a
// page longer than 2 s either: the page deadline turns it into a 503.
func TestDatabaseHangs(t *testing.T) {
	ctx := context.Background()
	pgURL, err := url.Parse(dbtest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, pgURL.Host)
	pgURL.Host = proxy.addr
	db, err := models.Open(ctx, models.DBConfig{URL: pgURL.String(), Logger: dbtest.Logger(), MaxOpenConns: 8})
	if err != nil {
		t.Fatalf("open database through the proxy: %v", err)
	}
	t.Cleanup(func() {
		proxy.frozen.Store(false)
		_ = models.Close(db)
	})
	if _, err := models.Migrate(ctx, db, nil); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	a := newTestApp(t, db)
	a.mkUser("partition@example.be", models.RoleVisitor)
	anon, signed := a.client(), a.client()
	signed.login("partition@example.be", testPassword)

	proxy.frozen.Store(true)
	for _, tc := range []struct {
		name string
		c    *client
		path string
	}{
		{"home, anonymous", anon, "/"},
		{"fairs, anonymous", anon, "/fairs"},
		{"account, signed in", signed, "/account"},
		{"readiness", anon, "/readyz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := opsDo(t, tc.c, httptest.NewRequest(http.MethodGet, tc.path, nil), 2000)
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("GET %s with the database hanging: %d, want 503", tc.path, resp.StatusCode)
			}
		})
	}
	proxy.frozen.Store(false)
	recovered := false
	for range 40 {
		resp, _ := opsDo(t, signed, httptest.NewRequest(http.MethodGet, "/account", nil), 2000)
		if resp.StatusCode == http.StatusOK {
			recovered = true
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if !recovered {
		t.Fatal("the portal did not recover after the partition healed")
	}
}

// TestGracefulShutdown (F5): readiness goes first, an in-flight request finishes with 200 and an
// intact request context, new connections are refused, and shutdown returns within its grace.
func TestGracefulShutdown(t *testing.T) {
	a := newTestApp(t, nil)
	a.app.Get("/slow-test", func(c *fiber.Ctx) error {
		select {
		case <-time.After(1500 * time.Millisecond):
			return c.SendString("slow done")
		case <-c.UserContext().Done():
			return c.Status(fiber.StatusInternalServerError).SendString("request context cancelled by shutdown")
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- a.app.Listener(ln) }()

	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	fetch := func(path string) (int, string, error) {
		resp, err := hc.Get("http://" + addr + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	up := false
	for range 50 {
		if code, _, err := fetch("/healthz"); err == nil && code == http.StatusOK {
			up = true
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !up {
		t.Fatal("the app did not start listening")
	}

	type result struct {
		code int
		body string
		err  error
	}
	slow := make(chan result, 1)
	go func() {
		code, body, err := fetch("/slow-test")
		slow <- result{code, body, err}
	}()
	time.Sleep(300 * time.Millisecond)

	// Step 1 of the shutdown sequence: the balancer sees /readyz fail.
	a.h.SetReady(false)
	if code, body, err := fetch("/readyz"); err != nil || code != http.StatusServiceUnavailable {
		t.Fatalf("GET /readyz after SetReady(false): %d %q %v, want 503", code, body, err)
	}

	const grace = 5 * time.Second
	started := time.Now()
	shutdownErr := make(chan error, 1)
	go func() { shutdownErr <- a.app.ShutdownWithTimeout(grace) }()

	// While the slow request is still running, the listener is already closed.
	time.Sleep(200 * time.Millisecond)
	select {
	case r := <-slow:
		t.Fatalf("the slow request ended before shutdown could drain it: %+v", r)
	default:
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		_ = conn.Close()
		t.Error("a new connection was accepted during shutdown")
	}

	r := <-slow
	if r.err != nil || r.code != http.StatusOK || r.body != "slow done" {
		t.Fatalf("in-flight request during shutdown: %d %q %v, want 200 \"slow done\"", r.code, r.body, r.err)
	}
	select {
	case err := <-shutdownErr:
		if err != nil {
			t.Fatalf("ShutdownWithTimeout: %v", err)
		}
	case <-time.After(grace + time.Second):
		t.Fatal("ShutdownWithTimeout did not return within its grace period")
	}
	if elapsed := time.Since(started); elapsed >= grace {
		t.Errorf("shutdown took %s, the whole grace period: something held it open", elapsed)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Listener returned %v after shutdown", err)
		}
	case <-time.After(2 * time.Second):
		t.Error("Listener did not return after shutdown")
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		_ = conn.Close()
		t.Error("a new connection was accepted after shutdown")
	}
}

// TestMediaServing: objects come back byte for byte with their stored type and a year-long
// immutable cache; anything else, above all a path out of the store, is a 404 page.
func TestMediaServing(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	storeDir := filepath.Join(root, "objects")
	const secret = "TOP-SECRET-OUTSIDE-THE-STORE"
	for _, p := range []string{filepath.Join(root, "secret.txt"), filepath.Join(root, "x")} {
		if err := os.WriteFile(p, []byte(secret), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	store, err := storage.New(ctx, storage.Config{Dir: storeDir})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	db := dbtest.SQLite(t)
	h, err := New(Deps{DB: db, Store: store, Logger: dbtest.Logger(), Config: Config{BaseURL: "http://example.com"}})
	if err != nil {
		t.Fatalf("new handlers: %v", err)
	}
	c := (&testApp{t: t, h: h, app: h.App()}).client()

	type object struct {
		key, ctype string
		data       []byte
	}
	objects := []object{
		{key: storage.NewKey("img", "jpg"), ctype: "image/jpeg", data: append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte("zellige"), 500)...)},
		{key: storage.NewKey("img", "webp"), ctype: "image/webp", data: []byte("RIFF\x00\x00\x00\x00WEBPVP8 tadelakt")},
	}
	for _, o := range objects {
		if err := store.Put(ctx, o.key, bytes.NewReader(o.data), int64(len(o.data)), o.ctype); err != nil {
			t.Fatalf("put %s: %v", o.key, err)
		}
		publishPhotoRow(t, db, models.PhotoKeyBase(o.key)) // only photos with a row are served (photos_test.go)
		t.Run("GET "+o.ctype, func(t *testing.T) {
			resp, body := c.get("/media/" + o.key)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /media/%s: %d", o.key, resp.StatusCode)
			}
			if body != string(o.data) {
				t.Errorf("GET /media/%s: %d bytes differ from the %d stored", o.key, len(body), len(o.data))
			}
			for header, want := range map[string]string{
				fiber.HeaderContentType:         o.ctype,
				fiber.HeaderCacheControl:        "public, max-age=31536000, immutable",
				fiber.HeaderXContentTypeOptions: "nosniff",
			} {
				if got := resp.Header.Get(header); got != want {
					t.Errorf("GET /media/%s: %s %q, want %q", o.key, header, got, want)
				}
			}
		})
	}

	for _, path := range []string{
		"/media/" + storage.NewKey("img", "jpg"), // well-formed but never stored
		"/media/",
		"/media/IMG/NOT-A-KEY.JPG",
		"/media/../secret.txt",
		"/media/%2e%2e/x",
		"/media/%2e%2e/secret.txt",
		"/media/..%2fsecret.txt",
		"/media/%2e%2e%2fsecret.txt",
		"/media/img/..%2f..%2fsecret.txt",
		"/media/img/%2e%2e/%2e%2e/secret.txt",
		"/media/..%5csecret.txt",
	} {
		t.Run("refuse "+path, func(t *testing.T) {
			resp, body := c.get(path) // httptest keeps the request target exactly as written
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
			}
			if strings.Contains(body, secret) {
				t.Fatalf("GET %s served a file from outside the object store", path)
			}
			if !strings.Contains(body, `<html lang="fr"`) || !strings.Contains(html.UnescapeString(body), h.tr.localize("fr", "ErrorNotFound", nil, nil)) {
				t.Errorf("GET %s: not the 404 page: %.200s", path, body)
			}
		})
	}
}

var stylesheetLink = regexp.MustCompile(`<link rel="stylesheet" href="(/static/([0-9a-f]+)/css/souk\.css)">`)

// TestStaticAssets: the stylesheet URL the home page links to is served, typed and cached for a
// year; the same name under another hash is not (a stale URL must not be cached forever).
func TestStaticAssets(t *testing.T) {
	a := newTestApp(t, nil)
	c := a.client()
	_, home := c.get("/")
	m := stylesheetLink.FindStringSubmatch(home)
	if m == nil {
		t.Fatalf("home page has no hashed souk.css link:\n%.1000s", home)
	}
	assetURL, hash := m[1], m[2]
	wrongHash := strings.Repeat("0", len(hash))
	if wrongHash == hash {
		wrongHash = strings.Repeat("1", len(hash))
	}
	tests := []struct {
		name       string
		path       string
		wantStatus int
	}{
		{name: "linked URL", path: assetURL, wantStatus: http.StatusOK},
		{name: "wrong hash", path: strings.Replace(assetURL, hash, wrongHash, 1), wantStatus: http.StatusNotFound},
		{name: "unknown file", path: "/static/" + hash + "/css/nope.css", wantStatus: http.StatusNotFound},
		{name: "escape attempt", path: "/static/" + hash + "/../../go.mod", wantStatus: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := c.get(tt.path)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET %s: %d, want %d", tt.path, resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusOK {
				if strings.Contains(body, "module github.com") {
					t.Fatalf("GET %s served a source file", tt.path)
				}
				return
			}
			if ct := resp.Header.Get(fiber.HeaderContentType); !strings.HasPrefix(ct, "text/css") {
				t.Errorf("GET %s: Content-Type %q, want text/css", tt.path, ct)
			}
			if cc := resp.Header.Get(fiber.HeaderCacheControl); cc != "public, max-age=31536000, immutable" {
				t.Errorf("GET %s: Cache-Control %q, want a year, immutable", tt.path, cc)
			}
			if len(body) == 0 {
				t.Errorf("GET %s: empty stylesheet", tt.path)
			}
		})
	}
}
