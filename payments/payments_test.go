package payments

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	cases := []struct {
		name    string
		cfg     Config
		want    string // gateway name, "" when an error is expected
		errPart string
	}{
		{"nothing: pay at the stand", Config{}, NameStand, ""},
		{"test key", Config{SecretKey: "sk_test_abc", WebhookSecret: "whsec_x"}, NameStripe, ""},
		{"live key", Config{SecretKey: "sk_live_abc", WebhookSecret: "whsec_x"}, NameStripe, ""},
		{"restricted key", Config{SecretKey: "rk_live_abc", WebhookSecret: "whsec_x"}, NameStripe, ""},
		{"stripe-mock", Config{SecretKey: "sk_test_123", WebhookSecret: "whsec_x", APIBase: "http://127.0.0.1:12111"}, NameStripe, ""},
		{"max timeout", Config{SecretKey: "sk_test_abc", WebhookSecret: "whsec_x", Timeout: 15 * time.Second}, NameStripe, ""},
		{"key without webhook secret", Config{SecretKey: "sk_test_abc"}, "", "STRIPE_WEBHOOK_SECRET is required"},
		{"webhook secret without key", Config{WebhookSecret: "whsec_x"}, "", "STRIPE_SECRET_KEY is empty"},
		{"api base without key", Config{APIBase: "http://127.0.0.1:12111"}, "", "STRIPE_SECRET_KEY is empty"},
		{"publishable key", Config{SecretKey: "pk_test_abc", WebhookSecret: "whsec_x"}, "", "publishable key"},
		{"webhook secret as key", Config{SecretKey: "whsec_abc", WebhookSecret: "whsec_x"}, "", "belongs in STRIPE_WEBHOOK_SECRET"},
		{"unknown key", Config{SecretKey: "sk_abc", WebhookSecret: "whsec_x"}, "", "does not look like a Stripe secret key"},
		{"bare prefix", Config{SecretKey: "sk_test_", WebhookSecret: "whsec_x"}, "", "only a prefix"},
		{"key with newline", Config{SecretKey: "sk_test_abc\n", WebhookSecret: "whsec_x"}, "", "white space"},
		{"bad webhook secret", Config{SecretKey: "sk_test_abc", WebhookSecret: "sk_test_abc"}, "", "whsec_"},
		{"relative api base", Config{SecretKey: "sk_test_abc", WebhookSecret: "whsec_x", APIBase: "localhost:12111"}, "", "STRIPE_API_BASE"},
		{"timeout too long", Config{SecretKey: "sk_test_abc", WebhookSecret: "whsec_x", Timeout: time.Minute}, "", "timeout"},
		{"negative timeout", Config{SecretKey: "sk_test_abc", WebhookSecret: "whsec_x", Timeout: -time.Second}, "", "timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := New(tc.cfg)
			if tc.want != "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if g.Name() != tc.want {
					t.Errorf("gateway = %s, want %s", g.Name(), tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errPart) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.errPart)
			}
			if strings.Contains(err.Error(), "abc") {
				t.Errorf("the error repeats the secret: %v", err)
			}
		})
	}
}

func TestConfigMasksSecrets(t *testing.T) {
	cfg := Config{SecretKey: "sk_live_SECRETPART", WebhookSecret: "whsec_SECRETPART", APIBase: "http://127.0.0.1:12111"}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("payments", "config", cfg)
	for _, out := range []string{buf.String(), fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg)} {
		if strings.Contains(out, "SECRETPART") {
			t.Errorf("secret shown: %s", out)
		}
		if !strings.Contains(out, "sk_live_") {
			t.Errorf("key mode hidden: %s", out)
		}
	}
}

func TestCheckoutIdempotencyKey(t *testing.T) {
	if got := CheckoutIdempotencyKey("SX-7F3K9Q", 3); got != "order:SX-7F3K9Q:attempt:3" {
		t.Errorf("key = %q", got)
	}
	// The longest reference still fits Stripe's 255 characters.
	if n := len(CheckoutIdempotencyKey(strings.Repeat("A", maxReferenceLen), 1<<31)); n > maxKeyLen {
		t.Errorf("longest key is %d characters", n)
	}
}

func TestStand(t *testing.T) {
	g, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	req := sampleRequest(1)
	req.ExpiresAt = time.Time{} // not needed at the stand

	co, err := g.CreateCheckout(ctx, req)
	if err != nil {
		t.Fatalf("CreateCheckout: %v", err)
	}
	if co.SessionID != "stand_SX-7F3K9Q" || co.URL != "" {
		t.Errorf("checkout = %+v, want session stand_SX-7F3K9Q and no URL", co)
	}

	st, err := g.GetSession(ctx, co.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Reference != "SX-7F3K9Q" || st.Status != StatusOpen || st.PaymentStatus != PaymentUnpaid {
		t.Errorf("state = %+v, want open and unpaid", st)
	}
	if _, err := g.GetSession(ctx, "cs_test_1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetSession(stripe id) = %v, want ErrNotFound", err)
	}
	if err := g.ExpireSession(ctx, co.SessionID); err != nil {
		t.Errorf("ExpireSession: %v", err)
	}

	_, err = g.Refund(ctx, RefundRequest{PaymentIntentID: "x", AmountCents: 100, IdempotencyKey: "k", Reference: "SX-7F3K9Q"})
	if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "by hand at the stand") {
		t.Errorf("Refund = %v, want ErrNotSupported saying refunds are by hand", err)
	}
	if _, err := g.ParseWebhook([]byte("{}"), "t=1,v1=00"); !errors.Is(err, ErrNotSupported) {
		t.Errorf("ParseWebhook = %v, want ErrNotSupported", err)
	}

	bad := sampleRequest(1)
	bad.Lines[0].UnitAmount = 0
	if _, err := g.CreateCheckout(ctx, bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("invalid request = %v, want ErrInvalid", err)
	}
}
