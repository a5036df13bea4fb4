package payments

import (
	"context"
	"strings"
)

// Stand is the "pay at the stand" gateway, the default when no Stripe key is configured:
// nothing is paid online, the order is only reserved (its stock held) and the artisan takes
// the money when the buyer picks the goods up. It never touches the network.
type Stand struct{}

var _ Gateway = Stand{}

// standPrefix starts the local session ids, "stand_<reference>".
const standPrefix = "stand_"

// NewStand returns the pay-at-the-stand gateway.
func NewStand() Stand { return Stand{} }

// Name returns "stand".
func (Stand) Name() string { return NameStand }

// CreateCheckout checks the request like the Stripe gateway does and returns a local
// session id and an empty URL: the caller shows the order page instead of redirecting.
// ExpiresAt is not required: holds last until the order is picked up or cancelled.
func (Stand) CreateCheckout(_ context.Context, req CheckoutRequest) (Checkout, error) {
	if err := req.validate("reserve order " + req.Reference + " for payment at the stand"); err != nil {
		return Checkout{}, err
	}
	return Checkout{SessionID: standPrefix + req.Reference}, nil
}

// GetSession reports a stand session as open and unpaid: payment at the stand is recorded by
// the artisan in the application, not by this gateway.
func (Stand) GetSession(_ context.Context, sessionID string) (SessionState, error) {
	ref, ok := strings.CutPrefix(sessionID, standPrefix)
	if !ok || !validReference(ref) {
		return SessionState{}, &Error{Op: "get stand session " + sessionID, Kind: ErrNotFound}
	}
	return SessionState{
		SessionID:     sessionID,
		Reference:     ref,
		Status:        StatusOpen,
		PaymentStatus: PaymentUnpaid,
		Currency:      "eur",
	}, nil
}

// ExpireSession has nothing to close: the caller releases the holds itself.
func (Stand) ExpireSession(context.Context, string) error { return nil }

// Refund is not possible: money taken at the stand is given back by hand, at the stand.
func (Stand) Refund(_ context.Context, req RefundRequest) (RefundResult, error) {
	return RefundResult{}, &Error{
		Op:      "refund " + req.Reference,
		Kind:    ErrNotSupported,
		Message: "orders paid at the stand are refunded by hand at the stand",
	}
}

// ParseWebhook is not possible: nothing calls back when paying at the stand.
func (Stand) ParseWebhook([]byte, string) (Event, error) {
	return Event{}, &Error{
		Op:      "parse webhook",
		Kind:    ErrNotSupported,
		Message: "card payments are not configured (no STRIPE_SECRET_KEY)",
	}
}
