// Package payments takes the money for orders and booth fees behind one small Gateway
// interface with two implementations: Stripe Checkout (stripe-go v76, API version
// 2023-10-16, amounts in euro cents) and "pay at the stand", the embedded default, where an
// order is only reserved online and paid on site.
//
// The package knows nothing about rows or HTTP handlers: callers pass amounts read from
// the database, persist what comes back (session id, attempt, expiry) and apply verified
// webhook events through their own idempotent code. Every call takes a context and has its
// own deadline, and every failure is an *Error that matches one sentinel (ErrUnavailable,
// ErrCard, ErrInvalid, ErrConflict, ErrNotFound, ErrNotSupported) with errors.Is, so a
// handler can choose between 503, 409 and 400 without knowing Stripe. Webhook
// verification adds ErrBadSignature and ErrAPIVersionMismatch.
package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Gateway takes payments for one reference (an order code or a booth-fee code).
//
// Implementations are safe for concurrent use by many goroutines.
type Gateway interface {
	// Name is "stripe" or "stand"; it is stored on orders and shown to organizers.
	Name() string
	// CreateCheckout opens a payment for req. With Stripe, repeating the call for the same
	// Reference and Attempt (a double click, two instances) returns the same session, because
	// the idempotency key is derived from them; the request must then be identical, so
	// persist ExpiresAt with the attempt. Checkout.URL is where to send the buyer ("" when
	// there is nothing to pay online).
	CreateCheckout(ctx context.Context, req CheckoutRequest) (Checkout, error)
	// GetSession re-reads a session, for the reconciliation job and the success page (which
	// only shows state). An unknown session is ErrNotFound.
	GetSession(ctx context.Context, sessionID string) (SessionState, error)
	// ExpireSession closes an open session so it can no longer be paid (order cancelled).
	// Expiring a session that is no longer open is ErrInvalid: re-read it with GetSession.
	ExpireSession(ctx context.Context, sessionID string) error
	// Refund gives back part or all of a captured payment.
	Refund(ctx context.Context, req RefundRequest) (RefundResult, error)
	// ParseWebhook verifies a webhook delivery on its raw body and decodes it. Errors:
	// ErrBadSignature (answer 400), ErrAPIVersionMismatch (answer non-2xx and raise an alert),
	// ErrNotSupported for the stand gateway (no webhooks: answer 404).
	ParseWebhook(payload []byte, sigHeader string) (Event, error)
}

// Names returned by Gateway.Name.
const (
	NameStripe = "stripe"
	NameStand  = "stand"
)

// Sentinel errors; every error this package returns matches one of them with errors.Is.
var (
	// ErrUnavailable: the provider could not be reached or failed (network, timeout, 5xx,
	// rate limit, rejected API key). Nothing was decided: answer 503 and let the buyer retry.
	ErrUnavailable = errors.New("payment service unavailable")
	// ErrCard: the card or payment method was refused (HTTP 402). Error.Message may be shown
	// to the buyer.
	ErrCard = errors.New("payment refused")
	// ErrInvalid: the request was refused as invalid, by this package before sending it or by
	// the provider (HTTP 400). A bug or bad data on our side, not something to retry.
	ErrInvalid = errors.New("invalid payment request")
	// ErrConflict: the idempotency key is in use by a concurrent request or was used with
	// other parameters (the order changed): re-read the order, or start a new attempt.
	ErrConflict = errors.New("payment request conflict")
	// ErrNotFound: the session or payment does not exist at the provider.
	ErrNotFound = errors.New("payment not found")
	// ErrNotSupported: the gateway cannot do this (refunds and webhooks at the stand).
	ErrNotSupported = errors.New("not supported by this payment gateway")
)

// Error is a failed payment call. Kind is one of the sentinels; Err the cause (a
// *stripe.Error, a network error, a context error), both reachable with errors.Is/As.
type Error struct {
	Op          string // what we tried, e.g. "create checkout session SX-7F3K9Q attempt 1"
	Kind        error  // ErrUnavailable, ErrCard, ErrInvalid, ErrConflict, ErrNotFound or ErrNotSupported
	HTTPStatus  int    // provider's HTTP status, 0 when no answer came back
	Code        string // provider's error code, e.g. "card_declined", "resource_missing"
	DeclineCode string // card decline code, e.g. "insufficient_funds"
	Message     string // provider's message (for ErrCard, written for the buyer)
	RequestID   string // provider's request id, for support tickets
	Err         error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.Kind.Error())
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (stripe %d", e.HTTPStatus)
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
		if e.DeclineCode != "" {
			b.WriteString("/" + e.DeclineCode)
		}
		if e.RequestID != "" {
			b.WriteString(", request " + e.RequestID)
		}
		b.WriteString(")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	} else if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap exposes both the sentinel and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func invalidf(op, format string, args ...any) error {
	return &Error{Op: op, Kind: ErrInvalid, Message: fmt.Sprintf(format, args...)}
}

// Line is one line of a checkout: what the buyer sees and pays. Amounts always come from
// the database, never from a form.
type Line struct {
	Name       string // product name in the buyer's language, e.g. "Tajine en terre cuite"
	UnitAmount int64  // price of one unit in cents, > 0
	Quantity   int64  // >= 1
}

// CheckoutRequest is everything needed to open a payment for one attempt of one order.
type CheckoutRequest struct {
	// Reference is the order (or booth-fee) code, e.g. "SX-7F3K9Q": letters, digits, '-' and
	// '_' only, at most 64. It becomes client_reference_id and metadata "order".
	Reference string
	// Attempt numbers the payment attempts of one order, from 1. The same attempt always
	// maps to the same Stripe session; start a new attempt only after the previous session
	// was expired or failed (a 5xx answer is remembered by Stripe for its key for 24 h).
	Attempt int
	// Lines are the items, shipping included as a line when there is any; at most 100.
	Lines []Line
	// Currency is an ISO 4217 code in lower case; empty means "eur".
	Currency string
	// CustomerEmail pre-fills the Checkout page; optional.
	CustomerEmail string
	// SuccessURL and CancelURL are absolute URLs; SuccessURL may contain
	// {CHECKOUT_SESSION_ID}. The success page must only show state: it grants nothing.
	SuccessURL, CancelURL string
	// ExpiresAt closes the session (Stripe accepts 30 min to 24 h ahead); stock is held until
	// then. Required with Stripe; keep it with the attempt so a repeated call is identical.
	ExpiresAt time.Time
	// Locale is the site language (fr, ar, en, nl); languages Checkout lacks become "auto".
	Locale string
	// Metadata is copied to the session and its payment intent (at most 40 keys); the keys
	// "order" and "attempt" are set by this package.
	Metadata map[string]string
}

// Checkout is an opened payment.
type Checkout struct {
	SessionID string    // "cs_…" with Stripe, "stand_<reference>" at the stand
	URL       string    // where to redirect the buyer; "" when paying at the stand
	ExpiresAt time.Time // when the session closes; zero at the stand (holds follow the order)
}

// Session statuses (SessionState.Status) and payment statuses (SessionState.PaymentStatus),
// as Stripe names them.
const (
	StatusOpen     = "open"
	StatusComplete = "complete"
	StatusExpired  = "expired"

	PaymentPaid              = "paid"
	PaymentUnpaid            = "unpaid"
	PaymentNoPaymentRequired = "no_payment_required"
)

// SessionState is what a session says now: only PaymentStatus "paid" means money was taken
// (a "complete" session may still be unpaid while an async payment method settles).
type SessionState struct {
	SessionID       string
	Reference       string // client_reference_id (or metadata "order")
	Status          string // open, complete, expired
	PaymentStatus   string // paid, unpaid, no_payment_required
	AmountTotal     int64  // cents; compare with the order's total before fulfilling
	Currency        string // "eur"
	PaymentIntentID string // "pi_…", needed for refunds; "" until the buyer pays
	Metadata        map[string]string
}

// RefundRequest gives back AmountCents of a payment.
type RefundRequest struct {
	PaymentIntentID string
	AmountCents     int64 // > 0: always explicit, so a bug cannot refund everything
	// IdempotencyKey is chosen by the caller and stored before the call, e.g.
	// "refund:SX-7F3K9Q:1": a retried refund must never pay twice. At most 255 characters.
	IdempotencyKey string
	Reference      string // order code, stored as metadata "order"; optional
	Reason         string // "", "requested_by_customer", "duplicate" or "fraudulent"
}

// RefundResult is the refund as the provider recorded it.
type RefundResult struct {
	RefundID        string
	PaymentIntentID string
	AmountCents     int64
	Currency        string
	Status          string // pending, succeeded, failed, requires_action, canceled
}

// CheckoutIdempotencyKey is the idempotency key of one payment attempt of one order:
// "order:<reference>:attempt:<n>". Deriving it from the order, instead of letting stripe-go
// draw a random one per call, is what makes two clicks or two instances open one session.
func CheckoutIdempotencyKey(reference string, attempt int) string {
	return fmt.Sprintf("order:%s:attempt:%d", reference, attempt)
}

const (
	maxReferenceLen = 64
	maxLines        = 100 // Stripe's limit for line items in payment mode
	maxMetadataKeys = 40  // Stripe allows 50; we add two of our own
	maxUnitAmount   = 99_999_999
	maxKeyLen       = 255 // Stripe's limit for idempotency keys
)

func validReference(ref string) bool {
	if ref == "" || len(ref) > maxReferenceLen {
		return false
	}
	for _, r := range ref {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_' {
			return false
		}
	}
	return true
}

// validate checks what both gateways need; op names the operation in errors.
func (r *CheckoutRequest) validate(op string) error {
	if !validReference(r.Reference) {
		return invalidf(op, "reference %q must be 1 to %d letters, digits, '-' or '_'", r.Reference, maxReferenceLen)
	}
	if r.Attempt < 1 {
		return invalidf(op, "attempt must be >= 1, got %d", r.Attempt)
	}
	if len(r.Lines) == 0 || len(r.Lines) > maxLines {
		return invalidf(op, "a checkout needs 1 to %d lines, got %d", maxLines, len(r.Lines))
	}
	var total int64
	for i, l := range r.Lines {
		if strings.TrimSpace(l.Name) == "" {
			return invalidf(op, "line %d has no name", i+1)
		}
		if l.UnitAmount <= 0 || l.UnitAmount > maxUnitAmount {
			return invalidf(op, "line %d: unit amount %d cents is out of range", i+1, l.UnitAmount)
		}
		if l.Quantity < 1 || l.Quantity > maxUnitAmount/l.UnitAmount {
			return invalidf(op, "line %d: quantity %d is out of range", i+1, l.Quantity)
		}
		total += l.UnitAmount * l.Quantity
		if total > maxUnitAmount {
			return invalidf(op, "total exceeds %d cents", maxUnitAmount)
		}
	}
	if r.Currency != "" && !isCurrency(r.Currency) {
		return invalidf(op, "currency %q must be a lower-case ISO 4217 code", r.Currency)
	}
	if len(r.Metadata) > maxMetadataKeys {
		return invalidf(op, "at most %d metadata keys, got %d", maxMetadataKeys, len(r.Metadata))
	}
	for k, v := range r.Metadata {
		if k == "" || len(k) > 40 || len(v) > 500 {
			return invalidf(op, "metadata %q: keys are 1 to 40 characters, values at most 500", k)
		}
	}
	return nil
}

func isCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for _, r := range c {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

func validAbsoluteURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// Config chooses and configures the gateway. cmd/souk fills it from STRIPE_SECRET_KEY,
// STRIPE_WEBHOOK_SECRET and STRIPE_API_BASE.
type Config struct {
	// SecretKey (STRIPE_SECRET_KEY) turns card payments on: "sk_test_…", "sk_live_…" or a
	// restricted "rk_…" key. Empty means pay at the stand.
	SecretKey string
	// WebhookSecret (STRIPE_WEBHOOK_SECRET, "whsec_…") is required with SecretKey: without it
	// no payment could ever be confirmed.
	WebhookSecret string
	// APIBase (STRIPE_API_BASE) replaces Stripe's API URL, for stripe-mock or a fake.
	APIBase string
	// Timeout bounds each call, stripe-go's retries included (plus at most one back-off
	// pause, which stripe-go does not cut short): default 10 s, at most 15 s, because calls
	// happen while the buyer waits.
	Timeout time.Duration
	// MaxNetworkRetries is how often stripe-go retries a failed call (0 means its default,
	// 2; negative means never). Retries reuse our idempotency key, so they are safe.
	MaxNetworkRetries int
	// Logger receives stripe-go's own log lines (debug/warn); nil discards them.
	Logger *slog.Logger
}

// DefaultTimeout and MaxTimeout bound a call to the provider.
const (
	DefaultTimeout = 10 * time.Second
	MaxTimeout     = 15 * time.Second
)

// LogValue masks the secrets, so a Config can be logged with slog.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("secret_key", maskKey(c.SecretKey)),
		slog.String("webhook_secret", maskKey(c.WebhookSecret)),
		slog.String("api_base", c.APIBase),
		slog.Duration("timeout", c.Timeout),
	)
}

// String masks the secrets like LogValue, for fmt.
func (c Config) String() string {
	return fmt.Sprintf("payments.Config{SecretKey:%s WebhookSecret:%s APIBase:%q Timeout:%s}",
		maskKey(c.SecretKey), maskKey(c.WebhookSecret), c.APIBase, c.Timeout)
}

// maskKey keeps the prefix that tells test from live ("sk_test_…") and hides the rest.
func maskKey(k string) string {
	if k == "" {
		return ""
	}
	if i := strings.LastIndex(k, "_"); i > 0 && i < 9 {
		return k[:i+1] + "…"
	}
	return "…"
}

// New returns the Stripe gateway when cfg.SecretKey is set, else the pay-at-the-stand one.
func New(cfg Config) (Gateway, error) {
	if cfg.SecretKey == "" {
		if cfg.WebhookSecret != "" || cfg.APIBase != "" {
			return nil, errors.New("configure payments: STRIPE_WEBHOOK_SECRET or STRIPE_API_BASE is set but STRIPE_SECRET_KEY is empty: set the key for card payments, or unset both for pay at the stand")
		}
		return NewStand(), nil
	}
	s, err := NewStripe(cfg)
	if err != nil {
		return nil, err
	}
	return s, nil
}
