package payments

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeStripe is a small in-process Stripe: the four endpoints the gateway calls, a record
// of every request, Stripe's idempotency (same key → same answer), and failure modes.
type fakeStripe struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	reqs     []recorded
	sessions map[string]map[string]any
	byKey    map[string]cachedAnswer
	next     int

	// failStatus/failBody, when failStatus != 0, answer every request.
	failStatus int
	failBody   string
	// hang makes every request wait until the client gives up.
	hang    bool
	release chan struct{}
}

type recorded struct {
	Method, Path string
	Form         url.Values
	Header       http.Header
}

type cachedAnswer struct {
	status int
	body   []byte
}

func newFakeStripe(t *testing.T) *fakeStripe {
	t.Helper()
	f := &fakeStripe{
		t:        t,
		sessions: map[string]map[string]any{},
		byKey:    map[string]cachedAnswer{},
		release:  make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/checkout/sessions", f.createSession)
	mux.HandleFunc("GET /v1/checkout/sessions/{id}", f.getSession)
	mux.HandleFunc("POST /v1/checkout/sessions/{id}/expire", f.expireSession)
	mux.HandleFunc("POST /v1/refunds", f.createRefund)
	f.srv = httptest.NewServer(f.middleware(mux))
	t.Cleanup(func() {
		close(f.release)
		f.srv.Close()
	})
	return f
}

// gateway returns a Stripe gateway talking to the fake, with no retries and a short timeout.
func (f *fakeStripe) gateway(t *testing.T, mut ...func(*Config)) *Stripe {
	t.Helper()
	cfg := Config{
		SecretKey:         "sk_test_fake_" + strings.ReplaceAll(t.Name(), "/", "_"),
		WebhookSecret:     "whsec_fake",
		APIBase:           f.srv.URL,
		Timeout:           2 * time.Second,
		MaxNetworkRetries: -1,
		Logger:            quietLogger(),
	}
	for _, m := range mut {
		m(&cfg)
	}
	s, err := NewStripe(cfg)
	if err != nil {
		t.Fatalf("NewStripe: %v", err)
	}
	return s
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

func (f *fakeStripe) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fakeStripe) setFailure(status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failStatus, f.failBody = status, body
}

func (f *fakeStripe) setHang() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hang = true
}

// setSession changes fields of a stored session (e.g. to mark it paid).
func (f *fakeStripe) setSession(id string, fields map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sessions[id]
	if !ok {
		f.t.Errorf("fake: no session %s", id)
		return
	}
	for k, v := range fields {
		s[k] = v
	}
}

// middleware records the request, applies failure modes and Stripe's idempotency.
func (f *fakeStripe) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.Path, Form: r.PostForm, Header: r.Header.Clone()})
		hang, failStatus, failBody := f.hang, f.failStatus, f.failBody
		f.mu.Unlock()

		if hang {
			select {
			case <-r.Context().Done():
			case <-f.release:
			}
			return
		}
		if failStatus != 0 {
			w.Header().Set("Request-Id", "req_fake")
			w.WriteHeader(failStatus)
			_, _ = w.Write([]byte(failBody))
			return
		}
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		// Stripe answers a repeated key with the first answer. The lock also serialises
		// concurrent requests with one key, as Stripe does.
		key := r.Header.Get("Idempotency-Key")
		f.mu.Lock()
		defer f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if a, ok := f.byKey[key]; ok && key != "" {
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(a.status)
			_, _ = w.Write(a.body)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if key != "" {
			f.byKey[key] = cachedAnswer{status: rec.Code, body: rec.Body.Bytes()}
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// The handlers below run with f.mu held for POSTs (see middleware), not for GETs.

func (f *fakeStripe) createSession(w http.ResponseWriter, r *http.Request) {
	form := r.PostForm
	var total int64
	for i := 0; ; i++ {
		p := fmt.Sprintf("line_items[%d]", i)
		if form.Get(p+"[quantity]") == "" {
			break
		}
		q, _ := strconv.ParseInt(form.Get(p+"[quantity]"), 10, 64)
		u, _ := strconv.ParseInt(form.Get(p+"[price_data][unit_amount]"), 10, 64)
		total += q * u
	}
	expires, _ := strconv.ParseInt(form.Get("expires_at"), 10, 64)
	meta := map[string]any{}
	for k, v := range form {
		if name, ok := strings.CutPrefix(k, "metadata["); ok {
			meta[strings.TrimSuffix(name, "]")] = v[0]
		}
	}
	f.next++
	id := fmt.Sprintf("cs_test_fake%d", f.next)
	s := map[string]any{
		"id":                  id,
		"object":              "checkout.session",
		"url":                 "https://checkout.example.test/pay/" + id,
		"status":              "open",
		"payment_status":      "unpaid",
		"amount_total":        total,
		"currency":            form.Get("currency"),
		"client_reference_id": form.Get("client_reference_id"),
		"metadata":            meta,
		"expires_at":          expires,
		"payment_intent":      nil,
	}
	f.sessions[id] = s
	writeJSON(w, http.StatusOK, s)
}

func (f *fakeStripe) getSession(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sessions[r.PathValue("id")]
	if !ok {
		writeJSON(w, http.StatusNotFound, stripeErr("invalid_request_error", "resource_missing", "No such checkout.session"))
		return
	}
	writeJSON(w, http.StatusOK, s)
}

func (f *fakeStripe) expireSession(w http.ResponseWriter, r *http.Request) {
	s, ok := f.sessions[r.PathValue("id")]
	switch {
	case !ok:
		writeJSON(w, http.StatusNotFound, stripeErr("invalid_request_error", "resource_missing", "No such checkout.session"))
	case s["status"] != "open":
		writeJSON(w, http.StatusBadRequest, stripeErr("invalid_request_error", "", "Only Checkout Sessions with a status of open can be expired."))
	default:
		s["status"] = "expired"
		writeJSON(w, http.StatusOK, s)
	}
}

func (f *fakeStripe) createRefund(w http.ResponseWriter, r *http.Request) {
	amount, _ := strconv.ParseInt(r.PostForm.Get("amount"), 10, 64)
	f.next++
	writeJSON(w, http.StatusOK, map[string]any{
		"id":             fmt.Sprintf("re_fake%d", f.next),
		"object":         "refund",
		"amount":         amount,
		"currency":       "eur",
		"payment_intent": r.PostForm.Get("payment_intent"),
		"status":         "succeeded",
	})
}

func stripeErr(typ, code, msg string) map[string]any {
	e := map[string]any{"type": typ, "message": msg}
	if code != "" {
		e["code"] = code
	}
	return map[string]any{"error": e}
}

func stripeErrJSON(typ, code, msg string) string {
	b, _ := json.Marshal(stripeErr(typ, code, msg))
	return string(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
