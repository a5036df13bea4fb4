package payments

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
)

// The webhook endpoint must be created with this version; stripe-go v76 decodes only it.
func TestAPIVersionPinned(t *testing.T) {
	if stripe.APIVersion != "2023-10-16" {
		t.Fatalf("stripe.APIVersion = %q, want 2023-10-16: a stripe-go upgrade needs a new webhook endpoint first", stripe.APIVersion)
	}
}

func sampleRequest(attempt int) CheckoutRequest {
	return CheckoutRequest{
		Reference: "SX-7F3K9Q",
		Attempt:   attempt,
		Lines: []Line{
			{Name: "Tajine en terre cuite", UnitAmount: 2450, Quantity: 2},
			{Name: "Livraison Belgique", UnitAmount: 990, Quantity: 1},
		},
		CustomerEmail: "amina@example.test",
		SuccessURL:    "https://souk.example.test/orders/SX-7F3K9Q?session_id={CHECKOUT_SESSION_ID}",
		CancelURL:     "https://souk.example.test/cart",
		// Whole seconds, as a stored attempt would have.
		ExpiresAt: time.Now().Add(45 * time.Minute).Truncate(time.Second),
		Locale:    "fr",
		Metadata:  map[string]string{"kind": "order"},
	}
}

func TestCreateCheckoutRequestShape(t *testing.T) {
	f := newFakeStripe(t)
	g := f.gateway(t)
	req := sampleRequest(1)

	co, err := g.CreateCheckout(context.Background(), req)
	if err != nil {
		t.Fatalf("CreateCheckout: %v", err)
	}
	if co.SessionID == "" || !strings.HasPrefix(co.URL, "https://") || !co.ExpiresAt.Equal(req.ExpiresAt) {
		t.Errorf("checkout = %+v, want a session id, a URL and expires %s", co, req.ExpiresAt)
	}

	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("fake saw %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/v1/checkout/sessions" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	want := map[string]string{
		"mode":                                   "payment",
		"currency":                               "eur",
		"client_reference_id":                    "SX-7F3K9Q",
		"expires_at":                             strconv.FormatInt(req.ExpiresAt.Unix(), 10),
		"success_url":                            req.SuccessURL,
		"cancel_url":                             req.CancelURL,
		"customer_email":                         "amina@example.test",
		"locale":                                 "fr",
		"metadata[order]":                        "SX-7F3K9Q",
		"metadata[attempt]":                      "1",
		"metadata[kind]":                         "order",
		"payment_intent_data[metadata][order]":   "SX-7F3K9Q",
		"line_items[0][quantity]":                "2",
		"line_items[0][price_data][unit_amount]": "2450",
		"line_items[0][price_data][currency]":    "eur",
		"line_items[0][price_data][product_data][name]": "Tajine en terre cuite",
		"line_items[1][quantity]":                       "1",
		"line_items[1][price_data][unit_amount]":        "990",
		"line_items[1][price_data][product_data][name]": "Livraison Belgique",
	}
	for k, v := range want {
		if got := r.Form.Get(k); got != v {
			t.Errorf("form %s = %q, want %q", k, got, v)
		}
	}
	if r.Form.Has("line_items[2][quantity]") {
		t.Error("form has a third line item")
	}
	if got := r.Header.Get("Idempotency-Key"); got != "order:SX-7F3K9Q:attempt:1" {
		t.Errorf("Idempotency-Key = %q, want order:SX-7F3K9Q:attempt:1", got)
	}
	if got := r.Header.Get("Stripe-Version"); got != "2023-10-16" {
		t.Errorf("Stripe-Version = %q", got)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer sk_test_fake_"+t.Name() {
		t.Errorf("Authorization = %q, want this gateway's own key", got)
	}
}

func TestCheckoutLocale(t *testing.T) {
	for in, want := range map[string]string{"fr": "fr", "en": "en", "nl": "nl", "FR": "fr", "ar": "auto", "": "auto", "de": "auto"} {
		if got := checkoutLocale(in); got != want {
			t.Errorf("checkoutLocale(%q) = %q, want %q", in, got, want)
		}
	}
}

// D6: a double click on two instances sends one idempotency key, so Stripe opens one
// session; the next attempt gets its own key.
func TestCreateCheckoutSameAttemptSameKey(t *testing.T) {
	f := newFakeStripe(t)
	g1, g2 := f.gateway(t), f.gateway(t) // two instances
	req := sampleRequest(1)

	var wg sync.WaitGroup
	results := make([]Checkout, 2)
	errs := make([]error, 2)
	for i, g := range []*Stripe{g1, g2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = g.CreateCheckout(context.Background(), req)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("CreateCheckout: %v", err)
		}
	}
	if results[0].SessionID != results[1].SessionID {
		t.Errorf("two calls for one attempt got sessions %s and %s", results[0].SessionID, results[1].SessionID)
	}
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("fake saw %d requests, want 2", len(reqs))
	}
	if k0, k1 := reqs[0].Header.Get("Idempotency-Key"), reqs[1].Header.Get("Idempotency-Key"); k0 != k1 || k0 != "order:SX-7F3K9Q:attempt:1" {
		t.Errorf("keys = %q, %q, want both order:SX-7F3K9Q:attempt:1", k0, k1)
	}
	// Same attempt, same parameters: Stripe refuses a reused key with other parameters.
	if a, b := reqs[0].Form.Encode(), reqs[1].Form.Encode(); a != b {
		t.Errorf("the two calls sent different parameters:\n%s\n%s", a, b)
	}

	co, err := g1.CreateCheckout(context.Background(), sampleRequest(2))
	if err != nil {
		t.Fatalf("CreateCheckout attempt 2: %v", err)
	}
	if co.SessionID == results[0].SessionID {
		t.Error("attempt 2 got the session of attempt 1")
	}
	if got := f.requests()[2].Header.Get("Idempotency-Key"); got != "order:SX-7F3K9Q:attempt:2" {
		t.Errorf("attempt 2 key = %q", got)
	}
}

// No package-level state: two gateways with their own keys and base URLs coexist.
func TestTwoGatewaysCoexist(t *testing.T) {
	fa, fb := newFakeStripe(t), newFakeStripe(t)
	ga := fa.gateway(t, func(c *Config) { c.SecretKey = "sk_test_aaa" })
	gb := fb.gateway(t, func(c *Config) { c.SecretKey = "sk_test_bbb" })
	for _, g := range []*Stripe{ga, gb, ga} {
		if _, err := g.CreateCheckout(context.Background(), sampleRequest(1)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fa.requests()); n != 2 {
		t.Errorf("fake A saw %d requests, want 2", n)
	}
	if n := len(fb.requests()); n != 1 {
		t.Errorf("fake B saw %d requests, want 1", n)
	}
	if got := fb.requests()[0].Header.Get("Authorization"); got != "Bearer sk_test_bbb" {
		t.Errorf("fake B got %q", got)
	}
	if stripe.Key != "" {
		t.Error("the package-level stripe.Key was set")
	}
}

func TestCreateCheckoutRefusesBadRequests(t *testing.T) {
	f := newFakeStripe(t)
	g := f.gateway(t)
	cases := map[string]func(*CheckoutRequest){
		"empty reference":        func(r *CheckoutRequest) { r.Reference = "" },
		"reference with colon":   func(r *CheckoutRequest) { r.Reference = "SX:1" },
		"reference too long":     func(r *CheckoutRequest) { r.Reference = strings.Repeat("A", 65) },
		"attempt 0":              func(r *CheckoutRequest) { r.Attempt = 0 },
		"no lines":               func(r *CheckoutRequest) { r.Lines = nil },
		"zero price":             func(r *CheckoutRequest) { r.Lines[0].UnitAmount = 0 },
		"negative price":         func(r *CheckoutRequest) { r.Lines[0].UnitAmount = -100 },
		"zero quantity":          func(r *CheckoutRequest) { r.Lines[0].Quantity = 0 },
		"overflowing quantity":   func(r *CheckoutRequest) { r.Lines[0].Quantity = 1 << 62 },
		"unnamed line":           func(r *CheckoutRequest) { r.Lines[1].Name = " " },
		"bad currency":           func(r *CheckoutRequest) { r.Currency = "EUR" },
		"no expiry":              func(r *CheckoutRequest) { r.ExpiresAt = time.Time{} },
		"expiry in the past":     func(r *CheckoutRequest) { r.ExpiresAt = time.Now().Add(-time.Minute) },
		"expiry beyond 24 h":     func(r *CheckoutRequest) { r.ExpiresAt = time.Now().Add(25 * time.Hour) },
		"relative success URL":   func(r *CheckoutRequest) { r.SuccessURL = "/orders/SX-7F3K9Q" },
		"javascript cancel URL":  func(r *CheckoutRequest) { r.CancelURL = "javascript:alert(1)" },
		"too many metadata keys": func(r *CheckoutRequest) { r.Metadata = bigMetadata(41) },
		"too many lines":         func(r *CheckoutRequest) { r.Lines = make([]Line, 101) },
	}
	for name, mut := range cases {
		t.Run(name, func(t *testing.T) {
			req := sampleRequest(1)
			mut(&req)
			_, err := g.CreateCheckout(context.Background(), req)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("invalid requests reached Stripe %d times", n)
	}
}

func bigMetadata(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m["k"+strconv.Itoa(i)] = "v"
	}
	return m
}

func TestGetSessionExpireAndRefund(t *testing.T) {
	f := newFakeStripe(t)
	g := f.gateway(t)
	ctx := context.Background()
	co, err := g.CreateCheckout(ctx, sampleRequest(1))
	if err != nil {
		t.Fatal(err)
	}

	st, err := g.GetSession(ctx, co.SessionID)
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	want := SessionState{SessionID: co.SessionID, Reference: "SX-7F3K9Q", Status: StatusOpen, PaymentStatus: PaymentUnpaid, AmountTotal: 2*2450 + 990, Currency: "eur"}
	if st.SessionID != want.SessionID || st.Reference != want.Reference || st.Status != want.Status ||
		st.PaymentStatus != want.PaymentStatus || st.AmountTotal != want.AmountTotal || st.Currency != want.Currency || st.PaymentIntentID != "" {
		t.Errorf("state = %+v, want %+v", st, want)
	}

	f.setSession(co.SessionID, map[string]any{"status": "complete", "payment_status": "paid", "payment_intent": "pi_fake1"})
	st, err = g.GetSession(ctx, co.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != StatusComplete || st.PaymentStatus != PaymentPaid || st.PaymentIntentID != "pi_fake1" {
		t.Errorf("paid state = %+v", st)
	}

	if _, err := g.GetSession(ctx, "cs_missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetSession(missing) = %v, want ErrNotFound", err)
	}

	co2, err := g.CreateCheckout(ctx, sampleRequest(2))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.ExpireSession(ctx, co2.SessionID); err != nil {
		t.Fatalf("ExpireSession: %v", err)
	}
	last := f.requests()[len(f.requests())-1]
	if last.Method != http.MethodPost || last.Path != "/v1/checkout/sessions/"+co2.SessionID+"/expire" {
		t.Errorf("expire sent %s %s", last.Method, last.Path)
	}
	if err := g.ExpireSession(ctx, co.SessionID); !errors.Is(err, ErrInvalid) {
		t.Errorf("expiring a completed session = %v, want ErrInvalid", err)
	}

	res, err := g.Refund(ctx, RefundRequest{PaymentIntentID: "pi_fake1", AmountCents: 990, IdempotencyKey: "refund:SX-7F3K9Q:1", Reference: "SX-7F3K9Q", Reason: "requested_by_customer"})
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}
	if res.RefundID == "" || res.AmountCents != 990 || res.PaymentIntentID != "pi_fake1" || res.Status != "succeeded" {
		t.Errorf("refund = %+v", res)
	}
	last = f.requests()[len(f.requests())-1]
	for k, v := range map[string]string{"payment_intent": "pi_fake1", "amount": "990", "metadata[order]": "SX-7F3K9Q", "reason": "requested_by_customer"} {
		if got := last.Form.Get(k); got != v {
			t.Errorf("refund form %s = %q, want %q", k, got, v)
		}
	}
	if got := last.Header.Get("Idempotency-Key"); got != "refund:SX-7F3K9Q:1" {
		t.Errorf("refund Idempotency-Key = %q", got)
	}
	// The same refund retried is answered from Stripe's idempotency cache: same refund.
	res2, err := g.Refund(ctx, RefundRequest{PaymentIntentID: "pi_fake1", AmountCents: 990, IdempotencyKey: "refund:SX-7F3K9Q:1", Reference: "SX-7F3K9Q", Reason: "requested_by_customer"})
	if err != nil || res2.RefundID != res.RefundID {
		t.Errorf("retried refund = %+v, %v; want %s again", res2, err, res.RefundID)
	}

	for name, rr := range map[string]RefundRequest{
		"no key":       {PaymentIntentID: "pi_1", AmountCents: 100},
		"zero amount":  {PaymentIntentID: "pi_1", IdempotencyKey: "k"},
		"no intent":    {AmountCents: 100, IdempotencyKey: "k"},
		"key too long": {PaymentIntentID: "pi_1", AmountCents: 100, IdempotencyKey: strings.Repeat("k", 256)},
	} {
		if _, err := g.Refund(ctx, rr); !errors.Is(err, ErrInvalid) {
			t.Errorf("refund %s = %v, want ErrInvalid", name, err)
		}
	}
}

// Failures are sorted so a handler can answer 503 (ErrUnavailable) or show the card
// message (ErrCard) without knowing Stripe.
func TestErrorClassification(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		call   string // "create", "get", "refund"
		want   error
	}{
		{"500 on create", 500, stripeErrJSON("api_error", "", "Something went wrong"), "create", ErrUnavailable},
		{"502 html from a proxy", 502, "<html>bad gateway</html>", "create", ErrUnavailable},
		{"503 on get", 503, stripeErrJSON("api_error", "", "down"), "get", ErrUnavailable},
		{"429 rate limit", 429, stripeErrJSON("invalid_request_error", "rate_limit", "Too many requests"), "create", ErrUnavailable},
		{"401 bad key", 401, stripeErrJSON("invalid_request_error", "", "Invalid API Key provided"), "create", ErrUnavailable},
		{"402 card declined", 402, `{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds."}}`, "refund", ErrCard},
		{"400 invalid", 400, stripeErrJSON("invalid_request_error", "parameter_invalid_integer", "Invalid integer"), "create", ErrInvalid},
		{"400 idempotency", 400, stripeErrJSON("idempotency_error", "", "Keys for idempotent requests can only be used with the same parameters"), "create", ErrConflict},
		{"409 key in use", 409, stripeErrJSON("invalid_request_error", "idempotency_key_in_use", "in use"), "create", ErrConflict},
		{"404 missing", 404, stripeErrJSON("invalid_request_error", "resource_missing", "No such checkout.session"), "get", ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeStripe(t)
			g := f.gateway(t)
			f.setFailure(tc.status, tc.body)
			err := callGateway(g, tc.call)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			for _, other := range []error{ErrUnavailable, ErrCard, ErrInvalid, ErrConflict, ErrNotFound} {
				if other != tc.want && errors.Is(err, other) {
					t.Errorf("err %v also matches %v", err, other)
				}
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Op == "" {
				t.Fatalf("err %T is not a *payments.Error with an Op", err)
			}
			if tc.want == ErrCard && (pe.DeclineCode != "insufficient_funds" || pe.Message == "" || pe.HTTPStatus != 402) {
				t.Errorf("card error details = %+v", pe)
			}
		})
	}
}

func callGateway(g *Stripe, call string) error {
	ctx := context.Background()
	var err error
	switch call {
	case "create":
		_, err = g.CreateCheckout(ctx, sampleRequest(1))
	case "get":
		_, err = g.GetSession(ctx, "cs_test_1")
	case "refund":
		_, err = g.Refund(ctx, RefundRequest{PaymentIntentID: "pi_1", AmountCents: 100, IdempotencyKey: "refund:SX-1:1"})
	}
	return err
}

// A Stripe that accepts the connection and never answers costs the buyer at most the
// configured timeout, then ErrUnavailable.
func TestTimeoutIsUnavailable(t *testing.T) {
	for _, retries := range []int{-1, 0} { // no retries; stripe-go's default 2
		t.Run("retries "+strconv.Itoa(retries), func(t *testing.T) {
			f := newFakeStripe(t)
			f.setHang()
			g := f.gateway(t, func(c *Config) { c.Timeout = 150 * time.Millisecond; c.MaxNetworkRetries = retries })
			for _, call := range []string{"create", "get"} {
				if err := callGateway(g, call); !errors.Is(err, ErrUnavailable) {
					t.Errorf("%s against a hanging server = %v, want ErrUnavailable", call, err)
				}
			}
		})
	}
}

func TestConnectionRefusedIsUnavailable(t *testing.T) {
	f := newFakeStripe(t)
	g := f.gateway(t)
	f.srv.Close()
	if err := callGateway(g, "create"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
}

func TestCancelledContext(t *testing.T) {
	f := newFakeStripe(t)
	g := f.gateway(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := g.CreateCheckout(ctx, sampleRequest(1))
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want ErrUnavailable wrapping context.Canceled", err)
	}
}
