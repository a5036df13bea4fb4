package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"github.com/soukexpo/souk/payments"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
	"gorm.io/gorm"
)

const payTestWebhookSecret = "whsec_payments_test"

// payFakeStripe records the API calls of the Stripe gateway: sessions and refunds.
type payFakeStripe struct {
	srv      *httptest.Server
	mu       sync.Mutex
	forms    map[string][]url.Values // by path
	sessions map[string]map[string]any
	byKey    map[string]map[string]any // Stripe replays a create with a known idempotency key
	n        int
}

func newPayFakeStripe(t *testing.T) *payFakeStripe {
	f := &payFakeStripe{forms: map[string][]url.Values{}, sessions: map[string]map[string]any{}, byKey: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/checkout/sessions", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		key := r.Header.Get("Idempotency-Key")
		if s, ok := f.byKey[key]; ok {
			_ = json.NewEncoder(w).Encode(s)
			return
		}
		f.n++
		id := fmt.Sprintf("cs_test_h%d", f.n)
		amount, _ := strconv.ParseInt(r.PostForm.Get("line_items[0][price_data][unit_amount]"), 10, 64)
		s := map[string]any{"id": id, "object": "checkout.session", "url": "https://checkout.stripe.test/" + id, "status": "open",
			"payment_status": "unpaid", "amount_total": amount, "currency": "eur", "client_reference_id": r.PostForm.Get("client_reference_id"),
			"metadata": map[string]any{"kind": r.PostForm.Get("metadata[kind]")}}
		f.sessions[id], f.byKey[key] = s, s
		_ = json.NewEncoder(w).Encode(s)
	})
	mux.HandleFunc("GET /v1/checkout/sessions/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		s, ok := f.sessions[r.PathValue("id")]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such session"}}`))
			return
		}
		_ = json.NewEncoder(w).Encode(s)
	})
	mux.HandleFunc("POST /v1/checkout/sessions/{id}/expire", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		s := f.sessions[r.PathValue("id")]
		s["status"] = "expired"
		_ = json.NewEncoder(w).Encode(s)
	})
	mux.HandleFunc("POST /v1/refunds", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.n++
		amount, _ := strconv.ParseInt(r.PostForm.Get("amount"), 10, 64)
		_ = json.NewEncoder(w).Encode(map[string]any{"id": fmt.Sprintf("re_h%d", f.n), "object": "refund", "amount": amount,
			"currency": "eur", "payment_intent": r.PostForm.Get("payment_intent"), "status": "succeeded"})
	})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		form := url.Values{}
		for k, v := range r.PostForm {
			form[k] = v
		}
		form.Set("Idempotency-Key", r.Header.Get("Idempotency-Key"))
		f.forms[r.Method+" "+r.URL.Path] = append(f.forms[r.Method+" "+r.URL.Path], form)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *payFakeStripe) calls(key string) []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.forms[key]...)
}

func (f *payFakeStripe) gateway(t *testing.T) payments.Gateway {
	t.Helper()
	gw, err := payments.New(payments.Config{SecretKey: "sk_test_payments", WebhookSecret: payTestWebhookSecret, APIBase: f.srv.URL,
		Timeout: 5 * time.Second, MaxNetworkRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return gw
}

// payOrder is a Stripe order of 2 × 2450 waiting for payment, with its product's stock held.
type payOrder struct {
	Order     models.Order
	Line      models.OrderLine
	ProductID int64
	Buyer     models.User
}

func newPayOrder(t *testing.T, a *testApp) payOrder {
	t.Helper()
	db := a.db
	buyer := a.mkUser(dbtest.Name("buyer")+"@example.be", models.RoleVisitor)
	au := models.User{Email: dbtest.Name("art") + "@souk.test", Name: "A", PasswordHash: "x", Role: models.RoleArtisan, Locale: "fr"}
	payMust(t, db.Create(&au).Error)
	art := models.Artisan{UserID: au.ID, Slug: dbtest.Name("atelier"), BusinessName: "Atelier", Kind: "individual", RegionCode: "FM",
		CraftCode: "pottery", City: "Fès", Status: models.ArtisanVerified}
	payMust(t, db.Create(&art).Error)
	p := models.Product{ArtisanID: art.ID, Status: models.ProductPublished, TitleFR: "Tajine", CraftCode: "pottery", PriceCents: 2450, Stock: 3, Ships: true}
	payMust(t, db.Create(&p).Error)
	session := "cs_test_" + dbtest.Name("o")
	o := models.Order{Code: models.NewOrderCode(), UserID: &buyer.ID, Email: buyer.Email, Name: "Salma", Locale: "fr", Status: models.OrderPendingPayment,
		Gateway: payments.NameStripe, Currency: "EUR", ItemsCents: 4900, TotalCents: 4900, Attempt: 1, CheckoutSessionID: &session}
	payMust(t, db.Create(&o).Error)
	part := models.OrderPart{OrderID: o.ID, ArtisanID: art.ID, Fulfilment: models.FulfilShipping, Status: models.PartPending, PickupCode: models.NewPickupCode(), ItemsCents: 4900}
	payMust(t, db.Create(&part).Error)
	l := models.OrderLine{OrderID: o.ID, PartID: part.ID, ProductID: p.ID, Title: "Tajine", UnitCents: 2450, Quantity: 2, HoldsStock: true}
	payMust(t, db.Create(&l).Error)
	return payOrder{Order: o, Line: l, ProductID: p.ID, Buyer: buyer}
}

func payMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func payEventBody(t *testing.T, id, typ, apiVersion string, object map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"id": id, "object": "event", "api_version": apiVersion, "created": time.Now().Unix(),
		"type": typ, "data": map[string]any{"object": object}})
	payMust(t, err)
	return b
}

func (o payOrder) sessionObject(paymentStatus string) map[string]any {
	return map[string]any{"id": *o.Order.CheckoutSessionID, "object": "checkout.session", "client_reference_id": o.Order.Code,
		"status": "complete", "payment_status": paymentStatus, "amount_total": o.Order.TotalCents, "currency": "eur",
		"payment_intent": "pi_" + o.Order.Code, "metadata": map[string]any{"order": o.Order.Code}}
}

func paySign(body []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at}).Header
}

func postWebhook(t *testing.T, a *testApp, body []byte, sig string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("Stripe-Signature", sig)
	}
	resp, text := a.client().do(req)
	return resp.StatusCode, text
}

func payOrderStatus(t *testing.T, db *gorm.DB, id int64) models.OrderStatus {
	t.Helper()
	var o models.Order
	payMust(t, db.Select("status").Where("id = ?", id).Take(&o).Error)
	return o.Status
}

func payCountRows(t *testing.T, db *gorm.DB, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	payMust(t, db.Model(model).Where(where, args...).Count(&n).Error)
	return n
}

// D2/D3: only authentic, fresh, unchanged events in our API version change anything.
func TestStripeWebhookRefusals(t *testing.T) {
	f := newPayFakeStripe(t)
	a := newTestAppWithGateway(t, nil, f.gateway(t))
	o := newPayOrder(t, a)
	body := payEventBody(t, "evt_w1", payments.EventCheckoutCompleted, stripe.APIVersion, o.sessionObject("paid"))
	flipped := []byte(strings.Replace(string(body), `"amount_total":4900`, `"amount_total":4901`, 1))
	other := payEventBody(t, "evt_w2", payments.EventCheckoutCompleted, "2024-06-20", o.sessionObject("paid"))
	now := time.Now()
	cases := []struct {
		name string
		body []byte
		sig  string
		want int
	}{
		{"wrong secret", body, paySign(body, "whsec_forged", now), http.StatusBadRequest},
		{"stale timestamp", body, paySign(body, payTestWebhookSecret, now.Add(-10*time.Minute)), http.StatusBadRequest},
		{"altered body", flipped, paySign(body, payTestWebhookSecret, now), http.StatusBadRequest},
		{"missing header", body, "", http.StatusBadRequest},
		{"other API version", other, paySign(other, payTestWebhookSecret, now), http.StatusInternalServerError},
		{"too large", []byte(strings.Repeat(" ", webhookBodyLimit+1)), "t=1,v1=00", http.StatusRequestEntityTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if code, text := postWebhook(t, a, tc.body, tc.sig); code != tc.want {
				t.Errorf("status %d (%s), want %d", code, text, tc.want)
			}
			if s := payOrderStatus(t, a.db, o.Order.ID); s != models.OrderPendingPayment {
				t.Errorf("order became %s", s)
			}
			if n := payCountRows(t, a.db, &models.StripeEvent{}, "1 = 1"); n != 0 {
				t.Errorf("%d events stored", n)
			}
		})
	}
	_, metrics := a.client().get("/metrics")
	if !strings.Contains(metrics, "souk_stripe_webhook_api_version_mismatch_total 1") {
		t.Error("the API version mismatch did not raise the alert counter")
	}
	// The authentic event: 200, paid; the same delivery again: 200, nothing more.
	for i := 0; i < 2; i++ {
		if code, text := postWebhook(t, a, body, paySign(body, payTestWebhookSecret, time.Now())); code != http.StatusOK {
			t.Fatalf("delivery %d: %d %s", i+1, code, text)
		}
	}
	if s := payOrderStatus(t, a.db, o.Order.ID); s != models.OrderPaid {
		t.Errorf("order = %s, want paid", s)
	}
	if n := payCountRows(t, a.db, &models.OutboxEmail{}, "kind = ?", models.NoticeOrderPaid); n != 1 {
		t.Errorf("%d order_paid e-mails, want 1", n)
	}
	// The e-mail renders in the buyer's language with a link to the order.
	var mail models.OutboxEmail
	payMust(t, a.db.Where("kind = ?", models.NoticeOrderPaid).Take(&mail).Error)
	subject, text := a.h.renderNotice(context.Background(), mail)
	if !strings.Contains(subject, o.Order.Code) || !strings.Contains(text, "/orders/"+o.Order.Code) || !strings.Contains(text, "49,00") {
		t.Errorf("e-mail: %q / %q", subject, text)
	}
}

// Stand mode: no webhooks (404), nothing changes.
func TestStripeWebhookStandMode(t *testing.T) {
	a := newTestApp(t, nil)
	body := payEventBody(t, "evt_s", payments.EventCheckoutCompleted, stripe.APIVersion, map[string]any{"id": "cs_x", "object": "checkout.session"})
	if code, _ := postWebhook(t, a, body, paySign(body, payTestWebhookSecret, time.Now())); code != http.StatusNotFound {
		t.Errorf("status %d, want 404", code)
	}
}

// D4: one signed event delivered concurrently to two instances on one PostgreSQL: applied once.
func TestStripeWebhookTwoInstancesConcurrently(t *testing.T) {
	db := dbtest.Postgres(t)
	f := newPayFakeStripe(t)
	a, b := newTestAppWithGateway(t, db, f.gateway(t)), newTestAppWithGateway(t, db, f.gateway(t))
	o := newPayOrder(t, a)
	body := payEventBody(t, "evt_conc", payments.EventCheckoutCompleted, stripe.APIVersion, o.sessionObject("paid"))
	sig := paySign(body, payTestWebhookSecret, time.Now())
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i, inst := range []*testApp{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", strings.NewReader(string(body)))
			req.Header.Set("Stripe-Signature", sig)
			resp, err := inst.app.Test(req, 60_000)
			if err != nil {
				t.Errorf("deliver: %v", err)
				return
			}
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("delivery %d: status %d, want 200", i, c)
		}
	}
	if n := payCountRows(t, db, &models.StripeEvent{}, "id = ?", "evt_conc"); n != 1 {
		t.Errorf("%d stored events, want 1", n)
	}
	if n := payCountRows(t, db, &models.OutboxEmail{}, "kind = ?", models.NoticeOrderPaid); n != 1 {
		t.Errorf("%d e-mails, want 1", n)
	}
	if n := payCountRows(t, db, &models.AuditEntry{}, "action = ? AND subject_id = ?", "order.paid", o.Order.ID); n != 1 {
		t.Errorf("%d paid decisions, want 1", n)
	}
	var stock int
	payMust(t, db.Model(&models.Product{}).Select("stock").Where("id = ?", o.ProductID).Scan(&stock).Error)
	if stock != 3 {
		t.Errorf("stock = %d, want 3 (held once, never moved again)", stock)
	}
}

// D1: visiting the success URL without paying grants nothing.
func TestCheckoutSuccessWithoutPaymentGrantsNothing(t *testing.T) {
	f := newPayFakeStripe(t)
	a := newTestAppWithGateway(t, nil, f.gateway(t))
	o := newPayOrder(t, a)
	// Stripe says the buyer came back without paying.
	f.mu.Lock()
	f.sessions[*o.Order.CheckoutSessionID] = o.sessionObject("unpaid")
	f.mu.Unlock()
	c := a.client()
	c.login(o.Buyer.Email, testPassword)
	resp, _ := c.get("/checkout/success?order=" + url.QueryEscape(o.Order.Code) + "&session_id=" + *o.Order.CheckoutSessionID)
	if resp.StatusCode >= 500 {
		t.Errorf("success page: status %d", resp.StatusCode)
	}
	if s := payOrderStatus(t, a.db, o.Order.ID); s != models.OrderPendingPayment {
		t.Errorf("order = %s after visiting the success URL, want pending", s)
	}
}

// Only organizers refund; the amount comes from the database, never from the form.
func TestRefundRoute(t *testing.T) {
	f := newPayFakeStripe(t)
	a := newTestAppWithGateway(t, nil, f.gateway(t))
	o := newPayOrder(t, a)
	body := payEventBody(t, "evt_paid", payments.EventCheckoutCompleted, stripe.APIVersion, o.sessionObject("paid"))
	if code, _ := postWebhook(t, a, body, paySign(body, payTestWebhookSecret, time.Now())); code != http.StatusOK {
		t.Fatalf("pay: %d", code)
	}
	path := "/admin/orders/" + o.Order.Code + "/refund"
	form := url.Values{"reason": {"Pièce cassée"}, "line_id": {strconv.FormatInt(o.Line.ID, 10)}, "amount": {"1"}}

	for _, role := range []models.Role{models.RoleVisitor, models.RoleArtisan, models.RoleChamber} {
		c := a.client()
		a.mkUser("refund-"+string(role)+"@example.be", role)
		c.login("refund-"+string(role)+"@example.be", testPassword)
		form.Set("_csrf", c.csrf("/account"))
		if resp, _ := c.post(path, form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", role, resp.StatusCode)
		}
	}
	if got := f.calls("POST /v1/refunds"); len(got) != 0 {
		t.Fatalf("refunds sent by non-organizers: %v", got)
	}
	org := a.mkUser("org-refund@example.be", models.RoleOrganizer)
	_ = org
	c := a.client()
	c.login("org-refund@example.be", testPassword)
	form.Set("_csrf", c.csrf("/admin"))
	if resp, _ := c.post("/admin/orders/SX-NOPE99/refund", form); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown order: status %d, want 404", resp.StatusCode)
	}
	resp, _ := c.post(path, form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/orders/"+o.Order.Code {
		t.Fatalf("refund: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	got := f.calls("POST /v1/refunds")
	if len(got) != 1 || got[0].Get("amount") != "4900" || got[0].Get("payment_intent") != "pi_"+o.Order.Code ||
		!strings.HasPrefix(got[0].Get("Idempotency-Key"), "refund:"+o.Order.Code+":") {
		t.Fatalf("Stripe saw %v, want one refund of 4900 with our key", got)
	}
	if s := payOrderStatus(t, a.db, o.Order.ID); s != models.OrderRefunded {
		t.Errorf("order = %s, want refunded", s)
	}
	// Nothing left: a second refund is refused with a message, no API call.
	form.Set("_csrf", c.csrf("/admin"))
	c.post(path, form)
	if n := len(f.calls("POST /v1/refunds")); n != 1 {
		t.Errorf("%d refund calls, want 1", n)
	}
	// A missing reason is refused before anything.
	form.Set("reason", "")
	form.Set("_csrf", c.csrf("/admin"))
	if resp, _ := c.post(path, form); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("no reason: status %d", resp.StatusCode)
	}
}

// Booth fees: the artisan pays their own fee through Checkout; the webhook marks it paid once.
func TestPayBoothFee(t *testing.T) {
	f := newPayFakeStripe(t)
	a := newTestAppWithGateway(t, nil, f.gateway(t))
	db := a.db
	u := a.mkUser("fee-artisan@example.ma", models.RoleArtisan)
	art := models.Artisan{UserID: u.ID, Slug: dbtest.Name("atelier"), BusinessName: "Atelier Zellige", Kind: "individual", RegionCode: "FM",
		CraftCode: "pottery", City: "Fès", Status: models.ArtisanVerified}
	payMust(t, db.Create(&art).Error)
	fair := models.Fair{Slug: dbtest.Name("fair"), Name: "Salon Bruxelles", City: "Bruxelles", Country: "BE",
		StartsOn: time.Now().AddDate(0, 2, 0), EndsOn: time.Now().AddDate(0, 2, 2), Timezone: "Europe/Brussels", Status: models.FairOpen}
	payMust(t, db.Create(&fair).Error)
	hall := models.Hall{FairID: fair.ID, Name: "Hall 1", WidthCm: 5000, DepthCm: 5000}
	payMust(t, db.Create(&hall).Error)
	stand := models.Stand{FairID: fair.ID, HallID: hall.ID, Code: "B7", Kind: models.StandStandard, WidthCm: 300, DepthCm: 300, PriceCents: 45000, Status: models.StandAssigned}
	payMust(t, db.Create(&stand).Error)
	app := models.Application{FairID: fair.ID, ArtisanID: art.ID, Status: models.AppAccepted, StandID: &stand.ID, FeeState: models.FeeDue, FeeCents: 45000, SubmittedAt: time.Now()}
	payMust(t, db.Create(&app).Error)
	path := fmt.Sprintf("/studio/applications/%d", app.ID)

	c := a.client()
	c.login("fee-artisan@example.ma", testPassword)
	_, page := c.get(path)
	if !strings.Contains(page, path+"/pay-fee") {
		t.Fatal("the application page has no pay-fee button")
	}
	resp, _ := c.post(path+"/pay-fee", url.Values{"_csrf": {c.csrf(path)}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "https://checkout.stripe.test/") {
		t.Fatalf("pay fee: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	created := f.calls("POST /v1/checkout/sessions")
	if len(created) != 1 || created[0].Get("client_reference_id") != models.FeeReference(app.ID) || created[0].Get("metadata[kind]") != models.FeeCheckoutKind ||
		created[0].Get("line_items[0][price_data][unit_amount]") != "45000" || created[0].Get("Idempotency-Key") != payments.CheckoutIdempotencyKey(models.FeeReference(app.ID), 1) {
		t.Fatalf("checkout request = %v", created)
	}
	var stored models.Application
	payMust(t, db.Where("id = ?", app.ID).Take(&stored).Error)
	if stored.FeeCheckoutSessionID == nil || stored.FeeAttempt != 1 {
		t.Fatalf("session not stored: %+v", stored)
	}

	// Another artisan cannot pay (or see) it.
	a.mkUser("other-artisan@example.ma", models.RoleArtisan)
	o := a.client()
	o.login("other-artisan@example.ma", testPassword)
	if resp, _ := o.post(path+"/pay-fee", url.Values{"_csrf": {o.csrf("/account")}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("other artisan: status %d, want 404", resp.StatusCode)
	}

	obj := map[string]any{"id": *stored.FeeCheckoutSessionID, "object": "checkout.session", "client_reference_id": models.FeeReference(app.ID),
		"status": "complete", "payment_status": "paid", "amount_total": 45000, "currency": "eur", "payment_intent": "pi_fee",
		"metadata": map[string]any{"kind": models.FeeCheckoutKind}}
	for i, id := range []string{"evt_fee", "evt_fee", "evt_fee_async"} {
		typ := payments.EventCheckoutCompleted
		if i == 2 {
			typ = payments.EventCheckoutAsyncSucceeded
		}
		body := payEventBody(t, id, typ, stripe.APIVersion, obj)
		if code, text := postWebhook(t, a, body, paySign(body, payTestWebhookSecret, time.Now())); code != http.StatusOK {
			t.Fatalf("webhook %d: %d %s", i, code, text)
		}
	}
	payMust(t, db.Where("id = ?", app.ID).Take(&stored).Error)
	if stored.FeeState != models.FeePaid {
		t.Errorf("fee = %s, want fee_paid", stored.FeeState)
	}
	if n := payCountRows(t, db, &models.OutboxEmail{}, "kind = ?", models.NoticeFeePaid); n != 1 {
		t.Errorf("%d fee_paid e-mails, want 1", n)
	}
	// Paid: no more button, and a second attempt is refused.
	if _, page := c.get(path); strings.Contains(page, path+"/pay-fee") {
		t.Error("the pay-fee button is still shown after payment")
	}
	c.post(path+"/pay-fee", url.Values{"_csrf": {c.csrf(path)}})
	if n := len(f.calls("POST /v1/checkout/sessions")); n != 1 {
		t.Errorf("%d checkout sessions, want 1", n)
	}
}

// At the stand (no card payments) the artisan is told to pay the organizers.
func TestPayBoothFeeStandMode(t *testing.T) {
	a := newTestApp(t, nil)
	u := a.mkUser("stand-artisan@example.ma", models.RoleArtisan)
	art := models.Artisan{UserID: u.ID, Slug: dbtest.Name("atelier"), BusinessName: "Atelier", Kind: "individual", RegionCode: "FM",
		CraftCode: "pottery", City: "Fès", Status: models.ArtisanVerified}
	payMust(t, a.db.Create(&art).Error)
	fair := models.Fair{Slug: dbtest.Name("fair"), Name: "Salon", City: "Paris", Country: "FR", StartsOn: time.Now().AddDate(0, 2, 0),
		EndsOn: time.Now().AddDate(0, 2, 2), Timezone: "Europe/Paris", Status: models.FairOpen}
	payMust(t, a.db.Create(&fair).Error)
	app := models.Application{FairID: fair.ID, ArtisanID: art.ID, Status: models.AppAccepted, FeeState: models.FeeDue, FeeCents: 30000, SubmittedAt: time.Now()}
	payMust(t, a.db.Create(&app).Error)
	path := fmt.Sprintf("/studio/applications/%d", app.ID)
	c := a.client()
	c.login("stand-artisan@example.ma", testPassword)
	resp, _ := c.post(path+"/pay-fee", url.Values{"_csrf": {c.csrf(path)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path {
		t.Fatalf("status %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page := c.get(path)
	if !strings.Contains(page, "organisateurs") {
		t.Error("no message telling to pay the organizers")
	}
}

// TestStripeWebhookDatabaseDown: with PostgreSQL unreachable the webhook answers 5xx, so
// Stripe retries; once the database is back, the same delivery is applied.
func TestStripeWebhookDatabaseDown(t *testing.T) {
	ctx := context.Background()
	pgURL, err := url.Parse(dbtest.PostgresURL(t))
	payMust(t, err)
	proxy := newTCPProxy(t, pgURL.Host)
	pgURL.Host = proxy.addr
	db, err := models.Open(ctx, models.DBConfig{URL: pgURL.String(), Logger: dbtest.Logger(), MaxOpenConns: 4})
	payMust(t, err)
	t.Cleanup(func() { _ = models.Close(db) })
	_, err = models.Migrate(ctx, db, nil)
	payMust(t, err)
	f := newPayFakeStripe(t)
	a := newTestAppWithGateway(t, db, f.gateway(t))
	o := newPayOrder(t, a)
	body := payEventBody(t, "evt_down", payments.EventCheckoutCompleted, stripe.APIVersion, o.sessionObject("paid"))

	proxy.stop()
	code, text := postWebhook(t, a, body, paySign(body, payTestWebhookSecret, time.Now()))
	if code < 500 {
		t.Fatalf("webhook with the database down: %d (%s), want 5xx so Stripe retries", code, text)
	}
	proxy.start()
	if code, text := postWebhook(t, a, body, paySign(body, payTestWebhookSecret, time.Now())); code != http.StatusOK {
		t.Fatalf("the retried delivery: %d (%s), want 200", code, text)
	}
	if s := payOrderStatus(t, db, o.Order.ID); s != models.OrderPaid {
		t.Fatalf("order %s after the retried delivery, want paid", s)
	}
}

// D6: a buyer who left the Stripe page takes the payment up again from the order page; two
// clicks at once on two instances open one session (one idempotency key, one stored id). A
// session about to close, or Stripe out of reach, keeps the order as it is, with a message.
func TestResumePaymentOneSession(t *testing.T) {
	db := dbtest.Postgres(t)
	f := newPayFakeStripe(t)
	a, b := newTestAppWithGateway(t, db, f.gateway(t)), newTestAppWithGateway(t, db, f.gateway(t))
	potter, _ := cartShop(t, db, false)
	vase := cartProduct(t, db, potter, "Vase", 4500, 3)
	buyer := a.client()
	buyer.addToCart(vase.ID, 1)
	// D1: a tampered price or quantity in the form never reaches Stripe.
	resp, body := buyer.checkout(url.Values{fmt.Sprintf("fulfil_%d", potter.ID): {"shipping"}, "ship_name": {"Amina"}, "ship_line1": {"Rue 1"},
		"ship_postcode": {"75001"}, "ship_city": {"Paris"}, "ship_country": {"FR"}, "unit_amount": {"1"}, "price": {"1"}, "quantity": {"9"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "https://checkout.stripe.test/") {
		t.Fatalf("checkout: %d → %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if created := f.calls("POST /v1/checkout/sessions"); len(created) != 1 || created[0].Get("line_items[0][price_data][unit_amount]") != "4500" ||
		created[0].Get("line_items[0][quantity]") != "1" {
		t.Fatalf("Stripe was asked for %v, want 1 × 4500 from the database", created)
	}
	stripePage := resp.Header.Get("Location")
	var o models.Order
	payMust(t, db.Order("id DESC").Take(&o).Error)
	first := *o.CheckoutSessionID
	link := a.h.orderLink(context.Background(), o.Code, true) // a guest: the e-mail's signed link
	_, page := buyer.get(link)
	if !strings.Contains(page, `action="/orders/`+o.Code+`/pay"`) || !strings.Contains(page, escaped(a, "OrderResumePayment")) {
		t.Fatal("the pending order's page offers no way back to the payment")
	}
	token := buyer.csrf(link)
	tok, _ := url.QueryUnescape(strings.SplitN(link, "?t=", 2)[1])
	form := url.Values{"_csrf": {token}, "t": {tok}}
	onB := &client{t: t, a: b, jar: buyer.jar} // the same browser, sent to the other instance
	var wg sync.WaitGroup
	locations := make([]string, 2)
	for i, c := range []*client{buyer, onB} {
		wg.Go(func() {
			resp, _ := c.post("/orders/"+o.Code+"/pay", form)
			locations[i] = resp.Header.Get("Location")
		})
	}
	wg.Wait()
	for i, loc := range locations {
		if loc != stripePage {
			t.Errorf("click %d went to %q, want the same Stripe page %q", i, loc, stripePage)
		}
	}
	keys := map[string]bool{}
	for _, call := range f.calls("POST /v1/checkout/sessions") {
		keys[call.Get("Idempotency-Key")] = true
	}
	payMust(t, db.Where("id = ?", o.ID).Take(&o).Error)
	if len(keys) != 1 || *o.CheckoutSessionID != first || o.Status != models.OrderPendingPayment {
		t.Fatalf("idempotency keys %v, session %s (first %s), status %s", keys, *o.CheckoutSessionID, first, o.Status)
	}
	// Another visitor cannot reach it.
	stranger := a.client()
	if resp, _ := stranger.post("/orders/"+o.Code+"/pay", url.Values{"_csrf": {stranger.csrf("/login")}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a stranger resumes the payment: %d, want 404", resp.StatusCode)
	}
	// Stripe out of reach: the order stays reserved, the buyer is told to try again.
	f.srv.Close()
	resp, _ = buyer.post("/orders/"+o.Code+"/pay", form)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/orders/"+o.Code) {
		t.Fatalf("resume with Stripe down: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page := buyer.get(resp.Header.Get("Location")); !strings.Contains(page, escaped(a, "FlashPaymentNotResumed")) {
		t.Error("no message when Stripe is out of reach")
	}
	if s := payOrderStatus(t, db, o.ID); s != models.OrderPendingPayment || cartStock(t, db, vase.ID) != 2 {
		t.Errorf("after a failed resume: order %s, stock %d; want pending, 2 held", s, cartStock(t, db, vase.ID))
	}
	// A session about to close is not offered any more.
	payMust(t, db.Model(&models.Order{}).Where("id = ?", o.ID).Update("checkout_expires_at", time.Now().UTC().Add(30*time.Second)).Error)
	if _, page := buyer.get(link); strings.Contains(page, `/orders/`+o.Code+`/pay"`) {
		t.Error("a session about to close is still offered")
	}
	resp, _ = buyer.post("/orders/"+o.Code+"/pay", form)
	if _, page := buyer.get(resp.Header.Get("Location")); !strings.Contains(page, escaped(a, "FlashPaymentNotResumable")) {
		t.Error("no message for a payment that cannot be resumed")
	}
}
