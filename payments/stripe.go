package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// Stripe is the card-payment gateway: Stripe Checkout Sessions in euros.
//
// It owns its client and backend (never stripe-go's package-level key and backends), so two
// gateways with different keys or base URLs can live in one process, as tests do.
type Stripe struct {
	api           *client.API
	webhookSecret string
	timeout       time.Duration
}

var _ Gateway = (*Stripe)(nil)

// NewStripe checks cfg and builds the Stripe gateway.
func NewStripe(cfg Config) (*Stripe, error) {
	if err := checkSecretKey(cfg.SecretKey); err != nil {
		return nil, err
	}
	if cfg.WebhookSecret == "" {
		return nil, errors.New("configure payments: STRIPE_WEBHOOK_SECRET is required with STRIPE_SECRET_KEY: without it no payment can be confirmed (Dashboard → Developers → Webhooks, endpoint /webhooks/stripe, API version " + stripe.APIVersion + ")")
	}
	if !strings.HasPrefix(cfg.WebhookSecret, "whsec_") || strings.TrimSpace(cfg.WebhookSecret) != cfg.WebhookSecret {
		return nil, errors.New("configure payments: STRIPE_WEBHOOK_SECRET does not look like a webhook signing secret (expected whsec_…)")
	}
	if cfg.APIBase != "" && !validAbsoluteURL(cfg.APIBase) {
		return nil, fmt.Errorf("configure payments: STRIPE_API_BASE %q is not an absolute http(s) URL", cfg.APIBase)
	}
	timeout := cfg.Timeout
	switch {
	case timeout == 0:
		timeout = DefaultTimeout
	case timeout < 0 || timeout > MaxTimeout:
		return nil, fmt.Errorf("configure payments: timeout %s must be between 0 and %s (the buyer is waiting)", timeout, MaxTimeout)
	}
	retries := int64(stripe.DefaultMaxNetworkRetries)
	if cfg.MaxNetworkRetries > 0 {
		retries = int64(cfg.MaxNetworkRetries)
	} else if cfg.MaxNetworkRetries < 0 {
		retries = 0
	}

	bc := &stripe.BackendConfig{
		// stripe-go's default client waits 80 s; a call on the request path must give up
		// sooner. Each call also gets a context deadline of the same length.
		HTTPClient:        &http.Client{Timeout: timeout},
		LeveledLogger:     slogLeveled{cfg.Logger},
		MaxNetworkRetries: stripe.Int64(retries),
		EnableTelemetry:   stripe.Bool(false),
	}
	if cfg.APIBase != "" {
		bc.URL = stripe.String(strings.TrimRight(cfg.APIBase, "/"))
	}
	backend := stripe.GetBackendWithConfig(stripe.APIBackend, bc)
	// Only the API backend is used (sessions, refunds); Connect and Uploads point at it too
	// so nothing ever falls back to the package-level backends.
	api := client.New(cfg.SecretKey, &stripe.Backends{API: backend, Connect: backend, Uploads: backend})
	return &Stripe{api: api, webhookSecret: cfg.WebhookSecret, timeout: timeout}, nil
}

// checkSecretKey checks the shape of a key without ever echoing it.
func checkSecretKey(k string) error {
	switch {
	case strings.TrimSpace(k) != k || strings.ContainsAny(k, " \t\r\n"):
		return errors.New("configure payments: STRIPE_SECRET_KEY contains white space")
	case strings.HasPrefix(k, "pk_"):
		return errors.New("configure payments: STRIPE_SECRET_KEY is a publishable key (pk_…); use the secret key (sk_test_…, sk_live_…) or a restricted key (rk_…)")
	case strings.HasPrefix(k, "whsec_"):
		return errors.New("configure payments: STRIPE_SECRET_KEY holds a webhook signing secret (whsec_…); it belongs in STRIPE_WEBHOOK_SECRET")
	case strings.HasPrefix(k, "sk_test_"), strings.HasPrefix(k, "sk_live_"),
		strings.HasPrefix(k, "rk_test_"), strings.HasPrefix(k, "rk_live_"):
		if len(k) <= len("sk_test_") {
			return errors.New("configure payments: STRIPE_SECRET_KEY is only a prefix")
		}
		return nil
	default:
		return errors.New("configure payments: STRIPE_SECRET_KEY does not look like a Stripe secret key (expected sk_test_…, sk_live_… or rk_…)")
	}
}

// Name returns "stripe".
func (s *Stripe) Name() string { return NameStripe }

// checkoutLocales are the site languages Stripe Checkout speaks; others (Arabic) get
// "auto", which follows the buyer's browser.
var checkoutLocales = map[string]bool{"fr": true, "en": true, "nl": true}

func checkoutLocale(l string) string {
	l = strings.ToLower(l)
	if checkoutLocales[l] {
		return l
	}
	return "auto"
}

// CreateCheckout opens a Checkout Session for one attempt of one order, with our own
// idempotency key "order:<ref>:attempt:<n>".
func (s *Stripe) CreateCheckout(ctx context.Context, req CheckoutRequest) (Checkout, error) {
	op := fmt.Sprintf("create checkout session %s attempt %d", req.Reference, req.Attempt)
	if err := req.validate(op); err != nil {
		return Checkout{}, err
	}
	if !validAbsoluteURL(req.SuccessURL) {
		return Checkout{}, invalidf(op, "success URL %q is not an absolute http(s) URL", req.SuccessURL)
	}
	if req.CancelURL != "" && !validAbsoluteURL(req.CancelURL) {
		return Checkout{}, invalidf(op, "cancel URL %q is not an absolute http(s) URL", req.CancelURL)
	}
	// Stripe checks the exact 30 min–24 h window; here only what can never work, so that a
	// repeated call of an attempt (same ExpiresAt, a little later) still goes through and gets
	// Stripe's remembered answer.
	if req.ExpiresAt.IsZero() || !req.ExpiresAt.After(time.Now()) || time.Until(req.ExpiresAt) > 24*time.Hour+time.Minute {
		return Checkout{}, invalidf(op, "expires_at %s must be in the next 24 hours", req.ExpiresAt.Format(time.RFC3339))
	}
	key := CheckoutIdempotencyKey(req.Reference, req.Attempt)
	if len(key) > maxKeyLen {
		return Checkout{}, invalidf(op, "idempotency key longer than %d characters", maxKeyLen)
	}
	currency := req.Currency
	if currency == "" {
		currency = "eur"
	}

	meta := make(map[string]string, len(req.Metadata)+2)
	for k, v := range req.Metadata {
		meta[k] = v
	}
	meta["order"] = req.Reference
	meta["attempt"] = strconv.Itoa(req.Attempt)

	params := &stripe.CheckoutSessionParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModePayment)),
		ClientReferenceID: stripe.String(req.Reference),
		Currency:          stripe.String(currency),
		SuccessURL:        stripe.String(req.SuccessURL),
		ExpiresAt:         stripe.Int64(req.ExpiresAt.Unix()),
		Locale:            stripe.String(checkoutLocale(req.Locale)),
		Metadata:          meta,
		// The payment intent carries the order code too, so charge.refunded and the
		// Dashboard lead back to the order.
		PaymentIntentData: &stripe.CheckoutSessionPaymentIntentDataParams{Metadata: meta},
	}
	if req.CancelURL != "" {
		params.CancelURL = stripe.String(req.CancelURL)
	}
	if req.CustomerEmail != "" {
		params.CustomerEmail = stripe.String(req.CustomerEmail)
	}
	for _, l := range req.Lines {
		params.LineItems = append(params.LineItems, &stripe.CheckoutSessionLineItemParams{
			Quantity: stripe.Int64(l.Quantity),
			PriceData: &stripe.CheckoutSessionLineItemPriceDataParams{
				Currency:    stripe.String(currency),
				UnitAmount:  stripe.Int64(l.UnitAmount),
				ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{Name: stripe.String(l.Name)},
			},
		})
	}
	params.SetIdempotencyKey(key)

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	params.Context = ctx
	sess, err := s.api.CheckoutSessions.New(params)
	if err != nil {
		return Checkout{}, classify(op, err)
	}
	return Checkout{SessionID: sess.ID, URL: sess.URL, ExpiresAt: unixOrZero(sess.ExpiresAt)}, nil
}

// GetSession re-reads a Checkout Session.
func (s *Stripe) GetSession(ctx context.Context, sessionID string) (SessionState, error) {
	op := "get checkout session " + sessionID
	if sessionID == "" {
		return SessionState{}, invalidf(op, "empty session id")
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	params := &stripe.CheckoutSessionParams{}
	params.Context = ctx
	sess, err := s.api.CheckoutSessions.Get(sessionID, params)
	if err != nil {
		return SessionState{}, classify(op, err)
	}
	return sessionState(sess), nil
}

// ExpireSession closes an open Checkout Session.
func (s *Stripe) ExpireSession(ctx context.Context, sessionID string) error {
	op := "expire checkout session " + sessionID
	if sessionID == "" {
		return invalidf(op, "empty session id")
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	params := &stripe.CheckoutSessionExpireParams{}
	params.Context = ctx
	// Expiring is naturally idempotent on our side (a second call is refused as "not open"),
	// so stripe-go's own per-call key, kept across its retries, is enough here.
	if _, err := s.api.CheckoutSessions.Expire(sessionID, params); err != nil {
		return classify(op, err)
	}
	return nil
}

// Refund refunds req.AmountCents of a payment intent under the caller's idempotency key.
func (s *Stripe) Refund(ctx context.Context, req RefundRequest) (RefundResult, error) {
	op := fmt.Sprintf("refund %d cents of %s", req.AmountCents, req.PaymentIntentID)
	switch {
	case req.PaymentIntentID == "":
		return RefundResult{}, invalidf(op, "no payment intent")
	case req.AmountCents <= 0:
		return RefundResult{}, invalidf(op, "amount must be > 0 cents")
	case strings.TrimSpace(req.IdempotencyKey) == "" || len(req.IdempotencyKey) > maxKeyLen:
		return RefundResult{}, invalidf(op, "an idempotency key of 1 to %d characters is required", maxKeyLen)
	}
	params := &stripe.RefundParams{
		PaymentIntent: stripe.String(req.PaymentIntentID),
		Amount:        stripe.Int64(req.AmountCents),
	}
	if req.Reason != "" {
		params.Reason = stripe.String(req.Reason)
	}
	if req.Reference != "" {
		params.Metadata = map[string]string{"order": req.Reference}
	}
	params.SetIdempotencyKey(req.IdempotencyKey)
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	params.Context = ctx
	r, err := s.api.Refunds.New(params)
	if err != nil {
		return RefundResult{}, classify(op, err)
	}
	res := RefundResult{RefundID: r.ID, AmountCents: r.Amount, Currency: string(r.Currency), Status: string(r.Status)}
	if r.PaymentIntent != nil {
		res.PaymentIntentID = r.PaymentIntent.ID
	}
	return res, nil
}

// ParseWebhook verifies a delivery with the gateway's signing secret and decodes it.
func (s *Stripe) ParseWebhook(payload []byte, sigHeader string) (Event, error) {
	e, err := VerifyWebhook(payload, sigHeader, s.webhookSecret)
	if err != nil {
		return Event{}, err
	}
	return DecodeEvent(e)
}

func sessionState(sess *stripe.CheckoutSession) SessionState {
	st := SessionState{
		SessionID:     sess.ID,
		Reference:     sess.ClientReferenceID,
		Status:        string(sess.Status),
		PaymentStatus: string(sess.PaymentStatus),
		AmountTotal:   sess.AmountTotal,
		Currency:      string(sess.Currency),
		Metadata:      sess.Metadata,
	}
	if st.Reference == "" {
		st.Reference = sess.Metadata["order"]
	}
	if sess.PaymentIntent != nil {
		st.PaymentIntentID = sess.PaymentIntent.ID
	}
	return st
}

func unixOrZero(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0)
}

// classify turns a stripe-go failure into an *Error of the right kind. Anything that is
// not an answer from Stripe (network, timeout, cancelled context, an unreadable body from a
// proxy) is ErrUnavailable: nothing was decided.
func classify(op string, err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return &Error{Op: op, Kind: ErrUnavailable, Err: err}
	}
	e := &Error{
		Op:          op,
		HTTPStatus:  se.HTTPStatusCode,
		Code:        string(se.Code),
		DeclineCode: string(se.DeclineCode),
		Message:     se.Msg,
		RequestID:   se.RequestID,
		Err:         se,
	}
	switch {
	case se.HTTPStatusCode >= 500 || se.Type == stripe.ErrorTypeAPI:
		e.Kind = ErrUnavailable
	case se.HTTPStatusCode == http.StatusTooManyRequests:
		e.Kind = ErrUnavailable // rate limited or lock timeout: try again later
	case se.HTTPStatusCode == http.StatusUnauthorized || se.HTTPStatusCode == http.StatusForbidden:
		// Our key is wrong or lacks a permission: for the buyer the service is down; the
		// message tells the operator.
		e.Kind = ErrUnavailable
		e.Message = "stripe refused the API key (check STRIPE_SECRET_KEY and its permissions): " + se.Msg
	case se.Type == stripe.ErrorTypeCard || se.HTTPStatusCode == http.StatusPaymentRequired:
		e.Kind = ErrCard
	case se.Type == stripe.ErrorTypeIdempotency || se.HTTPStatusCode == http.StatusConflict:
		e.Kind = ErrConflict
	case se.HTTPStatusCode == http.StatusNotFound || se.Code == stripe.ErrorCodeResourceMissing:
		e.Kind = ErrNotFound
	default:
		e.Kind = ErrInvalid
	}
	return e
}

// slogLeveled routes stripe-go's log lines to slog. Its errors are returned to us and
// logged by the caller with context, so here they are only warnings.
type slogLeveled struct{ l *slog.Logger }

func (s slogLeveled) log(level slog.Level, format string, v ...any) {
	if s.l == nil || !s.l.Enabled(context.Background(), level) {
		return
	}
	s.l.Log(context.Background(), level, fmt.Sprintf(format, v...), "component", "stripe-go")
}

func (s slogLeveled) Debugf(format string, v ...any) { s.log(slog.LevelDebug, format, v...) }
func (s slogLeveled) Infof(format string, v ...any)  { s.log(slog.LevelDebug, format, v...) }
func (s slogLeveled) Warnf(format string, v ...any)  { s.log(slog.LevelWarn, format, v...) }
func (s slogLeveled) Errorf(format string, v ...any) { s.log(slog.LevelWarn, format, v...) }
