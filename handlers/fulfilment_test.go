package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"gorm.io/gorm"
)

// fulFixture: a fair, two artisans with a stand each and a product each, signed-in clients.
type fulFixture struct {
	a        *testApp
	fair     models.Fair
	users    [2]models.User
	artisans [2]models.Artisan
	products [2]models.Product
	clients  [2]*client
	visitor  models.User
}

func newFulFixture(t *testing.T, db *gorm.DB) *fulFixture {
	t.Helper()
	a := newTestApp(t, db)
	db = a.db
	fx := &fulFixture{a: a}
	fx.fair = models.Fair{Slug: "ful-fair", Name: "Salon Ful", City: "Bruxelles", Country: "BE", Timezone: "Europe/Brussels",
		StartsOn: time.Now().AddDate(0, 1, 0), EndsOn: time.Now().AddDate(0, 1, 2), Status: models.FairOpen}
	mustDo(t, db.Create(&fx.fair).Error)
	for i := range 2 {
		email := fmt.Sprintf("ful-artisan-%d@example.be", i)
		fx.users[i] = a.mkUser(email, models.RoleArtisan)
		fx.artisans[i] = models.Artisan{UserID: fx.users[i].ID, Slug: fmt.Sprintf("ful-atelier-%d", i), BusinessName: fmt.Sprintf("Atelier %c", 'A'+i),
			Kind: "individual", RegionCode: "FM", CraftCode: "zellige", City: "Fès", Status: models.ArtisanVerified}
		mustDo(t, db.Create(&fx.artisans[i]).Error)
		fx.products[i] = models.Product{ArtisanID: fx.artisans[i].ID, Status: models.ProductPublished, TitleFR: fmt.Sprintf("Tajine %d", i+1),
			CraftCode: "zellige", PriceCents: 4500, Stock: 3, PickupAtFair: true}
		mustDo(t, db.Create(&fx.products[i]).Error)
		fx.clients[i] = a.client()
		fx.clients[i].login(email, testPassword)
	}
	fx.visitor = a.mkUser("ful-visitor@example.be", models.RoleVisitor)
	return fx
}

func mustDo(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// order writes an order as PlaceOrder does: one pickup part per artisan, stock held.
func (fx *fulFixture) order(t *testing.T, gateway string, status models.OrderStatus, partStatus models.PartStatus) (models.Order, [2]models.OrderPart) {
	t.Helper()
	db := fx.a.db
	o := models.Order{Code: models.NewOrderCode(), UserID: &fx.visitor.ID, Email: fx.visitor.Email, Name: "Nadia El Amrani", Locale: "fr",
		Status: status, Gateway: gateway, Currency: "EUR", ItemsCents: 9000, TotalCents: 9000}
	mustDo(t, db.Create(&o).Error)
	var parts [2]models.OrderPart
	for i := range 2 {
		parts[i] = models.OrderPart{OrderID: o.ID, ArtisanID: fx.artisans[i].ID, Fulfilment: models.FulfilPickup, FairID: &fx.fair.ID,
			StandCode: fmt.Sprintf("B%d", i+2), Status: partStatus, PickupCode: models.NewPickupCode(), ItemsCents: 4500}
		mustDo(t, db.Create(&parts[i]).Error)
		mustDo(t, db.Create(&models.OrderLine{OrderID: o.ID, PartID: parts[i].ID, ProductID: fx.products[i].ID, Title: fx.products[i].TitleFR,
			UnitCents: 4500, Quantity: 1, HoldsStock: true}).Error)
		mustDo(t, db.Model(&models.Product{}).Where("id = ?", fx.products[i].ID).Update("stock", gorm.Expr("stock - 1")).Error)
	}
	return o, parts
}

func (fx *fulFixture) pickup(t *testing.T, i int, code string) (*http.Response, string) {
	t.Helper()
	token := fx.clients[i].csrf("/studio/pickup")
	return fx.clients[i].post("/studio/pickup", url.Values{"_csrf": {token}, "pickup_code": {code}})
}

// TestPayAtStandAcceptance: no Stripe key; a visitor's order from two artisans with pickup at
// their stands; stock is held; both artisans see it on their packing list; a code typed by
// the wrong artisan is refused and changes nothing; each artisan hands over with the code;
// after the second the order is completed.
func TestPayAtStandAcceptance(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		fx := newFulFixture(t, db)
		o, parts := fx.order(t, "stand", models.OrderPendingPayment, models.PartToPrepare)
		var p models.Product
		mustDo(t, db.Where("id = ?", fx.products[0].ID).Take(&p).Error)
		if p.Stock != 2 {
			t.Fatalf("stock held = %d, want 2", p.Stock)
		}
		for i := range 2 {
			resp, body := fx.clients[i].get(fmt.Sprintf("/studio/orders/packing?fair=%d", fx.fair.ID))
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, fx.products[i].TitleFR) || !strings.Contains(body, o.Code) ||
				strings.Contains(body, fx.products[1-i].TitleFR) {
				t.Fatalf("artisan %d packing list: %d %.400s", i, resp.StatusCode, body)
			}
			resp, body = fx.clients[i].get("/studio/orders")
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, o.Code) || !strings.Contains(body, "Nadia") {
				t.Fatalf("artisan %d orders: %d", i, resp.StatusCode)
			}
		}
		// The wrong artisan types the other's code: a clear refusal, nothing changes.
		audit := countRows(t, db, "audit_entries")
		resp, body := fx.pickup(t, 1, parts[0].PickupCode)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(pageText(body), fx.a.msg("fr", "FulNotYourOrder")) ||
			strings.Contains(body, "Atelier A") {
			t.Fatalf("wrong artisan's code: %d %.300s", resp.StatusCode, body)
		}
		if countRows(t, db, "audit_entries") != audit {
			t.Fatal("refused hand-over changed rows")
		}
		if resp, _ := fx.clients[1].get("/studio/pickup?code=" + parts[0].PickupCode); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET pickup page with another artisan's code: %d, want 404", resp.StatusCode)
		}
		// The typed form looks the code up first: empty → the field's error, no part shown.
		if resp, body := fx.clients[0].get("/studio/pickup?pickup_code="); resp.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(pageText(body), fx.a.msg("fr", "FieldRequired")) || strings.Contains(body, fx.products[0].TitleFR) {
			t.Errorf("empty typed code: %d", resp.StatusCode)
		}
		if resp, body := fx.clients[0].get("/studio/pickup?pickup_code=" + parts[0].PickupCode); resp.StatusCode != http.StatusOK ||
			!strings.Contains(body, fx.products[0].TitleFR) || !strings.Contains(pageText(body), fx.a.msg("fr", "FulHandOverButton")) {
			t.Errorf("typed code lookup: %d", resp.StatusCode)
		}
		// The QR opens the pickup page with the part to hand over.
		resp, body = fx.clients[0].get("/studio/pickup?code=" + strings.ToLower(parts[0].PickupCode))
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, fx.products[0].TitleFR) || !strings.Contains(body, fx.a.msg("fr", "FulHandOverButton")) {
			t.Fatalf("pickup page: %d", resp.StatusCode)
		}
		if resp, _ := fx.pickup(t, 0, parts[0].PickupCode); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("hand over A: %d", resp.StatusCode)
		}
		if resp, body := fx.pickup(t, 0, parts[0].PickupCode); resp.StatusCode != http.StatusConflict ||
			!strings.Contains(pageText(body), fx.a.msg("fr", "FulAlreadyHandedOver")) {
			t.Errorf("second hand-over: %d", resp.StatusCode)
		}
		if resp, _ := fx.pickup(t, 1, parts[1].PickupCode[:4]+"-"+parts[1].PickupCode[4:]); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("hand over B: %d", resp.StatusCode)
		}
		var after models.Order
		mustDo(t, db.Where("id = ?", o.ID).Take(&after).Error)
		if after.Status != models.OrderCompleted || after.PaidAt == nil {
			t.Fatalf("order = %s paid %v, want completed and paid", after.Status, after.PaidAt)
		}
		_, body = fx.clients[1].get("/studio/pickup")
		if !strings.Contains(pageText(body), strings.ReplaceAll(fx.a.msg("fr", "FulFlashOrderCompleted"), "{{.Order}}", o.Code)) &&
			!strings.Contains(body, o.Code) {
			t.Errorf("no completion flash after the last hand-over")
		}
	})
}

// TestFulfilmentRefusals: unpaid card orders, wrong states and another artisan's part are
// refused with 409 / 404 (never 500); visitors and chamber agents are kept out.
func TestFulfilmentRefusals(t *testing.T) {
	fx := newFulFixture(t, nil)
	db := fx.a.db
	_, pending := fx.order(t, "stripe", models.OrderPendingPayment, models.PartPending)
	if resp, body := fx.pickup(t, 0, pending[0].PickupCode); resp.StatusCode != http.StatusConflict ||
		!strings.Contains(pageText(body), fx.a.msg("fr", "FulNotPaid")) {
		t.Errorf("pending card order's code: %d, want 409 not paid", resp.StatusCode)
	}
	_, paid := fx.order(t, "stripe", models.OrderPaid, models.PartToPrepare)
	token := fx.clients[1].csrf("/studio/orders")
	if resp, _ := fx.clients[1].post(fmt.Sprintf("/studio/orders/parts/%d/ready", paid[0].ID), url.Values{"_csrf": {token}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("ready on another artisan's part: %d, want 404", resp.StatusCode)
	}
	token = fx.clients[0].csrf("/studio/orders")
	if resp, _ := fx.clients[0].post(fmt.Sprintf("/studio/orders/parts/%d/shipped", paid[0].ID), url.Values{"_csrf": {token}, "tracking_number": {"X1"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("ship a pickup part: %d, want 409", resp.StatusCode)
	}
	if resp, _ := fx.clients[0].post(fmt.Sprintf("/studio/orders/parts/%d/ready", paid[0].ID), url.Values{"_csrf": {token}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ready: %d", resp.StatusCode)
	}
	if resp, _ := fx.clients[0].post(fmt.Sprintf("/studio/orders/parts/%d/ready", paid[0].ID), url.Values{"_csrf": {token}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("ready twice: %d, want 409", resp.StatusCode)
	}
	var n int64
	mustDo(t, db.Model(&models.OutboxEmail{}).Where("kind = ?", models.NoticeOrderReady).Count(&n).Error)
	if n != 1 {
		t.Errorf("order_ready e-mails = %d, want 1", n)
	}
	// Stand sale beyond the stock: the error is next to the field, stock unchanged.
	token = fx.clients[0].csrf("/studio/stand-sales")
	resp, body := fx.clients[0].post("/studio/stand-sales", url.Values{"_csrf": {token}, "sale_product": {fmt.Sprint(fx.products[0].ID)}, "sale_quantity": {"9"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(pageText(body), fx.a.msg("fr", "FulNotEnoughStock")) {
		t.Errorf("stand sale beyond stock: %d", resp.StatusCode)
	}
	if resp, _ := fx.clients[0].post("/studio/stand-sales", url.Values{"_csrf": {token}, "sale_product": {fmt.Sprint(fx.products[0].ID)}, "sale_quantity": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("stand sale: %d", resp.StatusCode)
	}
	for _, role := range []models.Role{models.RoleVisitor, models.RoleChamber} {
		email := "ful-403-" + string(role) + "@example.be"
		fx.a.mkUser(email, role)
		c := fx.a.client()
		c.login(email, testPassword)
		for _, path := range []string{"/studio/orders", "/studio/pickup", "/admin/orders", "/admin/orders.csv", fmt.Sprintf("/admin/fairs/%d/settlement", fx.fair.ID)} {
			if resp, _ := c.get(path); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", role, path, resp.StatusCode)
			}
		}
	}
}

// TestOrganizerOrdersAndSettlement: the organizer's list, detail, CSV exports (with BOM) and
// the commission form.
func TestOrganizerOrdersAndSettlement(t *testing.T) {
	fx := newFulFixture(t, nil)
	o, _ := fx.order(t, "stripe", models.OrderPaid, models.PartToPrepare)
	now := time.Now().UTC()
	mustDo(t, fx.a.db.Model(&models.Order{}).Where("id = ?", o.ID).Update("paid_at", now).Error)
	fx.a.mkUser("ful-org@example.be", models.RoleOrganizer)
	c := fx.a.client()
	c.login("ful-org@example.be", testPassword)
	resp, body := c.get(fmt.Sprintf("/admin/orders?fair=%d&status=paid", fx.fair.ID))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, o.Code) {
		t.Fatalf("orders list: %d", resp.StatusCode)
	}
	resp, body = c.get("/admin/orders/" + o.Code)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "/admin/orders/"+o.Code+"/refund") || !strings.Contains(body, "Atelier B") {
		t.Fatalf("order detail: %d", resp.StatusCode)
	}
	for _, path := range []string{"/admin/orders.csv", fmt.Sprintf("/admin/fairs/%d/settlement.csv", fx.fair.ID)} {
		resp, body := c.get(path)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "\uFEFF") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Errorf("%s: %d %q", path, resp.StatusCode, body[:min(len(body), 40)])
		}
	}
	settlement := fmt.Sprintf("/admin/fairs/%d/settlement", fx.fair.ID)
	token := c.csrf(settlement)
	if resp, _ := c.post(settlement+"/commission", url.Values{"_csrf": {token}, "commission_percent": {"abc"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad commission: %d, want 422", resp.StatusCode)
	}
	if resp, _ := c.post(settlement+"/commission", url.Values{"_csrf": {token}, "commission_percent": {"10"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("commission: %d", resp.StatusCode)
	}
	_, body = c.get(settlement)
	// 2 × 45,00 € at 10 %: 4,50 € commission each, 40,50 € owed each.
	if !strings.Contains(pageText(body), formatEuros("fr", 4050)) || !strings.Contains(pageText(body), formatEuros("fr", 8100)) {
		t.Errorf("settlement page lacks the net owed figures")
	}
	var f models.Fair
	mustDo(t, fx.a.db.WithContext(context.Background()).Where("id = ?", fx.fair.ID).Take(&f).Error)
	if f.CommissionBP != 1000 {
		t.Errorf("commission_bp = %d, want 1000", f.CommissionBP)
	}
}

// TestCardOrderShowsPickupCodeOncePaid: an unpaid card order's page shows no QR code (the
// artisan would refuse it) but says when it comes; once paid, each pickup part has its code.
func TestCardOrderShowsPickupCodeOncePaid(t *testing.T) {
	fx := newFulFixture(t, nil)
	o, _ := fx.order(t, "stripe", models.OrderPendingPayment, models.PartPending)
	c := fx.a.client()
	c.login(fx.visitor.Email, testPassword)
	_, body := c.get("/orders/" + o.Code)
	if strings.Contains(body, `class="pickup-qr"`) || !strings.Contains(body, escaped(fx.a, "OrderPickupCodeAfterPayment")) {
		t.Fatal("an unpaid card order shows a pickup code, or does not say when it comes")
	}
	now := time.Now().UTC()
	mustDo(t, fx.a.db.Model(&models.Order{}).Where("id = ?", o.ID).Updates(map[string]any{"status": models.OrderPaid, "paid_at": now}).Error)
	_, body = c.get("/orders/" + o.Code)
	if strings.Count(body, `class="pickup-qr"`) != 2 || strings.Contains(body, escaped(fx.a, "OrderPickupCodeAfterPayment")) {
		t.Fatal("a paid card order does not show a pickup code per artisan")
	}
}

// TestStudioHomeCountsOrdersToPrepare: the artisan's dashboard says how many orders wait for
// them, and nothing once they are handed over.
func TestStudioHomeCountsOrdersToPrepare(t *testing.T) {
	fx := newFulFixture(t, nil)
	_, body := fx.clients[0].get("/studio")
	if !strings.Contains(pageText(body), fx.a.msg("fr", "StudioNoOrdersToPrepare")) {
		t.Fatal("an artisan without orders is not told so")
	}
	_, parts := fx.order(t, "stand", models.OrderPendingPayment, models.PartToPrepare)
	_, body = fx.clients[0].get("/studio")
	if want := fx.a.h.tr.localize("fr", "StudioOrdersToPrepare", 1, nil); !strings.Contains(pageText(body), want) {
		t.Fatalf("the dashboard does not say %q", want)
	}
	if resp, _ := fx.pickup(t, 0, parts[0].PickupCode); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("hand over: %d", resp.StatusCode)
	}
	if _, body = fx.clients[0].get("/studio"); !strings.Contains(pageText(body), fx.a.msg("fr", "StudioNoOrdersToPrepare")) {
		t.Error("an order handed over is still counted")
	}
}
