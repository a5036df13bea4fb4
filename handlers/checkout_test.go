package handlers

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"github.com/soukexpo/souk/payments"
	"gorm.io/gorm"
)

var cartFixtureN atomic.Int32

// cartShop creates a verified artisan, with a stand at an upcoming fair when withStand.
func cartShop(t testing.TB, db *gorm.DB, withStand bool) (models.Artisan, models.Stand) {
	t.Helper()
	ctx := context.Background()
	n := cartFixtureN.Add(1)
	u, err := models.CreateUser(ctx, db, models.NewUser{Email: fmt.Sprintf("cartshop%d@example.ma", n), Name: "A", Password: testPassword, Role: models.RoleArtisan})
	cartMust(t, err)
	a, err := models.SaveArtisanProfile(ctx, db, u.ID, models.ArtisanProfileInput{
		BusinessName: fmt.Sprintf("Atelier %d", n), Kind: "individual", RegionCode: "FM", CraftCode: "zellige", City: "Fès",
		BioFR: "Maître artisan.", RegistryNumber: fmt.Sprintf("FM-2021-%06d", n), CardNumber: fmt.Sprintf("CART%06d", n),
	})
	cartMust(t, err)
	cartMust(t, db.Model(&models.Artisan{}).Where("id = ?", a.ID).Update("status", models.ArtisanVerified).Error)
	if !withStand {
		return a, models.Stand{}
	}
	start := time.Now().UTC().AddDate(0, 1, 0).Truncate(24 * time.Hour)
	f := models.Fair{Slug: fmt.Sprintf("cart-fair-%d", n), Name: fmt.Sprintf("Salon %d", n), City: "Bruxelles", Country: "BE",
		Venue: "Hall", StartsOn: start, EndsOn: start.AddDate(0, 0, 2), Timezone: "Europe/Brussels", Status: models.FairOpen}
	cartMust(t, db.Create(&f).Error)
	hall := models.Hall{FairID: f.ID, Name: "H1", WidthCm: 5000, DepthCm: 5000}
	cartMust(t, db.Create(&hall).Error)
	s := models.Stand{FairID: f.ID, HallID: hall.ID, Code: fmt.Sprintf("B%d", n), Kind: "standard", WidthCm: 300, DepthCm: 300, Status: models.StandAssigned}
	cartMust(t, db.Create(&s).Error)
	cartMust(t, db.Create(&models.Application{FairID: f.ID, ArtisanID: a.ID, Status: models.AppAccepted, StandID: &s.ID}).Error)
	return a, s
}

func cartMust(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func cartProduct(t testing.TB, db *gorm.DB, a models.Artisan, title string, price int64, stock int) models.Product {
	t.Helper()
	ctx := context.Background()
	p, err := models.CreateProduct(ctx, db, a.ID, models.ProductInput{TitleFR: title, CraftCode: "zellige", PriceCents: price,
		Stock: stock, PickupAtFair: true, Ships: true})
	cartMust(t, err)
	_, err = models.AddPhoto(ctx, db, a.ID, p.ID, models.Photo{KeyBase: "img/" + title, Width: 800, Height: 600, Variants: "320,800"})
	cartMust(t, err)
	cartMust(t, models.SetProductStatus(ctx, db, a.ID, p.ID, models.ProductPublished))
	return p
}

func cartStock(t testing.TB, db *gorm.DB, id int64) int {
	t.Helper()
	var p models.Product
	cartMust(t, db.Where("id = ?", id).Take(&p).Error)
	return p.Stock
}

// addToCart puts a product in the client's cart through the cart page's form.
func (c *client) addToCart(productID int64, qty int) (*http.Response, string) {
	c.t.Helper()
	token := c.csrf(fmt.Sprintf("/cart?add=%d", productID))
	return c.post("/cart/add", url.Values{"_csrf": {token}, "product_id": {fmt.Sprint(productID)}, "quantity": {fmt.Sprint(qty)}})
}

func (c *client) checkout(extra url.Values) (*http.Response, string) {
	c.t.Helper()
	form := url.Values{"_csrf": {c.csrf("/checkout")}, "name": {"Amina B."}, "email": {"amina@example.be"}, "phone": {"+32 470 00 00 00"}}
	for k, v := range extra {
		form[k] = v
	}
	return c.post("/checkout", form)
}

func escaped(a *testApp, id string) string { return template.HTMLEscapeString(a.msg("fr", id)) }

var pickupCodeRe = regexp.MustCompile(`<strong class="code" dir="ltr">([A-Z0-9]{8})</strong>`)

func TestCheckoutPayAtStandTwoArtisans(t *testing.T) {
	a := newTestApp(t, nil)
	potter, _ := cartShop(t, a.db, true)
	weaver, _ := cartShop(t, a.db, true)
	vase := cartProduct(t, a.db, potter, "Vase", 4500, 3)
	rug := cartProduct(t, a.db, weaver, "Tapis", 30000, 1)

	buyer := a.client()
	if resp, body := buyer.addToCart(vase.ID, 2); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add vase: %d %.300s", resp.StatusCode, body)
	}
	// More than the stock is refused with a clear message next to the cart.
	resp, body := buyer.addToCart(rug.ID, 2)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, escaped(a, "CartQuantityOverStock")) {
		t.Fatalf("two rugs of one: %d, message missing", resp.StatusCode)
	}
	buyer.addToCart(rug.ID, 1)
	_, cartPage := buyer.get("/cart")
	if !strings.Contains(cartPage, "Panier (3)") {
		t.Fatal("the header does not count 3 pieces")
	}
	if strings.Count(cartPage, `<img src="/media/`) != 2 || strings.Contains(cartPage, `<img src=""`) {
		t.Error("the cart lines do not show their pieces' photos")
	}
	_, page := buyer.get("/checkout")
	if !strings.Contains(page, fmt.Sprintf(`name="fulfil_%d" value="pickup"`, potter.ID)) {
		t.Fatal("checkout does not offer pickup at the potter's stand")
	}
	// A tampered price or quantity in the form is ignored: lines come from the cart, prices
	// from the database.
	resp, _ = buyer.checkout(url.Values{
		fmt.Sprintf("fulfil_%d", potter.ID): {"pickup"}, fmt.Sprintf("fulfil_%d", weaver.ID): {"pickup"},
		"price": {"1"}, "unit_cents": {"1"}, "quantity": {"50"}, "total_cents": {"1"},
	})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/orders/SX-") {
		t.Fatalf("place order: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	link := resp.Header.Get("Location")
	var o models.Order
	cartMust(t, a.db.Order("id DESC").Take(&o).Error)
	if o.ItemsCents != 2*4500+30000 || o.ShippingCents != 0 || o.TotalCents != 39000 || o.Gateway != "stand" {
		t.Fatalf("order totals not from the database: %+v", o)
	}
	var lines []models.OrderLine
	cartMust(t, a.db.Where("order_id = ?", o.ID).Order("product_id").Find(&lines).Error)
	if len(lines) != 2 || lines[0].UnitCents != 4500 || lines[0].Quantity != 2 || lines[1].UnitCents != 30000 || lines[1].Quantity != 1 {
		t.Fatalf("lines = %+v", lines)
	}
	if cartStock(t, a.db, vase.ID) != 1 || cartStock(t, a.db, rug.ID) != 0 {
		t.Fatal("stock not held")
	}
	var parts []models.OrderPart
	cartMust(t, a.db.Where("order_id = ?", o.ID).Find(&parts).Error)
	for _, p := range parts {
		if p.Status != models.PartToPrepare || p.Fulfilment != models.FulfilPickup {
			t.Fatalf("part = %+v", p)
		}
	}
	// The buyer's page: two parts, each with its QR code and pickup code.
	_, body = buyer.get(link)
	if codes := pickupCodeRe.FindAllStringSubmatch(body, -1); len(codes) != 2 || strings.Count(body, `class="pickup-qr"`) != 2 {
		t.Fatalf("order page shows %d pickup codes", len(codes))
	}
	if _, body := buyer.get("/cart"); !strings.Contains(body, escaped(a, "CartEmpty")) {
		t.Fatal("the ordered pieces stayed in the cart")
	}
	// Anyone else: 404, also with a wrong token or as another signed-in visitor.
	stranger := a.client()
	code := strings.TrimPrefix(strings.SplitN(link, "?", 2)[0], "/orders/")
	for _, path := range []string{"/orders/" + code, "/orders/" + code + "?t=forged", "/checkout/success?order=" + code} {
		if resp, _ := stranger.get(path); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("stranger %s: %d, want 404", path, resp.StatusCode)
		}
	}
	a.mkUser("other@example.be", models.RoleVisitor)
	other := a.client()
	other.login("other@example.be", testPassword)
	if resp, _ := other.get("/orders/" + code); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another visitor's order page: %d, want 404", resp.StatusCode)
	}
	// The signed link works on its own (the e-mail's link, any browser).
	if resp, _ := stranger.get(link); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed guest link: %d", resp.StatusCode)
	}
	var mail models.OutboxEmail
	cartMust(t, a.db.Where("kind = ?", models.NoticeOrderConfirmed).Take(&mail).Error)
	subject, text := a.h.renderNotice(context.Background(), mail)
	if !strings.Contains(subject, code) || !strings.Contains(text, "http://example.com"+link) {
		t.Fatalf("confirmation e-mail: %q / %q", subject, text)
	}
	// Cancelling needs the confirmation box; then the stock comes back.
	token := buyer.csrf(link)
	linkToken := strings.SplitN(link, "?t=", 2)[1]
	tok, _ := url.QueryUnescape(linkToken)
	buyer.post("/orders/"+code+"/cancel", url.Values{"_csrf": {token}, "t": {tok}})
	if cartStock(t, a.db, vase.ID) != 1 {
		t.Fatal("cancelled without the confirmation box")
	}
	buyer.post("/orders/"+code+"/cancel", url.Values{"_csrf": {token}, "t": {tok}, "confirm": {"yes"}})
	if cartStock(t, a.db, vase.ID) != 3 || cartStock(t, a.db, rug.ID) != 1 {
		t.Fatal("cancel did not give the stock back")
	}
}

func TestCartMergedAtLogin(t *testing.T) {
	a := newTestApp(t, nil)
	potter, _ := cartShop(t, a.db, false)
	vase := cartProduct(t, a.db, potter, "Vase", 4500, 3)
	u := a.mkUser("merge@example.be", models.RoleVisitor)
	c := a.client()
	c.addToCart(vase.ID, 2)
	c.login("merge@example.be", testPassword)
	v, err := models.ListCart(context.Background(), a.db, models.CartOwner{UserID: u.ID})
	cartMust(t, err)
	if v.Count != 2 {
		t.Fatalf("account cart after login has %d pieces, want 2", v.Count)
	}
	if _, body := c.get("/cart"); !strings.Contains(body, "Panier (2)") {
		t.Fatal("header count lost at login")
	}
}

func TestAdminShippingRates(t *testing.T) {
	a := newTestApp(t, nil)
	a.mkUser("org@example.com", models.RoleOrganizer)
	c := a.client()
	c.login("org@example.com", testPassword)
	token := c.csrf("/admin/shipping")
	if resp, body := c.post("/admin/shipping", url.Values{"_csrf": {token}, "rate_BE": {"abc"}, "rate_FR": {"9,90"}}); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, escaped(a, "ShippingRateInvalid")) {
		t.Fatalf("bad rate: %d", resp.StatusCode)
	}
	if resp, _ := c.post("/admin/shipping", url.Values{"_csrf": {token}, "rate_BE": {"12,50"}, "rate_FR": {"9.9"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save rates: %d", resp.StatusCode)
	}
	rates, err := models.ShippingRates(context.Background(), a.db)
	cartMust(t, err)
	if rates["BE"] != 1250 || rates["FR"] != 990 {
		t.Fatalf("rates = %v", rates)
	}
	visitor := a.client()
	if resp, _ := visitor.get("/admin/shipping"); resp.StatusCode == http.StatusOK {
		t.Fatal("a visitor reached the shipping rates")
	}
}

// TestCheckoutStockNeverOversells: 500 buyers, two instances, one PostgreSQL, 10 pieces.
func TestCheckoutStockNeverOversells(t *testing.T) {
	// Two instances, each with its own connection pool (as two processes would have), on
	// one migrated database.
	dbURL := dbtest.PostgresURL(t)
	ctx := context.Background()
	openPool := func() *gorm.DB {
		db, err := models.Open(ctx, models.DBConfig{URL: dbURL, Logger: dbtest.Logger(), MaxOpenConns: 20})
		cartMust(t, err)
		t.Cleanup(func() { _ = models.Close(db) })
		return db
	}
	db, db2 := openPool(), openPool()
	_, err := models.Migrate(ctx, db, nil)
	cartMust(t, err)
	a1, a2 := newTestApp(t, db), newTestApp(t, db2)
	potter, _ := cartShop(t, db, true) // paid at the stand: collected at the artisan's stand
	vase := cartProduct(t, db, potter, "Vase", 4500, 10)
	const buyers = 500
	clients := make([]*client, buyers)
	tokens := make([]string, buyers)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range buyers {
		app := a1
		if i%2 == 1 {
			app = a2
		}
		clients[i] = app.client()
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if resp, _ := clients[i].addToCart(vase.ID, 1); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("buyer %d add: %d", i, resp.StatusCode)
			}
			tokens[i] = clients[i].csrf("/checkout")
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	soldOut := escaped(a1, "CheckoutSoldOut")
	var placed, refused atomic.Int32
	start := make(chan struct{})
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start // all 500 at once: each instance queues what it cannot work on yet
			resp, body := clients[i].post("/checkout", url.Values{"_csrf": {tokens[i]}, "name": {"Buyer"},
				"email": {fmt.Sprintf("buyer%d@example.be", i)}, fmt.Sprintf("fulfil_%d", potter.ID): {"pickup"}})
			switch {
			case resp.StatusCode == http.StatusSeeOther:
				placed.Add(1)
			case resp.StatusCode == http.StatusConflict && strings.Contains(body, soldOut):
				refused.Add(1)
			default:
				t.Errorf("buyer %d: status %d without the sold-out message: %.200s", i, resp.StatusCode, body)
			}
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	elapsed := time.Since(began)
	var holding int64
	cartMust(t, db.Model(&models.OrderLine{}).Where("product_id = ? AND holds_stock", vase.ID).Count(&holding).Error)
	if placed.Load() != 10 || refused.Load() != buyers-10 || holding != 10 || cartStock(t, db, vase.ID) != 0 {
		t.Fatalf("placed %d, refused %d, lines holding stock %d, final stock %d", placed.Load(), refused.Load(), holding, cartStock(t, db, vase.ID))
	}
	t.Logf("%d concurrent checkouts on two instances in %s: %.0f checkouts answered per second", buyers, elapsed.Round(time.Millisecond),
		float64(buyers)/elapsed.Seconds())
}

// TestCheckoutStripeMock: POST /checkout opens a Checkout Session on stripe-mock and sends
// the buyer there; the session id is stored on the order.
func TestCheckoutStripeMock(t *testing.T) {
	mock := dbtest.RequireEnv(t, "TEST_STRIPE_MOCK_URL")[0]
	gw, err := payments.New(payments.Config{SecretKey: "sk_test_123", WebhookSecret: "whsec_test", APIBase: mock})
	cartMust(t, err)
	a := newTestAppWithGateway(t, nil, gw)
	potter, _ := cartShop(t, a.db, false)
	vase := cartProduct(t, a.db, potter, "Vase", 4500, 3)
	c := a.client()
	c.addToCart(vase.ID, 1)
	resp, body := c.checkout(url.Values{fmt.Sprintf("fulfil_%d", potter.ID): {"shipping"}, "ship_name": {"A"}, "ship_line1": {"Rue 1"},
		"ship_postcode": {"75001"}, "ship_city": {"Paris"}, "ship_country": {"FR"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "https://") {
		t.Fatalf("stripe checkout: %d → %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	var o models.Order
	cartMust(t, a.db.Order("id DESC").Take(&o).Error)
	if o.CheckoutSessionID == nil || !strings.HasPrefix(*o.CheckoutSessionID, "cs_") || o.Status != models.OrderPendingPayment ||
		o.CheckoutExpiresAt == nil || o.Attempt != 1 || cartStock(t, a.db, vase.ID) != 2 {
		t.Fatalf("order after checkout: %+v", o)
	}
	// Coming back to the success page only shows the state.
	c.get("/checkout/success?order=" + o.Code)
	cartMust(t, a.db.Where("id = ?", o.ID).Take(&o).Error)
	if o.Status != models.OrderPendingPayment {
		t.Fatalf("the success page changed the order to %s", o.Status)
	}
}

// TestAccountListsTheVisitorsOrders: a signed-in visitor finds their orders on /account, and
// not someone else's.
func TestAccountListsTheVisitorsOrders(t *testing.T) {
	a := newTestApp(t, nil)
	me := a.mkUser("me@example.be", models.RoleVisitor)
	other := a.mkUser("other@example.be", models.RoleVisitor)
	for code, owner := range map[string]int64{"SX-MINE01": me.ID, "SX-THEIR1": other.ID} {
		o := models.Order{Code: code, UserID: &owner, Email: "x@example.be", Name: "X", Locale: "fr",
			Status: models.OrderPaid, Gateway: "stand", Currency: "EUR", ItemsCents: 4500, TotalCents: 4500}
		cartMust(t, a.db.Create(&o).Error)
	}
	c := a.client()
	c.login("me@example.be", testPassword)
	_, body := c.get("/account")
	if !strings.Contains(body, `href="/orders/SX-MINE01"`) || !strings.Contains(body, "45,00") {
		t.Fatal("the account page does not list the visitor's order with its total")
	}
	if strings.Contains(body, "SX-THEIR1") {
		t.Fatal("the account page lists another visitor's order")
	}
}

// TestCheckoutAttemptsAreLimitedPerVisitor: a visitor's order attempts are limited (checklist
// G1), another visitor is not affected.
func TestCheckoutAttemptsAreLimitedPerVisitor(t *testing.T) {
	old := checkoutLimit
	checkoutLimit = 2
	t.Cleanup(func() { checkoutLimit = old })
	a := newTestApp(t, nil)
	greedy, calm := a.client(), a.client()
	token := greedy.csrf("/login")
	for i := range 3 {
		resp, _ := greedy.post("/checkout", url.Values{"_csrf": {token}})
		if i < 2 && resp.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("attempt %d refused as too many", i+1)
		}
		if i == 2 && resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("third attempt: %d, want 429", resp.StatusCode)
		}
	}
	calmToken := calm.csrf("/login")
	if resp, _ := calm.post("/checkout", url.Values{"_csrf": {calmToken}}); resp.StatusCode == http.StatusTooManyRequests {
		t.Fatal("another visitor is limited too")
	}
}

// TestPayAtStandShipsNothing: without card payments an order is paid when collected at the
// stand, so shipping is neither offered nor accepted, and nothing is held.
func TestPayAtStandShipsNothing(t *testing.T) {
	a := newTestApp(t, nil)
	potter, _ := cartShop(t, a.db, false) // no stand at an upcoming fair
	vase := cartProduct(t, a.db, potter, "Vase", 4500, 3)
	c := a.client()
	c.addToCart(vase.ID, 1)
	_, page := c.get("/checkout")
	if strings.Contains(page, `value="shipping"`) || !strings.Contains(page, escaped(a, "CheckoutShippingNeedsCard")) {
		t.Fatal("pay-at-the-stand checkout offers shipping, or does not say why it cannot")
	}
	resp, body := c.checkout(url.Values{fmt.Sprintf("fulfil_%d", potter.ID): {"shipping"}, "ship_name": {"A"}, "ship_line1": {"Rue 1"},
		"ship_postcode": {"1000"}, "ship_city": {"Bruxelles"}, "ship_country": {"BE"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, escaped(a, "CheckoutShippingNeedsCard")) {
		t.Fatalf("shipping posted in pay-at-the-stand mode: %d, want 422 with the reason", resp.StatusCode)
	}
	if got := cartStock(t, a.db, vase.ID); got != 3 {
		t.Fatalf("stock %d after a refused order, want 3", got)
	}
}

// TestFirstTimeVisitorAddsFromTheProductPage: a visitor with no session yet sees the
// add-to-cart form on a product page and it works.
func TestFirstTimeVisitorAddsFromTheProductPage(t *testing.T) {
	a := newTestApp(t, nil)
	potter, _ := cartShop(t, a.db, true)
	vase := cartProduct(t, a.db, potter, "Vase", 4500, 3)
	c := a.client()
	_, page := c.get(fmt.Sprintf("/products/%d", vase.ID))
	if !strings.Contains(page, `action="/cart/add"`) {
		t.Fatal("a first-time visitor sees no add-to-cart form")
	}
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the add-to-cart form has no token")
	}
	resp, _ := c.post("/cart/add", url.Values{"_csrf": {m[1]}, "product_id": {fmt.Sprint(vase.ID)}, "quantity": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add from the product page: %d, want 303", resp.StatusCode)
	}
	if _, body := c.get("/cart"); !strings.Contains(body, "Vase") {
		t.Fatal("the piece is not in the cart")
	}
}
