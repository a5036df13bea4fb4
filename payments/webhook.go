package payments

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

// Webhook errors, besides ErrInvalid (a signed body that is not a usable event).
var (
	// ErrBadSignature: missing or malformed Stripe-Signature header, no valid signature for
	// our secret, a changed body, or a timestamp outside the 300 s tolerance (replay). Answer
	// 400 and change nothing; errors.Is also matches stripe-go's webhook.ErrNotSigned,
	// webhook.ErrInvalidHeader, webhook.ErrNoValidSignature and webhook.ErrTooOld.
	ErrBadSignature = errors.New("webhook signature rejected")
	// ErrAPIVersionMismatch: an authentic event rendered in another API version than the
	// stripe.APIVersion this build decodes (2023-10-16), which would be decoded wrongly.
	// Answer non-2xx so Stripe keeps retrying, and raise an alert: the webhook endpoint must
	// be (re)created with api_version 2023-10-16.
	ErrAPIVersionMismatch = errors.New("webhook event API version mismatch")
)

// Event types the order code handles; other types decode to an Event with neither Session
// nor Refund set (store the id, answer 2xx, ignore).
const (
	EventCheckoutCompleted      = string(stripe.EventTypeCheckoutSessionCompleted)
	EventCheckoutAsyncSucceeded = string(stripe.EventTypeCheckoutSessionAsyncPaymentSucceeded)
	EventCheckoutAsyncFailed    = string(stripe.EventTypeCheckoutSessionAsyncPaymentFailed)
	EventCheckoutExpired        = string(stripe.EventTypeCheckoutSessionExpired)
	EventChargeRefunded         = string(stripe.EventTypeChargeRefunded)
)

// Event is a verified webhook event reduced to what the order code needs. Events only say
// that something happened: apply them through monotonic state transitions (they arrive in
// any order, and more than once), keyed by ID for deduplication.
type Event struct {
	ID       string // "evt_…": store it in the same transaction as the effect
	Type     string // e.g. EventCheckoutCompleted
	Created  time.Time
	Livemode bool
	Session  *SessionState // set for checkout.session.* events
	Refund   *ChargeRefund // set for charge.refunded
}

// ChargeRefund is the state of a charge after a refund. AmountRefunded is the running total
// over every refund of the charge, so applying max(stored, AmountRefunded) is monotonic.
type ChargeRefund struct {
	ChargeID        string
	PaymentIntentID string // find the order by the payment intent stored at completion
	Reference       string // metadata "order" when the charge carries it
	Amount          int64  // charged, cents
	AmountRefunded  int64  // refunded so far, cents
	Currency        string
	FullyRefunded   bool
}

// VerifyWebhook checks a Stripe webhook delivery and returns its event.
//
// payload must be the raw request body exactly as received (never re-encoded) and
// sigHeader the Stripe-Signature header. The timestamp tolerance is stripe-go's default
// 300 s, and the event's API version must equal stripe.APIVersion: signature problems are
// ErrBadSignature, a version mismatch (checked only once the signature is good) is
// ErrAPIVersionMismatch, an empty secret or an unreadable body ErrInvalid.
func VerifyWebhook(payload []byte, sigHeader, secret string) (stripe.Event, error) {
	const op = "verify stripe webhook"
	if secret == "" {
		// An empty secret would accept payloads signed with an empty key.
		return stripe.Event{}, invalidf(op, "no webhook signing secret configured")
	}
	e, err := webhook.ConstructEventWithOptions(payload, sigHeader, secret, webhook.ConstructEventOptions{
		Tolerance: webhook.DefaultTolerance,
	})
	if err == nil {
		return e, nil
	}
	switch {
	case errors.Is(err, webhook.ErrNotSigned), errors.Is(err, webhook.ErrInvalidHeader),
		errors.Is(err, webhook.ErrNoValidSignature), errors.Is(err, webhook.ErrTooOld):
		return stripe.Event{}, fmt.Errorf("%s: %w: %w", op, ErrBadSignature, err)
	case json.Unmarshal(payload, &e) == nil && e.APIVersion != stripe.APIVersion:
		// stripe-go reports the mismatch only as text; the body (signature already accepted)
		// decoding cleanly tells it apart from a JSON error.
		return stripe.Event{}, fmt.Errorf("%s: %w: event %s is in API version %q, this build expects %q: recreate the webhook endpoint with api_version %s",
			op, ErrAPIVersionMismatch, e.ID, e.APIVersion, stripe.APIVersion, stripe.APIVersion)
	default:
		return stripe.Event{}, &Error{Op: op, Kind: ErrInvalid, Err: err}
	}
}

// DecodeEvent reduces a verified event to an Event: checkout.session.* events carry the
// session's state, charge.refunded the refunded amounts, other types only their identity.
func DecodeEvent(e stripe.Event) (Event, error) {
	out := Event{ID: e.ID, Type: string(e.Type), Created: unixOrZero(e.Created), Livemode: e.Livemode}
	op := "decode stripe event " + e.ID
	if e.ID == "" {
		return Event{}, invalidf(op, "event has no id")
	}
	switch out.Type {
	case EventCheckoutCompleted, EventCheckoutAsyncSucceeded, EventCheckoutAsyncFailed, EventCheckoutExpired:
		var sess stripe.CheckoutSession
		if err := decodeObject(e, &sess); err != nil || sess.ID == "" {
			return Event{}, invalidf(op, "%s without a checkout session: %v", out.Type, err)
		}
		st := sessionState(&sess)
		out.Session = &st
	case EventChargeRefunded:
		var ch stripe.Charge
		if err := decodeObject(e, &ch); err != nil || ch.ID == "" {
			return Event{}, invalidf(op, "%s without a charge: %v", out.Type, err)
		}
		r := ChargeRefund{
			ChargeID:       ch.ID,
			Reference:      ch.Metadata["order"],
			Amount:         ch.Amount,
			AmountRefunded: ch.AmountRefunded,
			Currency:       string(ch.Currency),
			FullyRefunded:  ch.Refunded,
		}
		if ch.PaymentIntent != nil {
			r.PaymentIntentID = ch.PaymentIntent.ID
		}
		out.Refund = &r
	}
	return out, nil
}

func decodeObject(e stripe.Event, v any) error {
	if e.Data == nil || len(e.Data.Raw) == 0 {
		return errors.New("no data.object")
	}
	return json.Unmarshal(e.Data.Raw, v)
}
