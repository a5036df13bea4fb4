package handlers

// Fulfilment: the artisans' side of orders (/studio/orders, the packing list per fair, marking
// parts ready / shipped / delivered, handing a part over at the stand by scanning or typing its
// pickup code, sales made on the stand) and the organizers' side (/admin/orders with filters,
// order detail with payment events and refunds, CSV exports, settlement per artisan and fair).
// Every artisan query is scoped to the signed-in artisan in models: another artisan's part is a
// 404 and another artisan's pickup code is refused without saying whose it is.

import (
	"bufio"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
)

// Message ids of the part and order states (literals so the catalog test checks them).
var (
	fulPartStatusMessages = map[models.PartStatus]string{
		models.PartPending: "FulPart_pending", models.PartToPrepare: "FulPart_to_prepare", models.PartReady: "FulPart_ready",
		models.PartShipped: "FulPart_shipped", models.PartPickedUp: "FulPart_picked_up", models.PartDelivered: "FulPart_delivered",
		models.PartCancelled: "FulPart_cancelled", models.PartRefunded: "FulPart_refunded",
	}
	fulOrderStatusMessages = map[models.OrderStatus]string{
		models.OrderPendingPayment: "FulOrder_pending_payment", models.OrderPaid: "FulOrder_paid", models.OrderCompleted: "FulOrder_completed",
		models.OrderCancelled: "FulOrder_cancelled", models.OrderExpired: "FulOrder_expired", models.OrderRefunded: "FulOrder_refunded",
		models.OrderNeedsReview: "FulOrder_needs_review",
	}
	fulPartStatusFilter = []models.PartStatus{models.PartToPrepare, models.PartReady, models.PartShipped, models.PartPickedUp,
		models.PartDelivered, models.PartPending, models.PartCancelled, models.PartRefunded}
)

// fulOption is one choice of a filter select.
type fulOption struct {
	Value, Label string // Label is a message id unless Raw
	Raw          bool
	Selected     bool
}

// fulQueryID reads a positive id from the query string (0 when absent or malformed).
func fulQueryID(c *fiber.Ctx, name string) int64 {
	id, err := strconv.ParseInt(c.Query(name), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// fulPager returns the previous and next page links of a list (empty when none).
func fulPager(path string, q url.Values, page int, total int64) (prev, next string, pages int) {
	pages = int((total + models.PartsPerPage - 1) / models.PartsPerPage)
	at := func(n int) string {
		q.Set("page", strconv.Itoa(n))
		return path + "?" + q.Encode()
	}
	if page > 1 {
		prev = at(page - 1)
	}
	if page < pages {
		next = at(page + 1)
	}
	q.Del("page")
	return prev, next, pages
}

// ---- Artisans: orders ----

type fulStudioOrdersData struct {
	Artisan      *models.Artisan
	Parts        []models.ArtisanPart
	Total        int64
	Count        int
	Statuses     []fulOption
	Fairs        []fulOption
	Filtered     bool
	Page, Pages  int
	PrevURL      string
	NextURL      string
	ErrorPartID  int64 // the part whose tracking field has an error
	PackingFairs []models.Fair
}

func (h *Handler) fulStudioOrdersData(c *fiber.Ctx) (fulStudioOrdersData, error) {
	a, err := h.studioArtisan(c)
	if err != nil {
		return fulStudioOrdersData{}, err
	}
	d := fulStudioOrdersData{Artisan: a, Page: queryPage(c)}
	if a == nil {
		return d, nil
	}
	u := currentUser(c)
	f := models.ArtisanPartFilter{Page: d.Page, FairID: fulQueryID(c, "fair")}
	status := c.Query("status")
	d.Statuses = []fulOption{{Value: "", Label: "FulAllStates", Selected: status == ""}}
	for _, s := range fulPartStatusFilter {
		if string(s) == status {
			f.Status = s
		}
		d.Statuses = append(d.Statuses, fulOption{Value: string(s), Label: fulPartStatusMessages[s], Selected: string(s) == status})
	}
	fairs, err := models.ArtisanFairs(c.UserContext(), h.db, u.ID)
	if err != nil {
		return d, err
	}
	d.PackingFairs = fairs
	d.Fairs = []fulOption{{Value: "", Label: "FulAllFairs", Selected: f.FairID == 0}}
	for _, fr := range fairs {
		d.Fairs = append(d.Fairs, fulOption{Value: strconv.FormatInt(fr.ID, 10), Label: fr.Name, Raw: true, Selected: fr.ID == f.FairID})
	}
	d.Filtered = f.Status != "" || f.FairID != 0
	d.Parts, d.Total, err = models.ListArtisanParts(c.UserContext(), h.db, u.ID, f)
	if err != nil {
		return d, err
	}
	d.Count = int(d.Total)
	q := url.Values{}
	if f.Status != "" {
		q.Set("status", string(f.Status))
	}
	if f.FairID != 0 {
		q.Set("fair", strconv.FormatInt(f.FairID, 10))
	}
	d.PrevURL, d.NextURL, d.Pages = fulPager("/studio/orders", q, d.Page, d.Total)
	return d, nil
}

func (h *Handler) showStudioOrders(c *fiber.Ctx) error {
	d, err := h.fulStudioOrdersData(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "FulOrdersTitle")
	page.Form = newForm()
	page.Data = d
	return h.render(c, fiber.StatusOK, tplFulStudioOrders, page)
}

// FulPartStatus and FulOrderStatus name a state for templates.
func (p *Page) FulPartStatus(s models.PartStatus) string { return p.T(fulPartStatusMessages[s]) }

// FulOrderStatus names an order state in the page's language.
func (p *Page) FulOrderStatus(s models.OrderStatus) string { return p.T(fulOrderStatusMessages[s]) }

// FulDateTime writes an instant as day and hour (in Morocco's time, like the e-mails).
func (p *Page) FulDateTime(t time.Time) string {
	local := t.In(artisanZone)
	return formatDate(p.Lang, local) + " " + local.Format("15:04")
}

// partAction runs one step on the artisan's part and answers like every studio form.
func (h *Handler) partAction(c *fiber.Ctx, step func(userID, partID int64) error, flash string) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := step(currentUser(c).ID, id); err != nil {
		return fulPartStepError(id, err)
	}
	webSessionOf(c).addFlash("success", flash)
	return c.Redirect(fulBack(c), fiber.StatusSeeOther)
}

// fulPartStepError maps a refused step to a clear 409 (never a 500); another artisan's part is 404.
func fulPartStepError(id int64, err error) error {
	switch {
	case errors.Is(err, models.ErrOrderNotPaid):
		return httpError(fiber.StatusConflict, "FulNotPaid", err)
	case errors.Is(err, models.ErrAlreadyHandedOver):
		return httpError(fiber.StatusConflict, "FulAlreadyHandedOver", err)
	case errors.Is(err, models.ErrWrongFulfilment):
		return httpError(fiber.StatusConflict, "FulNotPickup", err)
	case errors.Is(err, models.ErrInvalidState):
		return httpError(fiber.StatusConflict, "FulStepConflict", err)
	}
	return fmt.Errorf("part %d: %w", id, err)
}

// fulBack is where a part's form returns: the packing list it came from, or the orders.
func fulBack(c *fiber.Ctx) string {
	if fair, err := strconv.ParseInt(c.FormValue("back_fair"), 10, 64); err == nil && fair > 0 {
		return "/studio/orders/packing?fair=" + strconv.FormatInt(fair, 10)
	}
	return "/studio/orders"
}

func (h *Handler) markPartReady(c *fiber.Ctx) error {
	return h.partAction(c, func(userID, partID int64) error {
		_, err := models.MarkPartReady(c.UserContext(), h.db, userID, partID, time.Now().UTC())
		return err
	}, "FulFlashReady")
}

func (h *Handler) markPartDelivered(c *fiber.Ctx) error {
	return h.partAction(c, func(userID, partID int64) error {
		_, err := models.MarkPartDelivered(c.UserContext(), h.db, userID, partID, time.Now().UTC())
		return err
	}, "FulFlashDelivered")
}

type fulTrackingInput struct {
	Tracking string `form:"tracking_number" validate:"max=100"`
}

func (h *Handler) markPartShipped(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var in fulTrackingInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	u := currentUser(c)
	if !form.HasErrors() {
		_, err = models.MarkPartShipped(c.UserContext(), h.db, u.ID, id, in.Tracking, time.Now().UTC())
		if err == nil {
			webSessionOf(c).addFlash("success", "FulFlashShipped")
			return c.Redirect(fulBack(c), fiber.StatusSeeOther)
		}
		if !mergeValidation(form, err) {
			return fulPartStepError(id, err)
		}
	}
	// The tracking number is missing: the orders again, the error next to that part's field.
	if _, err := models.GetArtisanPart(c.UserContext(), h.db, u.ID, id); err != nil {
		return err
	}
	d, err := h.fulStudioOrdersData(c)
	if err != nil {
		return err
	}
	d.ErrorPartID = id
	page := h.newPage(c, "FulOrdersTitle")
	page.Form = form
	page.Data = d
	return h.render(c, fiber.StatusUnprocessableEntity, tplFulStudioOrders, page)
}

// ---- Artisans: packing list ----

type fulPackingData struct {
	Artisan *models.Artisan
	Fairs   []models.Fair
	Packing *models.Packing
}

func (h *Handler) showPackingList(c *fiber.Ctx) error {
	a, err := h.studioArtisan(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "FulPackingTitle")
	d := fulPackingData{Artisan: a}
	if a != nil {
		u := currentUser(c)
		if d.Fairs, err = models.ArtisanFairs(c.UserContext(), h.db, u.ID); err != nil {
			return err
		}
		fairID := fulQueryID(c, "fair")
		if fairID == 0 && c.Query("fair") != "" {
			return errNotFound
		}
		if fairID == 0 && len(d.Fairs) == 1 {
			fairID = d.Fairs[0].ID
		}
		if fairID != 0 {
			list, err := models.PackingList(c.UserContext(), h.db, u.ID, fairID)
			if err != nil {
				return err
			}
			d.Packing = &list
			page.Title = page.T("FulPackingFor", "Fair", list.Fair.Name)
		}
	}
	page.Data = d
	return h.render(c, fiber.StatusOK, tplFulPacking, page)
}

// ---- Artisans: pickup at the stand ----

type fulPickupData struct {
	Artisan *models.Artisan
	Part    *models.ArtisanPart
	// Refusal explains why the part cannot be handed over now (message id).
	Refusal string
	Done    *models.HandOver
}

type fulPickupInput struct {
	Code string `form:"pickup_code" validate:"required,max=200"`
}

// fulPickupRefusal is the message id of why a part found by its code cannot be handed over.
func fulPickupRefusal(p models.ArtisanPart) string {
	switch {
	case p.CanHandOver():
		return ""
	case p.Status == models.PartPickedUp || p.Status == models.PartDelivered:
		return "FulAlreadyHandedOver"
	case !p.Settled():
		return "FulNotPaid"
	case p.Fulfilment != models.FulfilPickup:
		return "FulNotPickup"
	}
	return "FulStepConflict"
}

func (h *Handler) showPickup(c *fiber.Ctx) error {
	a, err := h.studioArtisan(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "FulPickupTitle")
	page.Form = newForm()
	d := fulPickupData{Artisan: a}
	status := fiber.StatusOK
	// The QR code's link carries "code"; the typed form sends "pickup_code", and the part is
	// shown first so the artisan checks the pieces (and takes the payment) before handing over.
	code := c.Query("code", c.Query("pickup_code"))
	if code == "" && a != nil && c.Context().QueryArgs().Has("pickup_code") {
		page.Form.Errors["pickup_code"] = "FieldRequired"
		status = fiber.StatusUnprocessableEntity
	}
	if code != "" && a != nil {
		page.Form.Values["pickup_code"] = models.NormalizePickupCode(code)
		p, err := models.FindPickupPart(c.UserContext(), h.db, currentUser(c).ID, code)
		switch {
		case errors.Is(err, models.ErrNotYourOrder):
			page.Form.Errors["pickup_code"] = "FulNotYourOrder"
			status = fiber.StatusNotFound
		case err != nil:
			if !mergeValidation(page.Form, err) {
				return err
			}
			status = fiber.StatusUnprocessableEntity
		default:
			d.Part, d.Refusal = &p, fulPickupRefusal(p)
			delete(page.Form.Values, "pickup_code") // the field below is for another code
		}
	}
	page.Data = d
	return h.render(c, status, tplFulPickup, page)
}

func (h *Handler) handOver(c *fiber.Ctx) error {
	var in fulPickupInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	a, err := h.studioArtisan(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "FulPickupTitle")
	page.Form = form
	d := fulPickupData{Artisan: a}
	status := fiber.StatusUnprocessableEntity
	if !form.HasErrors() && a == nil {
		form.Errors["pickup_code"] = "FulNotYourOrder"
	}
	if !form.HasErrors() {
		res, err := models.HandOverByCode(c.UserContext(), h.db, currentUser(c).ID, in.Code, time.Now().UTC())
		switch {
		case err == nil:
			ws := webSessionOf(c)
			ws.addFlashArgs("success", "FulFlashHandedOver", "Order", res.Part.OrderCode, "Buyer", res.Part.BuyerFirstName())
			if res.OrderCompleted {
				ws.addFlashArgs("info", "FulFlashOrderCompleted", "Order", res.Part.OrderCode)
			}
			return c.Redirect("/studio/pickup", fiber.StatusSeeOther)
		case errors.Is(err, models.ErrNotYourOrder):
			form.Errors["pickup_code"] = "FulNotYourOrder"
		case errors.Is(err, models.ErrInvalidState):
			// Show the part with the reason: already handed over, not paid, not a pickup.
			p, ferr := models.FindPickupPart(c.UserContext(), h.db, currentUser(c).ID, in.Code)
			if ferr != nil {
				return ferr
			}
			d.Part, d.Refusal = &p, fulPickupRefusal(p)
			if d.Refusal == "" {
				d.Refusal = "FulStepConflict"
			}
			status = fiber.StatusConflict
		default:
			if !mergeValidation(form, err) {
				return fmt.Errorf("hand over: %w", err)
			}
		}
	}
	form.Values["pickup_code"] = models.NormalizePickupCode(in.Code)
	page.Data = d
	return h.render(c, status, tplFulPickup, page)
}

// ---- Artisans: sales on the stand ----

type fulStandSalesData struct {
	Artisan  *models.Artisan
	Products []fulOption
	Fairs    []fulOption
	Sales    []models.StandSaleRow
}

type fulStandSaleInput struct {
	Product  string `form:"sale_product" validate:"required,max=20"`
	Quantity string `form:"sale_quantity" validate:"required,max=4"`
	Fair     string `form:"sale_fair" validate:"max=20"`
}

func (h *Handler) fulStandSalesData(c *fiber.Ctx, form *Form) (fulStandSalesData, error) {
	a, err := h.studioArtisan(c)
	if err != nil {
		return fulStandSalesData{}, err
	}
	d := fulStandSalesData{Artisan: a}
	if a == nil {
		return d, nil
	}
	u := currentUser(c)
	lang, _ := c.Locals(localsLang).(string)
	products, err := models.ListOwnProducts(c.UserContext(), h.db, a.ID)
	if err != nil {
		return d, err
	}
	for _, p := range products {
		if p.Status == models.ProductArchived {
			continue
		}
		label := p.Title(lang)
		if !p.MadeToOrder {
			label += " — " + h.tr.localize(lang, "FulStockLeft", p.Stock, map[string]any{"Count": p.Stock})
		}
		v := strconv.FormatInt(p.ID, 10)
		d.Products = append(d.Products, fulOption{Value: v, Label: label, Raw: true, Selected: form.Value("sale_product") == v})
	}
	fairs, err := models.ArtisanFairs(c.UserContext(), h.db, u.ID)
	if err != nil {
		return d, err
	}
	for i, f := range fairs {
		v := strconv.FormatInt(f.ID, 10)
		sel := form.Value("sale_fair") == v || (form.Value("sale_fair") == "" && i == 0)
		d.Fairs = append(d.Fairs, fulOption{Value: v, Label: f.Name, Raw: true, Selected: sel})
	}
	d.Sales, err = models.ListStandSales(c.UserContext(), h.db, u.ID, 20)
	return d, err
}

func (h *Handler) showStandSales(c *fiber.Ctx) error {
	page := h.newPage(c, "FulStandSalesTitle")
	page.Form = newForm()
	page.Form.Values["sale_quantity"] = "1"
	d, err := h.fulStandSalesData(c, page.Form)
	if err != nil {
		return err
	}
	page.Data = d
	return h.render(c, fiber.StatusOK, tplFulStandSales, page)
}

func (h *Handler) recordStandSale(c *fiber.Ctx) error {
	var in fulStandSaleInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	qty, ok := parseCount(in.Quantity)
	if in.Quantity != "" && (!ok || qty < 1) {
		form.Errors["sale_quantity"] = "FulSaleQuantityInvalid"
	}
	productID, perr := strconv.ParseInt(in.Product, 10, 64)
	if in.Product != "" && (perr != nil || productID <= 0) {
		form.Errors["sale_product"] = "FulSaleProductInvalid"
	}
	fairID, ferr := strconv.ParseInt(in.Fair, 10, 64)
	if in.Fair != "" && (ferr != nil || fairID <= 0) {
		form.Errors["sale_fair"] = "FieldInvalidChoice"
	}
	if !form.HasErrors() {
		a, aerr := h.studioArtisan(c)
		if aerr != nil {
			return aerr
		}
		if a == nil {
			webSessionOf(c).addFlash("error", "FlashProfileFirst")
			return c.Redirect("/studio/profile", fiber.StatusSeeOther)
		}
		_, err = models.RecordStandSale(c.UserContext(), h.db, currentUser(c).ID, productID, qty, fairID, time.Now().UTC())
		switch {
		case err == nil:
			webSessionOf(c).addFlashArgs("success", "FulFlashStandSale", "Count", strconv.Itoa(qty))
			return c.Redirect("/studio/stand-sales", fiber.StatusSeeOther)
		case errors.Is(err, models.ErrNotEnoughStock):
			form.Errors["sale_quantity"] = "FulNotEnoughStock"
		case errors.Is(err, models.ErrNotFound):
			form.Errors["sale_product"] = "FulSaleProductInvalid"
		default:
			if !mergeValidation(form, err) {
				return fmt.Errorf("record stand sale: %w", err)
			}
		}
	}
	page := h.newPage(c, "FulStandSalesTitle")
	page.Form = form
	d, err := h.fulStandSalesData(c, form)
	if err != nil {
		return err
	}
	page.Data = d
	return h.render(c, fiber.StatusUnprocessableEntity, tplFulStandSales, page)
}

// ---- Organizers: orders ----

type fulAdminOrdersData struct {
	List      models.OrderList
	Fairs     []fulOption
	Artisans  []fulOption
	Statuses  []fulOption
	From, To  string
	Filtered  bool
	Page      int
	Pages     int
	PrevURL   string
	NextURL   string
	ExportURL string
}

// fulOrderFilter reads the organizers' filters from the query string; malformed values are ignored.
func fulOrderFilter(c *fiber.Ctx) (models.OrderFilter, url.Values) {
	f := models.OrderFilter{FairID: fulQueryID(c, "fair"), ArtisanID: fulQueryID(c, "artisan"), Page: queryPage(c)}
	q := url.Values{}
	for _, s := range models.OrderStatuses {
		if string(s) == c.Query("status") {
			f.Status = s
			q.Set("status", string(s))
		}
	}
	if f.FairID != 0 {
		q.Set("fair", strconv.FormatInt(f.FairID, 10))
	}
	if f.ArtisanID != 0 {
		q.Set("artisan", strconv.FormatInt(f.ArtisanID, 10))
	}
	if d, err := time.Parse(time.DateOnly, c.Query("from")); err == nil {
		f.From = &d
		q.Set("from", d.Format(time.DateOnly))
	}
	if d, err := time.Parse(time.DateOnly, c.Query("to")); err == nil {
		end := d.AddDate(0, 0, 1) // the whole last day
		f.To = &end
		q.Set("to", d.Format(time.DateOnly))
	}
	return f, q
}

func (h *Handler) showAdminOrders(c *fiber.Ctx) error {
	f, q := fulOrderFilter(c)
	list, err := models.ListOrders(c.UserContext(), h.db, f)
	if err != nil {
		return err
	}
	d := fulAdminOrdersData{List: list, Page: f.Page, From: q.Get("from"), To: q.Get("to"), Filtered: len(q) > 0}
	d.ExportURL = "/admin/orders.csv"
	if len(q) > 0 {
		d.ExportURL += "?" + q.Encode()
	}
	var fairs []models.Fair
	if err := h.db.WithContext(c.UserContext()).Order("starts_on DESC, id").Find(&fairs).Error; err != nil {
		return fmt.Errorf("list fairs: %w", err)
	}
	d.Fairs = []fulOption{{Value: "", Label: "FulAllFairs", Selected: f.FairID == 0}}
	for _, fr := range fairs {
		d.Fairs = append(d.Fairs, fulOption{Value: strconv.FormatInt(fr.ID, 10), Label: fr.Name, Raw: true, Selected: fr.ID == f.FairID})
	}
	artisans, err := models.ListOrderArtisans(c.UserContext(), h.db)
	if err != nil {
		return err
	}
	d.Artisans = []fulOption{{Value: "", Label: "FulAllArtisans", Selected: f.ArtisanID == 0}}
	for _, a := range artisans {
		d.Artisans = append(d.Artisans, fulOption{Value: strconv.FormatInt(a.ID, 10), Label: a.BusinessName, Raw: true, Selected: a.ID == f.ArtisanID})
	}
	d.Statuses = []fulOption{{Value: "", Label: "FulAllStates", Selected: f.Status == ""}}
	for _, s := range models.OrderStatuses {
		d.Statuses = append(d.Statuses, fulOption{Value: string(s), Label: fulOrderStatusMessages[s], Selected: s == f.Status})
	}
	d.PrevURL, d.NextURL, d.Pages = fulPager("/admin/orders", q, f.Page, list.Total)
	page := h.newPage(c, "FulAdminOrdersTitle")
	page.Data = d
	return h.render(c, fiber.StatusOK, tplFulAdminOrders, page)
}

func (h *Handler) showAdminOrder(c *fiber.Ctx) error {
	code := c.Params("code")
	if code == "" || len(code) > 40 {
		return errNotFound
	}
	d, err := models.GetOrderAdmin(c.UserContext(), h.db, code)
	if err != nil {
		return err
	}
	page := h.newPage(c, "FulAdminOrderTitle")
	page.Title = page.T("FulAdminOrderHeading", "Code", d.Order.Code)
	page.Form = newForm()
	page.Data = d
	return h.render(c, fiber.StatusOK, tplFulAdminOrder, page)
}

// fulSendCSV streams a CSV download with a safe file name.
func fulSendCSV(c *fiber.Ctx, name string, write func(w *bufio.Writer) error) error {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	var buf strings.Builder
	w := bufio.NewWriter(&buf)
	if err := write(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return c.SendString(buf.String())
}

func (h *Handler) exportOrders(c *fiber.Ctx) error {
	f, _ := fulOrderFilter(c)
	return fulSendCSV(c, "orders.csv", func(w *bufio.Writer) error {
		return models.WriteOrdersCSV(c.UserContext(), h.db, f, w)
	})
}

// ---- Organizers: settlement ----

type fulSettlementData struct {
	Settlement models.Settlement
	Percent    string
}

// fulFormatPercent writes basis points as a percentage for the form: 1250 → "12,5" ("12.5" in English).
func fulFormatPercent(lang string, bp int) string {
	s := strconv.FormatFloat(float64(bp)/100, 'f', -1, 64)
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// fulParsePercent reads "10", "12,5" or "12.50" as basis points; at most two decimals.
func fulParsePercent(s string) (int, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(asciiDigits(s)), "%")
	s = strings.TrimSpace(strings.Replace(s, ",", ".", 1))
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 3 || len(frac) > 2 || strings.Trim(whole+frac, "0123456789") != "" {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.Atoi(whole + frac)
	return n, err == nil
}

func (h *Handler) showSettlement(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	s, err := models.SettlementReport(c.UserContext(), h.db, id)
	if err != nil {
		return err
	}
	page := h.newPage(c, "FulSettlementTitle")
	page.Title = page.T("FulSettlementFor", "Fair", s.Fair.Name)
	page.Form = newForm()
	page.Form.Values["commission_percent"] = fulFormatPercent(page.Lang, s.Fair.CommissionBP)
	page.Data = fulSettlementData{Settlement: s}
	return h.render(c, fiber.StatusOK, tplFulSettlement, page)
}

type fulCommissionInput struct {
	Percent string `form:"commission_percent" validate:"required,max=10"`
}

func (h *Handler) setCommission(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var in fulCommissionInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	if !form.HasErrors() {
		bp, ok := fulParsePercent(in.Percent)
		if !ok {
			form.Errors["commission_percent"] = "FulCommissionInvalid"
		} else {
			_, err := models.SetFairCommission(c.UserContext(), h.db, *currentUser(c), id, bp)
			if err == nil {
				webSessionOf(c).addFlash("success", "FulFlashCommission")
				return c.Redirect(fmt.Sprintf("/admin/fairs/%d/settlement", id), fiber.StatusSeeOther)
			}
			if !mergeValidation(form, err) {
				return fmt.Errorf("set commission of fair %d: %w", id, err)
			}
		}
	}
	s, err := models.SettlementReport(c.UserContext(), h.db, id)
	if err != nil {
		return err
	}
	page := h.newPage(c, "FulSettlementTitle")
	page.Title = page.T("FulSettlementFor", "Fair", s.Fair.Name)
	page.Form = form
	page.Data = fulSettlementData{Settlement: s}
	return h.render(c, fiber.StatusUnprocessableEntity, tplFulSettlement, page)
}

func (h *Handler) exportSettlement(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var fairs []models.Fair
	if err := h.db.WithContext(c.UserContext()).Where("id = ?", id).Limit(1).Find(&fairs).Error; err != nil {
		return fmt.Errorf("settlement export: fair %d: %w", id, err)
	}
	if len(fairs) == 0 {
		return errNotFound
	}
	return fulSendCSV(c, "settlement-"+fairs[0].Slug+".csv", func(w *bufio.Writer) error {
		return models.WriteSettlementCSV(c.UserContext(), h.db, id, w)
	})
}
