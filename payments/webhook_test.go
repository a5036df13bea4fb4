package payments

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

const testWebhookSecret = "whsec_test_secret"

// eventJSON builds an event body as Stripe sends it.
func eventJSON(t *testing.T, id, typ, apiVersion string, object map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"id":          id,
		"object":      "event",
		"api_version": apiVersion,
		"created":     1700000000,
		"livemode":    false,
		"type":        typ,
		"data":        map[string]any{"object": object},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func completedSession() map[string]any {
	return map[string]any{
		"id":                  "cs_test_a1",
		"object":              "checkout.session",
		"client_reference_id": "SX-7F3K9Q",
		"status":              "complete",
		"payment_status":      "paid",
		"amount_total":        5890,
		"currency":            "eur",
		"payment_intent":      "pi_test_1",
		"metadata":            map[string]any{"order": "SX-7F3K9Q", "attempt": "1"},
	}
}

func sign(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}

// D2 and D3: only authentic, fresh, unchanged events in our API version get through.
func TestVerifyWebhook(t *testing.T) {
	body := eventJSON(t, "evt_1", EventCheckoutCompleted, stripe.APIVersion, completedSession())
	flipped := append([]byte(nil), body...)
	flipped[len(flipped)/2] ^= 0x01
	otherVersion := eventJSON(t, "evt_2", EventCheckoutCompleted, "2024-06-20", completedSession())
	now := time.Now()

	cases := []struct {
		name    string
		payload []byte
		header  string
		secret  string
		want    error // nil: accepted
	}{
		{"right secret", body, sign(body, testWebhookSecret, now), testWebhookSecret, nil},
		{"wrong secret", body, sign(body, "whsec_other", now), testWebhookSecret, ErrBadSignature},
		{"ten minutes old", body, sign(body, testWebhookSecret, now.Add(-10*time.Minute)), testWebhookSecret, ErrBadSignature},
		{"one byte flipped", flipped, sign(body, testWebhookSecret, now), testWebhookSecret, ErrBadSignature},
		{"missing header", body, "", testWebhookSecret, ErrBadSignature},
		{"garbage header", body, "t=abc,v1", testWebhookSecret, ErrBadSignature},
		{"no secret configured", body, sign(body, "", now), "", ErrInvalid},
		{"other API version", otherVersion, sign(otherVersion, testWebhookSecret, now), testWebhookSecret, ErrAPIVersionMismatch},
		{"signed non-JSON", []byte("not json"), sign([]byte("not json"), testWebhookSecret, now), testWebhookSecret, ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := VerifyWebhook(tc.payload, tc.header, tc.secret)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("VerifyWebhook: %v", err)
				}
				if e.ID != "evt_1" {
					t.Errorf("event id = %q", e.ID)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			for _, other := range []error{ErrBadSignature, ErrAPIVersionMismatch, ErrInvalid} {
				if other != tc.want && errors.Is(err, other) {
					t.Errorf("err %v also matches %v", err, other)
				}
			}
		})
	}
}

func TestVerifyWebhookKeepsStripeCauses(t *testing.T) {
	body := eventJSON(t, "evt_1", EventCheckoutCompleted, stripe.APIVersion, completedSession())
	if _, err := VerifyWebhook(body, "", testWebhookSecret); !errors.Is(err, webhook.ErrNotSigned) {
		t.Errorf("missing header: %v, want webhook.ErrNotSigned", err)
	}
	old := sign(body, testWebhookSecret, time.Now().Add(-10*time.Minute))
	if _, err := VerifyWebhook(body, old, testWebhookSecret); !errors.Is(err, webhook.ErrTooOld) {
		t.Errorf("stale: %v, want webhook.ErrTooOld", err)
	}
}

// A signed body with a wrong version but a forged signature is a signature problem, not an
// alert: the version is looked at only after the signature.
func TestVersionCheckedAfterSignature(t *testing.T) {
	body := eventJSON(t, "evt_2", EventCheckoutCompleted, "2024-06-20", completedSession())
	_, err := VerifyWebhook(body, sign(body, "whsec_forged", time.Now()), testWebhookSecret)
	if !errors.Is(err, ErrBadSignature) || errors.Is(err, ErrAPIVersionMismatch) {
		t.Errorf("err = %v, want only ErrBadSignature", err)
	}
}

func TestParseWebhookDecodes(t *testing.T) {
	f := newFakeStripe(t)
	g := f.gateway(t, func(c *Config) { c.WebhookSecret = testWebhookSecret })

	t.Run("checkout sessions", func(t *testing.T) {
		for _, typ := range []string{EventCheckoutCompleted, EventCheckoutAsyncSucceeded, EventCheckoutAsyncFailed, EventCheckoutExpired} {
			body := eventJSON(t, "evt_s", typ, stripe.APIVersion, completedSession())
			ev, err := g.ParseWebhook(body, sign(body, testWebhookSecret, time.Now()))
			if err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			want := SessionState{SessionID: "cs_test_a1", Reference: "SX-7F3K9Q", Status: StatusComplete, PaymentStatus: PaymentPaid, AmountTotal: 5890, Currency: "eur", PaymentIntentID: "pi_test_1"}
			if ev.ID != "evt_s" || ev.Type != typ || ev.Refund != nil || ev.Session == nil || ev.Created.Unix() != 1700000000 {
				t.Fatalf("%s: event = %+v", typ, ev)
			}
			s := *ev.Session
			if s.SessionID != want.SessionID || s.Reference != want.Reference || s.Status != want.Status || s.PaymentStatus != want.PaymentStatus ||
				s.AmountTotal != want.AmountTotal || s.Currency != want.Currency || s.PaymentIntentID != want.PaymentIntentID || s.Metadata["attempt"] != "1" {
				t.Errorf("%s: session = %+v, want %+v", typ, s, want)
			}
		}
	})

	t.Run("reference from metadata", func(t *testing.T) {
		obj := completedSession()
		obj["client_reference_id"] = nil
		body := eventJSON(t, "evt_m", EventCheckoutExpired, stripe.APIVersion, obj)
		ev, err := g.ParseWebhook(body, sign(body, testWebhookSecret, time.Now()))
		if err != nil || ev.Session.Reference != "SX-7F3K9Q" {
			t.Errorf("event = %+v, %v", ev, err)
		}
	})

	t.Run("charge refunded", func(t *testing.T) {
		body := eventJSON(t, "evt_r", EventChargeRefunded, stripe.APIVersion, map[string]any{
			"id": "ch_1", "object": "charge", "amount": 5890, "amount_refunded": 990, "refunded": false,
			"currency": "eur", "payment_intent": "pi_test_1", "metadata": map[string]any{"order": "SX-7F3K9Q"},
		})
		ev, err := g.ParseWebhook(body, sign(body, testWebhookSecret, time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		want := ChargeRefund{ChargeID: "ch_1", PaymentIntentID: "pi_test_1", Reference: "SX-7F3K9Q", Amount: 5890, AmountRefunded: 990, Currency: "eur"}
		if ev.Session != nil || ev.Refund == nil || *ev.Refund != want {
			t.Errorf("refund = %+v, want %+v", ev.Refund, want)
		}
	})

	t.Run("other types are identified only", func(t *testing.T) {
		body := eventJSON(t, "evt_o", "customer.created", stripe.APIVersion, map[string]any{"id": "cus_1", "object": "customer"})
		ev, err := g.ParseWebhook(body, sign(body, testWebhookSecret, time.Now()))
		if err != nil || ev.ID != "evt_o" || ev.Session != nil || ev.Refund != nil {
			t.Errorf("event = %+v, %v", ev, err)
		}
	})

	t.Run("session event without a session", func(t *testing.T) {
		body := eventJSON(t, "evt_x", EventCheckoutCompleted, stripe.APIVersion, map[string]any{"object": "checkout.session"})
		if _, err := g.ParseWebhook(body, sign(body, testWebhookSecret, time.Now())); !errors.Is(err, ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})

	t.Run("gateway's own secret", func(t *testing.T) {
		body := eventJSON(t, "evt_w", EventCheckoutCompleted, stripe.APIVersion, completedSession())
		if _, err := g.ParseWebhook(body, sign(body, "whsec_fake", time.Now())); !errors.Is(err, ErrBadSignature) {
			t.Errorf("err = %v, want ErrBadSignature", err)
		}
	})
}
