package handlers

// Fuzz targets for the form binders (checklist C6): whatever the body, the answer is never a
// 5xx and nothing panics. `go test` runs the seeds below; a nightly job runs
//
//	go test -run '^$' -fuzz FuzzLoginForm -fuzztime 60s ./handlers/
//
// and commits any crasher under testdata/fuzz/.

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/soukexpo/souk/models"
)

// Body encodings the fuzzer may pick (the first byte of the input, modulo the list length).
var fuzzContentTypes = []string{
	"application/x-www-form-urlencoded",
	"multipart/form-data; boundary=fuzzboundary",
	"application/json",
	"application/xml",
	"text/plain",
	"",
}

// formFuzzer sends bodies to one form route with a valid session and CSRF token, so the body
// reaches the binder instead of stopping at the CSRF check.
type formFuzzer struct {
	a      *testApp
	page   string // the GET page that mints the token
	path   string // the POST route
	cookie string
	token  string
}

func newFormFuzzer(f *testing.F, page, path string) *formFuzzer {
	a := newTestApp(f, nil)
	a.mkUser("fuzz@example.be", models.RoleVisitor)
	z := &formFuzzer{a: a, page: page, path: path}
	z.refresh(f)
	return z
}

// refresh opens a new anonymous session (after a successful login or sign-up replaced it).
func (z *formFuzzer) refresh(t testing.TB) {
	t.Helper()
	resp, err := z.a.app.Test(httptest.NewRequest(http.MethodGet, z.page, nil), 10_000)
	if err != nil {
		t.Fatalf("GET %s: %v", z.page, err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	ck := setCookie(resp, "souk_session")
	m := csrfField.FindSubmatch(body)
	if ck == nil || m == nil {
		t.Fatalf("GET %s: no session cookie or CSRF token", z.page)
	}
	z.cookie, z.token = ck.Value, string(m[1])
}

func (z *formFuzzer) send(t *testing.T, kind uint8, body []byte) {
	// Limits are not what is fuzzed here: start every input with fresh counters.
	if err := z.a.db.Exec("DELETE FROM kv_entries WHERE key LIKE 'limit:%'").Error; err != nil {
		t.Fatalf("reset limits: %v", err)
	}
	req := httptest.NewRequest(http.MethodPost, z.path, bytes.NewReader(body))
	if ct := fuzzContentTypes[int(kind)%len(fuzzContentTypes)]; ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("X-Csrf-Token", z.token)
	req.AddCookie(&http.Cookie{Name: "souk_session", Value: z.cookie})
	resp, err := z.a.app.Test(req, 10_000)
	if err != nil {
		// fasthttp refused to read the request (a 400 from Fiber's server error handler on a
		// real connection); app.Test reports that as an error. A timeout or a handler that never
		// returned is a real failure.
		if msg := err.Error(); strings.Contains(msg, "timeout") || strings.Contains(msg, "panic") || strings.Contains(msg, "Goexit") {
			t.Fatalf("POST %s: %v (body %q)", z.path, err, truncate(body))
		}
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode >= 500 {
		t.Fatalf("POST %s with %q body %q: status %d", z.path, fuzzContentTypes[int(kind)%len(fuzzContentTypes)], truncate(body), resp.StatusCode)
	}
	if resp.StatusCode == http.StatusSeeOther || resp.StatusCode == http.StatusForbidden {
		z.refresh(t) // the session was replaced (success) or is gone
	}
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// formSeeds are the regression corpus: Fiber's BodyParser index DoS cases (CVE-2025-48075,
// CVE-2025-54801), huge keys, odd encodings.
func formSeeds(field string) []string {
	return []string{
		field + "[-1]=x",
		field + "[18446744073704]=x",
		field + "[18446744073709551615]=x",
		field + "[9223372036854775807]=x&" + field + "[0]=y",
		field + "[0]=a&" + field + "[1]=b",
		field + "[]=x&" + field + "[]=y",
		field + ".x.y.z=1",
		field + "[a][b][c][d]=1",
		field + "=a&" + field + "=b",
		strings.Repeat("k", 70_000) + "=v",
		strings.Repeat("a[", 500) + "=x",
		field + "=" + strings.Repeat("%", 1000),
		field + "=%zz&password=%",
		"=&&&==&",
		field + "=%00%ff%fe&name=%E2%80%AE",
		strings.Repeat("x=1&", 5000),
	}
}

func FuzzLoginForm(f *testing.F) {
	z := newFormFuzzer(f, "/login", "/login")
	for _, s := range formSeeds("email") {
		f.Add(uint8(0), []byte(s))
	}
	f.Add(uint8(0), []byte("email=fuzz%40example.be&password="+testPassword+"&next=%2F%2Fevil.example"))
	f.Add(uint8(0), []byte("email=fuzz%40example.be&password=wrong-password"))
	f.Add(uint8(1), []byte("--fuzzboundary\r\nContent-Disposition: form-data; name=\"email[-1]\"\r\n\r\nx\r\n--fuzzboundary--\r\n"))
	f.Add(uint8(1), []byte("--fuzzboundary\r\nContent-Disposition: form-data; name=\"email\"; filename=\"../../a.php\"\r\n\r\nx\r\n--fuzzboundary"))
	f.Add(uint8(2), []byte(`{"email":["x"],"password":{"a":1}}`))
	f.Add(uint8(2), []byte(`{"email":"`+strings.Repeat("[", 10000)))
	f.Add(uint8(3), []byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x><email>&a;</email></x>`))
	f.Add(uint8(4), []byte("email=x"))
	f.Add(uint8(5), []byte("email=x"))
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		z.send(t, kind, body)
	})
}

func FuzzSignupForm(f *testing.F) {
	z := newFormFuzzer(f, "/signup", "/signup")
	for _, s := range formSeeds("role") {
		f.Add(uint8(0), []byte(s))
	}
	for _, s := range formSeeds("email") {
		f.Add(uint8(0), []byte(s))
	}
	f.Add(uint8(0), []byte("email=seed%40example.be&password=un-mot-de-passe-long&name=Seed&role=visitor&session_epoch=9&id=1"))
	f.Add(uint8(0), []byte("email=fuzz%40example.be&password=un-mot-de-passe-long&name=Seed&role=artisan"))
	f.Add(uint8(0), []byte("email=a%40b.be&password="+strings.Repeat("p", 5000)+"&name="+strings.Repeat("%D8%B3", 500)+"&role=visitor"))
	f.Add(uint8(2), []byte(`{"email":"j@example.be","password":"un-mot-de-passe-long","name":"J","role":"organizer","SessionEpoch":9}`))
	f.Add(uint8(1), []byte("--fuzzboundary\r\nContent-Disposition: form-data; name=\"role[18446744073704]\"\r\n\r\nx\r\n--fuzzboundary--\r\n"))
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		z.send(t, kind, body)
	})
}
