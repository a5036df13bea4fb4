package handlers

// The first acceptance point of issue 5 in headless Chromium, with no Stripe key (pay at the
// stand): a visitor browsing in Arabic puts two products of two artisans in the cart, reserves
// them with pickup at the artisans' stands and gets a QR code and a pickup code per artisan;
// the stock is held; each artisan sees the pieces on the packing list of the fair; at the
// fair the first artisan types the other's code (refused) and then the visitor's code for
// their own part, the second artisan types theirs, and the visitor's order page says it is
// completed. Only the fair, the stands and the artisans' accounts and products are made
// outside the browser.

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/soukexpo/souk/models"
)

var orderPageURL = regexp.MustCompile(`/orders/(SX-[A-Z0-9-]+)`)

// paintPhotos stores a plain picture of the given colour under every variant of the product's
// photos, so that the pages show an image where the fixture only wrote database rows.
func paintPhotos(t *testing.T, live *liveApp, productID int64, rgb [3]uint8) {
	t.Helper()
	var photos []models.Photo
	mustDo(t, live.db.Where("product_id = ?", productID).Find(&photos).Error)
	for _, ph := range photos {
		for _, v := range strings.Split(ph.Variants, ",") {
			w, _ := strconv.Atoi(v)
			img := image.NewRGBA(image.Rect(0, 0, w, w*3/4))
			for y := range w * 3 / 4 {
				shade := uint8(y * 60 / (w * 3 / 4))
				for x := range w {
					img.Set(x, y, color.RGBA{R: rgb[0] + shade, G: rgb[1] + shade/2, B: rgb[2], A: 255})
				}
			}
			var buf bytes.Buffer
			mustDo(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}))
			mustDo(t, live.h.store.Put(context.Background(), ph.KeyBase+"-"+v+".jpg", bytes.NewReader(buf.Bytes()), int64(buf.Len()), "image/jpeg"))
		}
	}
}

func TestBrowserPayAtStandJourney(t *testing.T) {
	browser := newBrowser(t) // skips (or fails under SOUK_REQUIRE_SERVICES=1) without TEST_CHROMIUM
	live := startLiveApp(t)
	ctx, cancel := context.WithTimeout(browser, 4*time.Minute)
	defer cancel()
	db := live.db
	u := func(path string) string { return live.url + path }
	shotDir := os.Getenv("SOUK_SCREENSHOTS_DIR")
	shot := func(tab context.Context, name string, width int64) {
		t.Helper()
		journeyShot(t, tab, "order-journey-"+name, width)
	}
	flash := func(tab context.Context, name, kind, want string) { t.Helper(); waitFlash(t, tab, name, kind, want) }
	newTab := func() context.Context { t.Helper(); return journeyTab(t, ctx) }
	stock := func(id int64) int {
		t.Helper()
		var p models.Product
		if err := db.Where("id = ?", id).Take(&p).Error; err != nil {
			t.Fatalf("product %d: %v", id, err)
		}
		return p.Stock
	}

	// Outside the browser: an open fair a month away with two stands, two verified artisans
	// of different regions, each accepted with a stand and selling one piece for pickup.
	fx := newFixtures(t, db)
	suffix := fixtureSuffix()
	start := time.Now().UTC().AddDate(0, 1, 0).Truncate(24 * time.Hour)
	fair := models.Fair{Slug: "salon-retrait-" + suffix, Name: "Salon du retrait " + suffix, City: "Bruxelles", Country: "BE",
		Venue: "Tour & Taxis", StartsOn: start, EndsOn: start.AddDate(0, 0, 2), Timezone: "Europe/Brussels", Status: models.FairOpen}
	mustDo(t, db.Create(&fair).Error)
	hall := models.Hall{FairID: fair.ID, Name: "Hall 1", WidthCm: 3000, DepthCm: 2000}
	mustDo(t, db.Create(&hall).Error)
	type seller struct {
		artisan models.Artisan
		email   string
		stand   string
		product models.Product
		tab     context.Context
	}
	sellers := [2]*seller{}
	for i, s := range []struct{ business, region, craft, city, stand, title string }{
		{"Atelier Nour", "FM", "zellige", "Fès", "A3", "Plateau en zellige"},
		{"Dar Tazarin", "MS", "carpets", "Marrakech", "B7", "Coussin berbère"},
	} {
		email := fmt.Sprintf("retrait-%d-%s@example.ma", i, suffix)
		a := fx.artisan(artisanSpec{email: email, business: s.business, region: s.region, craft: s.craft, city: s.city, status: models.ArtisanVerified})
		stand := models.Stand{FairID: fair.ID, HallID: hall.ID, Code: s.stand, Kind: "standard", XCm: 300 + i*900, YCm: 300,
			WidthCm: 300, DepthCm: 300, Status: models.StandAssigned}
		mustDo(t, db.Create(&stand).Error)
		mustDo(t, db.Create(&models.Application{FairID: fair.ID, ArtisanID: a.ID, Status: models.AppAccepted, StandID: &stand.ID}).Error)
		stockOf := []int{3, 1}[i]
		p := fx.product(a, models.ProductInput{TitleFR: s.title, PriceCents: int64([]int{4500, 12000}[i]), Stock: stockOf, PickupAtFair: true}, 1, true)
		paintPhotos(t, live, p.ID, [3]uint8{[]uint8{40, 110}[i], []uint8{120, 60}[i], []uint8{140, 50}[i]})
		sellers[i] = &seller{artisan: a, email: email, stand: s.stand, product: p}
	}
	plate, cushion := sellers[0].product, sellers[1].product
	ar := func(id string) string { return live.tr("ar", id) }

	// ---- 1. The visitor, in Arabic, puts two plates and the cushion in the cart. ----
	visitor := newTab()
	addToCart := func(p models.Product, qty int) {
		t.Helper()
		name := fmt.Sprintf("visitor adds %d × %s", qty, p.TitleFR)
		fairStep(t, visitor, name+": product page",
			chromedp.Navigate(u(fmt.Sprintf("/products/%d?lang=ar", p.ID))),
			chromedp.WaitVisible(chromedp.CSS(`.add-to-cart button[type="submit"], a[href="/cart?add=`+fmt.Sprint(p.ID)+`"]`)),
			pageLoaded,
		)
		if dir := fairGet(t, visitor, name+": direction", chromedp.Evaluate[string](`document.documentElement.dir`)); dir != "rtl" {
			t.Fatalf("%s: the Arabic page is %q, want rtl", name, dir)
		}
		// A first visit has no session yet: the button is a link to the cart's add box.
		qty1 := fmt.Sprint(qty)
		hasForm := fairGet(t, visitor, name+": form?", chromedp.Evaluate[bool](`!!document.querySelector('.add-to-cart')`))
		if hasForm {
			fairStep(t, visitor, name+": add",
				chromedp.SetValue(chromedp.CSS(`.add-to-cart #f-quantity`), qty1),
				chromedp.Click(chromedp.CSS(`.add-to-cart button[type="submit"]`)),
			)
		} else {
			fairStep(t, visitor, name+": add",
				chromedp.Click(chromedp.CSS(`a[href="/cart?add=`+fmt.Sprint(p.ID)+`"]`)),
				chromedp.WaitVisible(chromedp.CSS(`#f-add-qty`)),
				pageLoaded,
				chromedp.SetValue(chromedp.CSS(`#f-add-qty`), qty1),
				chromedp.Click(chromedp.CSS(`.cart-add-box button[type="submit"]`)),
			)
		}
		fairStep(t, visitor, name+": in the cart",
			chromedp.WaitVisible(chromedp.CSS(`.cart-line a[href="/products/`+fmt.Sprint(p.ID)+`"]`)), pageLoaded)
	}
	addToCart(plate, 2)
	addToCart(cushion, 1)
	lines := fairGet(t, visitor, "cart lines", chromedp.Evaluate[int](`document.querySelectorAll('.cart-line').length`))
	if lines != 2 {
		t.Fatalf("cart shows %d lines, want 2\n%s", lines, pageState(visitor))
	}
	fairGet(t, visitor, "cart photos load", chromedp.Poll[bool](`(() => {
		const imgs = Array.from(document.querySelectorAll('.cart-line-photo img'));
		return imgs.length === 2 && imgs.every(i => i.complete && i.naturalWidth > 0);
	})()`))
	shot(visitor, "ar-cart-390", 390)
	shot(visitor, "ar-cart-1280", 1280)

	// ---- 2. Checkout: contact details, pickup at both stands, reserve. ----
	fairStep(t, visitor, "visitor opens the checkout",
		chromedp.Click(chromedp.CSS(`a[href="/checkout"].btn`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-name`)),
		pageLoaded,
	)
	for _, s := range sellers {
		radio := fmt.Sprintf(`input[name="fulfil_%d"][value="pickup"]`, s.artisan.ID)
		fairStep(t, visitor, "visitor picks up at "+s.stand, chromedp.Click(chromedp.CSS(radio)))
		offer := fairGet(t, visitor, "pickup offer at "+s.stand, chromedp.Evaluate[string](
			`document.querySelector('`+radio+`').closest('label, .form-check, fieldset').textContent`))
		if !strings.Contains(offer, s.stand) {
			t.Errorf("checkout's pickup choice for %s does not name stand %s: %q", s.artisan.BusinessName, s.stand, strings.Join(strings.Fields(offer), " "))
		}
	}
	// A first submission without an e-mail address: the error is next to the field, nothing is held.
	fairStep(t, visitor, "visitor forgets the e-mail",
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Nadia El Amrani"),
		chromedp.SendKeys(chromedp.CSS(`#f-phone`), "+32 470 12 34 56"),
		chromedp.Click(chromedp.CSS(`form.checkout-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-email[aria-invalid="true"]`)),
		pageLoaded,
	)
	if stock(plate.ID) != 3 || stock(cushion.ID) != 1 {
		t.Fatal("a refused checkout held stock")
	}
	if got := fairGet(t, visitor, "name kept", chromedp.Value(chromedp.CSS(`#f-name`))); got != "Nadia El Amrani" {
		t.Errorf("the refused checkout lost the name: %q", got)
	}
	fairStep(t, visitor, "visitor reserves",
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "nadia-"+suffix+"@example.be"),
		chromedp.Click(chromedp.CSS(`form.checkout-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.pickup-qr`)),
		pageLoaded,
	)
	loc := fairGet(t, visitor, "order page address", chromedp.Location())
	m := orderPageURL.FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("after reserving the visitor is at %s, want the order page", loc)
	}
	code := m[1]
	if stock(plate.ID) != 1 || stock(cushion.ID) != 0 {
		t.Fatalf("stock after the reservation: %d and %d, want 1 and 0 held", stock(plate.ID), stock(cushion.ID))
	}
	var order models.Order
	mustDo(t, db.Where("code = ?", code).Take(&order).Error)
	if order.Gateway != "stand" || order.TotalCents != 2*4500+12000 || order.Locale != "ar" {
		t.Fatalf("order %s: gateway %s total %d locale %s", code, order.Gateway, order.TotalCents, order.Locale)
	}
	// One QR code and one pickup code per artisan, the part headed by the artisan's name.
	type pickup struct{ Artisan, Code string }
	pickups := fairGet(t, visitor, "pickup codes", chromedp.Evaluate[[]pickup](`Array.from(document.querySelectorAll('.order-part')).map(s => ({
		Artisan: s.querySelector('h2 bdi').textContent.trim(),
		Code: (s.querySelector('.pickup-code strong.code') || {textContent: ''}).textContent.trim()}))`))
	qrs := fairGet(t, visitor, "QR codes", chromedp.Evaluate[int](`Array.from(document.querySelectorAll('svg.pickup-qr')).filter(svg => {
		const drawn = svg.querySelector('path').getBBox(), shown = svg.getBoundingClientRect();
		return shown.width >= 150 && drawn.width > 0.7 * svg.viewBox.baseVal.width;
	}).length`))
	if len(pickups) != 2 || qrs != 2 {
		t.Fatalf("order page: parts %+v, %d QR codes drawn; want 2 and 2", pickups, qrs)
	}
	codeOf := map[string]string{}
	for _, p := range pickups {
		codeOf[p.Artisan] = p.Code
	}
	for _, s := range sellers {
		if len(codeOf[s.artisan.BusinessName]) != 8 {
			t.Fatalf("no pickup code for %s: %+v", s.artisan.BusinessName, pickups)
		}
	}
	status := fairGet(t, visitor, "order status", chromedp.Text(chromedp.CSS(`.page-header .status-pill`)))
	if strings.TrimSpace(status) != ar("OrderStatus_pending_payment") {
		t.Errorf("order status shown %q, want %q", status, ar("OrderStatus_pending_payment"))
	}
	shot(visitor, "ar-order-390", 390)
	shot(visitor, "ar-order-1280", 1280)

	// ---- 3. Each artisan sees the pieces on the packing list of the fair. ----
	fr := func(id string) string { return live.tr("fr", id) }
	for i, s := range sellers {
		s.tab = newTab()
		journeyLogin(t, s.tab, live.url, s.artisan.BusinessName, s.email, testPassword)
		fairStep(t, s.tab, s.artisan.BusinessName+" opens the packing list",
			chromedp.Navigate(u("/studio/orders")),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/studio/orders/packing"]`)),
			pageLoaded,
			chromedp.Click(chromedp.CSS(`a[href="/studio/orders/packing"]`)),
			chromedp.WaitVisible(chromedp.CSS(`.ful-table`)),
			pageLoaded,
		)
		rows := fairGet(t, s.tab, s.artisan.BusinessName+" packing rows", chromedp.Evaluate[[][]string](
			`Array.from(document.querySelectorAll('#bring-h + table tbody tr')).map(tr => Array.from(tr.cells).slice(0, 3).map(td => td.textContent.trim()))`))
		want := [][]string{{s.product.TitleFR, fmt.Sprint(2 - i), code}}
		if fmt.Sprint(rows) != fmt.Sprint(want) {
			t.Errorf("%s's packing list: %q, want %q", s.artisan.BusinessName, rows, want)
		}
		if i == 0 {
			shot(s.tab, "fr-packing-390", 390)
			shot(s.tab, "fr-packing-1280", 1280)
		} else if shotDir != "" {
			fairStep(t, s.tab, "packing list in Arabic", chromedp.Navigate(u("/studio/orders/packing?lang=ar")), chromedp.WaitVisible(chromedp.CSS(`.ful-table`)), pageLoaded)
			shot(s.tab, "ar-packing-390", 390)
			shot(s.tab, "ar-packing-1280", 1280)
			fairStep(t, s.tab, "back to French", chromedp.Navigate(u("/studio/orders?lang=fr")), pageLoaded)
		}
	}

	// ---- 4. At the fair: the codes typed at the stands show the pieces, then hand them over. ----
	typeCode := func(s *seller, name, typed string) {
		t.Helper()
		fairStep(t, s.tab, name,
			chromedp.Navigate(u("/studio/pickup")),
			chromedp.WaitVisible(chromedp.CSS(`#f-pickup_code`)),
			pageLoaded,
			chromedp.Evaluate[chromedp.Void](staleFlashes),
			chromedp.SendKeys(chromedp.CSS(`#f-pickup_code`), typed),
			chromedp.Click(chromedp.CSS(`form.ful-code-form button[type="submit"]`)),
		)
	}
	// handOver checks the part the code opened (its pieces, the amount to take) and hands it over.
	handOver := func(s *seller, pieces string, cents int64, shotName string) {
		t.Helper()
		name := s.artisan.BusinessName + " hands over"
		fairStep(t, s.tab, name+": the part", chromedp.WaitVisible(chromedp.CSS(`.ful-pickup-part`)), pageLoaded)
		if shotName != "" {
			shot(s.tab, shotName, 390)
		}
		part := strings.Join(strings.Fields(fairGet(t, s.tab, name+": part text", chromedp.Text(chromedp.CSS(`.ful-pickup-part`)))), " ")
		collect := live.h.tr.localize("fr", "FulCollectPayment", nil, map[string]any{"Amount": formatEuros("fr", cents)})
		if !strings.Contains(part, code) || !strings.Contains(part, pieces) || !strings.Contains(part, strings.Join(strings.Fields(collect), " ")) {
			t.Errorf("%s: the part shows %q, want %s, %q and %q", name, part, code, pieces, collect)
		}
		fairStep(t, s.tab, name+": confirm", chromedp.Click(chromedp.CSS(`.ful-pickup-part form button[type="submit"]`)))
	}
	nour, tazarin := sellers[0], sellers[1]
	typeCode(nour, "Atelier Nour types Dar Tazarin's code", codeOf[tazarin.artisan.BusinessName])
	fairStep(t, nour.tab, "the wrong artisan's code is refused", chromedp.WaitVisible(chromedp.CSS(`#f-pickup_code[aria-invalid="true"]`)), pageLoaded)
	if got := fairGet(t, nour.tab, "refusal text", chromedp.Text(chromedp.CSS(`.ful-code-form`))); !strings.Contains(got, fr("FulNotYourOrder")) {
		t.Errorf("refusal %q, want %q", got, fr("FulNotYourOrder"))
	}
	if main := fairGet(t, nour.tab, "refusal page", chromedp.Text(chromedp.CSS(`#main`))); strings.Contains(main, tazarin.product.TitleFR) {
		t.Error("the refusal shows another artisan's pieces")
	}
	shot(nour.tab, "fr-pickup-refused-390", 390)
	// The code as a buyer might read it out: lower case, with a dash in the middle.
	own := strings.ToLower(codeOf[nour.artisan.BusinessName])
	typeCode(nour, "Atelier Nour types the visitor's code", own[:4]+"-"+own[4:])
	handOver(nour, "2 × "+plate.TitleFR, 9000, "fr-pickup-part-390")
	flash(nour.tab, "Atelier Nour hands over", "success", code)
	var left int64
	mustDo(t, db.Model(&models.OrderPart{}).Where("order_id = ? AND status <> ?", order.ID, models.PartPickedUp).Count(&left).Error)
	if left != 1 {
		t.Fatalf("after the first hand-over %d parts are not picked up, want 1", left)
	}
	// The same code again: the part is shown as already handed over, with no button.
	typeCode(nour, "Atelier Nour types the code again", own)
	fairStep(t, nour.tab, "a second hand-over is refused", chromedp.WaitVisible(chromedp.CSS(`.ful-refusal`)), pageLoaded)
	if got := fairGet(t, nour.tab, "second hand-over", chromedp.Text(chromedp.CSS(`.ful-refusal`))); got != fr("FulAlreadyHandedOver") {
		t.Errorf("second hand-over: %q, want %q", got, fr("FulAlreadyHandedOver"))
	}
	if n := fairGet(t, nour.tab, "hand-over buttons", chromedp.Evaluate[int](`document.querySelectorAll('.ful-pickup-part form').length`)); n != 0 {
		t.Error("a part already handed over still has a hand-over button")
	}
	// Dar Tazarin scans the QR code with the phone's camera. Headless Chromium has neither a
	// camera nor BarcodeDetector: the page gets a canvas as the camera and a detector that
	// reads the link the visitor's QR code holds (the order page drew it from that link), so
	// what is checked is the page's own scanning code: the button shows where scanning is
	// possible, the camera starts, and a detected code opens the part.
	qrLink := live.h.absURL("/studio/pickup?code=" + codeOf[tazarin.artisan.BusinessName])
	fakeScanner := `(() => {
			let frames = 0;
			window.BarcodeDetector = class {
				constructor(opts) { this.formats = opts.formats; }
				detect(source) { frames++; return Promise.resolve(frames > 3 ? [{format: 'qr_code', rawValue: ` + strconv.Quote(qrLink) + `}] : []); }
			};
			const canvas = document.createElement('canvas');
			canvas.width = 320; canvas.height = 240;
			navigator.mediaDevices.getUserMedia = () => {
				canvas.getContext('2d').fillRect(0, 0, 320, 240);
				return Promise.resolve(canvas.captureStream(10));
			};
		})()`
	if _, err := chromedp.Call(tazarin.tab, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: fakeScanner}); err != nil {
		t.Fatalf("give Dar Tazarin's phone a camera: %v", err)
	}
	fairStep(t, tazarin.tab, "Dar Tazarin scans the visitor's QR code",
		chromedp.Navigate(u("/studio/pickup")),
		chromedp.WaitVisible(chromedp.CSS(`[data-scan-start]`)),
		pageLoaded,
		chromedp.Click(chromedp.CSS(`[data-scan-start]`)),
	)
	handOver(tazarin, "1 × "+cushion.TitleFR, 12000, "")
	flash(tazarin.tab, "Dar Tazarin hands over", "info", code)
	shot(tazarin.tab, "fr-pickup-done-390", 390)

	// ---- 5. The visitor's order page: completed; nothing more to cancel. ----
	fairStep(t, visitor, "visitor reloads the order", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`.page-header .status-pill`)), pageLoaded)
	status = fairGet(t, visitor, "order status", chromedp.Text(chromedp.CSS(`.page-header .status-pill`)))
	if strings.TrimSpace(status) != ar("OrderStatus_completed") {
		t.Errorf("after both hand-overs the order shows %q, want %q", status, ar("OrderStatus_completed"))
	}
	if n := fairGet(t, visitor, "cancel form", chromedp.Evaluate[int](`document.querySelectorAll('.order-cancel').length`)); n != 0 {
		t.Error("a completed order still offers to cancel")
	}
	mustDo(t, db.Where("id = ?", order.ID).Take(&order).Error)
	if order.Status != models.OrderCompleted || order.PaidAt == nil {
		t.Fatalf("order %s is %s (paid %v), want completed and paid on site", code, order.Status, order.PaidAt)
	}
	if stock(plate.ID) != 1 || stock(cushion.ID) != 0 {
		t.Errorf("stock after the pickups: %d and %d, want 1 and 0", stock(plate.ID), stock(cushion.ID))
	}
	shot(visitor, "ar-order-completed-390", 390)
}
