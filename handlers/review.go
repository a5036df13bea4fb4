package handlers

// The organizers' review of booth applications, after the chamber of each region: the list
// of a fair's applications with counts per region and craft, filters and bulk decisions; one
// application with its decision, fee and stand; quotas per region; the ordered waitlist; the
// CSV export. Decisions, quotas, waitlist moves and fees live in models/application_review.go.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
)

// Message ids of the review pages; literals here so the catalog test checks them.
var (
	reviewDecisionLabels = map[models.Decision]string{
		models.DecisionAccept:   "ReviewDecisionAccept",
		models.DecisionWaitlist: "ReviewDecisionWaitlist",
		models.DecisionReject:   "ReviewDecisionReject",
		models.DecisionRelease:  "ReviewDecisionRelease",
	}
	reviewDecisionFlashes = map[models.Decision]string{
		models.DecisionAccept:   "FlashReviewAccepted",
		models.DecisionWaitlist: "FlashReviewWaitlisted",
		models.DecisionReject:   "FlashReviewRejected",
		models.DecisionRelease:  "FlashReviewReleased",
	}
	// reviewBulkDone counts what a bulk action did (plural messages).
	reviewBulkDone = map[models.Decision]string{
		models.DecisionAccept:   "ReviewBulkAccepted",
		models.DecisionWaitlist: "ReviewBulkWaitlisted",
		models.DecisionReject:   "ReviewBulkRejected",
	}
	reviewRecLabels = map[string]string{
		"":        "ReviewRecAny",
		"yes":     "ReviewRecYes",
		"no":      "ReviewRecNo",
		"pending": "ReviewRecPending",
	}
	// reviewHistoryLabels name the audit actions of an application.
	reviewHistoryLabels = map[string]string{
		"application.submit":         "ReviewHistSubmit",
		"application.update":         "ReviewHistUpdate",
		"application.chamber_review": "ReviewHistChamber",
		"application.withdraw":       "ReviewHistWithdraw",
		"application.decline_offer":  "ReviewHistDeclineOffer",
		"application.accept_offer":   "ReviewHistAcceptOffer",
		"application.accept":         "ReviewHistAccept",
		"application.waitlist":       "ReviewHistWaitlist",
		"application.reject":         "ReviewHistReject",
		"application.release":        "ReviewHistRelease",
		"application.offer_place":    "ReviewHistOfferPlace",
		"application.offer_expired":  "ReviewHistOfferExpired",
		"application.assign_stand":   "ReviewHistAssignStand",
		"application.unassign_stand": "ReviewHistUnassignStand",
		"application.fee_covered":    "ReviewHistFeeCovered",
		"application.fee_paid":       "ReviewHistFeePaid",
		"application.waitlist_move":  "ReviewHistWaitlistMove",
	}
)

// reviewBulkDecisions are the decisions offered on the list (release is one by one).
var reviewBulkDecisions = []models.Decision{models.DecisionAccept, models.DecisionWaitlist, models.DecisionReject}

func reviewAppURL(fairID, appID int64) string {
	return fairAdminURL(fairID) + "/applications/" + strconv.FormatInt(appID, 10)
}

// reviewFeeText says where a booth fee stands, with its amount.
func reviewFeeText(p *Page, state models.FeeState, cents int64) string {
	switch state {
	case models.FeeDue:
		return p.T("ReviewFeeDue", "Amount", p.Euros(cents))
	case models.FeeCovered:
		return p.T("ReviewFeeCovered")
	case models.FeePaid:
		return p.T("ReviewFeePaid", "Amount", p.Euros(cents))
	}
	return ""
}

// ---- filters ----

// reviewFilters are the list's query parameters; the URL they make is the list's address.
type reviewFilters struct {
	Region, Craft, Status, Rec, Q string
	Page                          int
}

func parseReviewFilters(q url.Values, ref refData) reviewFilters {
	var f reviewFilters
	if _, ok := ref.region(q.Get("region")); ok {
		f.Region = q.Get("region")
	}
	if _, ok := ref.craft(q.Get("craft")); ok {
		f.Craft = q.Get("craft")
	}
	if s := models.ApplicationStatus(q.Get("status")); slices.Contains(models.ApplicationStatuses, s) {
		f.Status = string(s)
	}
	if _, ok := reviewRecLabels[q.Get("rec")]; ok {
		f.Rec = q.Get("rec")
	}
	f.Q = strings.TrimSpace(q.Get("q"))
	if len([]rune(f.Q)) > 100 {
		f.Q = string([]rune(f.Q)[:100])
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 && n <= 100000 {
		f.Page = n
	}
	return f
}

func (f reviewFilters) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"region": f.Region, "craft": f.Craft, "status": f.Status, "rec": f.Rec, "q": f.Q} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// URL is the list's address with these filters on page n.
func (f reviewFilters) URL(base string, n int) string {
	v := f.values()
	if n > 1 {
		v.Set("page", strconv.Itoa(n))
	}
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

// Active tells whether any filter narrows the list.
func (f reviewFilters) Active() bool { return len(f.values()) > 0 }

func (f reviewFilters) model() models.ApplicationFilter {
	return models.ApplicationFilter{Region: f.Region, Craft: f.Craft, Status: models.ApplicationStatus(f.Status),
		Recommended: f.Rec, Q: f.Q, Page: max(f.Page, 1)}
}

// ---- /admin/fairs/:id/applications ----

type reviewOption struct {
	Value    string
	Label    string // message id, or a name when Raw
	Raw      bool
	Selected bool
}

type reviewStatRow struct {
	models.ApplicationStat
	Name      string
	URL       string
	OverQuota bool
	Full      bool
}

type reviewRow struct {
	models.FairApplicationRow
	Region    string
	Craft     string
	StatusMsg string // message id
	Rec       string // message id
	Fee       string
	URL       string
	Selected  bool
}

type reviewListData struct {
	Fair          models.Fair
	Base          string
	ListURL       string
	Filters       reviewFilters
	Regions       []reviewOption
	Crafts        []reviewOption
	Statuses      []reviewOption
	Recs          []reviewOption
	RegionStats   []reviewStatRow
	CraftStats    []reviewStatRow
	Totals        models.ApplicationStat
	Rows          []reviewRow
	Total         int
	Page          int
	Pages         int
	PrevURL       string
	NextURL       string
	PageLinks     []pageLink
	PastEnd       bool
	Decisions     []reviewOption
	Back          string
	CSVURL        string
	QuotasURL     string
	WaitlistURL   string
	AllocationURL string
	FairURL       string
}

// reviewListPage builds the list page for the filters; selected keeps the ticked boxes of a
// bulk form shown again.
func (h *Handler) reviewListPage(c *fiber.Ctx, fair models.Fair, ref refData, f reviewFilters, selected map[int64]bool) (*Page, error) {
	ctx := c.UserContext()
	stats, err := models.FairApplicationStats(ctx, h.db, fair.ID)
	if err != nil {
		return nil, fmt.Errorf("review list: %w", err)
	}
	rows, total, err := models.ListFairApplications(ctx, h.db, fair.ID, f.model())
	if err != nil {
		return nil, fmt.Errorf("review list: %w", err)
	}
	page := h.newPage(c, "ReviewTitle")
	page.Title = page.T("ReviewTitleFor", "Fair", fair.Name)
	base := fairAdminURL(fair.ID)
	listBase := base + "/applications"
	d := reviewListData{
		Fair: fair, Base: base, Filters: f, Totals: stats.Total, Total: int(total), Page: max(f.Page, 1),
		ListURL: listBase, Back: f.URL(listBase, f.Page), CSVURL: base + "/applications.csv", QuotasURL: base + "/quotas",
		WaitlistURL: base + "/waitlist", AllocationURL: base + "/allocation", FairURL: base,
	}
	d.Pages = int((total + models.ApplicationsPerPage - 1) / models.ApplicationsPerPage)
	d.PastEnd = len(rows) == 0 && total > 0
	if d.Page > 1 && d.Page <= d.Pages {
		d.PrevURL = f.URL(listBase, d.Page-1)
	}
	if d.Page < d.Pages {
		d.NextURL = f.URL(listBase, d.Page+1)
	}
	d.PageLinks = reviewPageLinks(func(n int) string { return f.URL(listBase, n) }, d.Page, d.Pages)

	for _, r := range ref.regions {
		d.Regions = append(d.Regions, reviewOption{Value: r.Code, Label: r.Name(page.Lang), Raw: true, Selected: f.Region == r.Code})
	}
	for _, cr := range ref.crafts {
		d.Crafts = append(d.Crafts, reviewOption{Value: cr.Code, Label: cr.Name(page.Lang), Raw: true, Selected: f.Craft == cr.Code})
	}
	for _, s := range models.ApplicationStatuses {
		d.Statuses = append(d.Statuses, reviewOption{Value: string(s), Label: applStatusMessages[s], Selected: f.Status == string(s)})
	}
	for _, v := range []string{"yes", "no", "pending"} {
		d.Recs = append(d.Recs, reviewOption{Value: v, Label: reviewRecLabels[v], Selected: f.Rec == v})
	}
	for _, dec := range reviewBulkDecisions {
		d.Decisions = append(d.Decisions, reviewOption{Value: string(dec), Label: reviewDecisionLabels[dec]})
	}
	for _, s := range stats.Regions {
		row := reviewStatRow{ApplicationStat: s, Name: s.Code, URL: reviewFilters{Region: s.Code}.URL(listBase, 1)}
		if r, ok := ref.region(s.Code); ok {
			row.Name = r.Name(page.Lang)
		}
		if s.Quota != nil {
			row.Full = s.Accepted >= *s.Quota
			row.OverQuota = s.Accepted > *s.Quota
		}
		d.RegionStats = append(d.RegionStats, row)
	}
	for _, s := range stats.Crafts {
		row := reviewStatRow{ApplicationStat: s, Name: s.Code, URL: reviewFilters{Craft: s.Code}.URL(listBase, 1)}
		if cr, ok := ref.craft(s.Code); ok {
			row.Name = cr.Name(page.Lang)
		}
		d.CraftStats = append(d.CraftStats, row)
	}
	for _, r := range rows {
		d.Rows = append(d.Rows, h.reviewRowView(page, ref, fair.ID, r, selected[r.ID]))
	}
	page.Data = d
	return page, nil
}

func (h *Handler) reviewRowView(p *Page, ref refData, fairID int64, r models.FairApplicationRow, selected bool) reviewRow {
	row := reviewRow{FairApplicationRow: r, Region: r.RegionCode, Craft: r.CraftCode, StatusMsg: applStatusMessages[r.Status],
		Rec: "ReviewRecPending", Fee: reviewFeeText(p, r.FeeState, r.FeeCents), URL: reviewAppURL(fairID, r.ID), Selected: selected}
	if reg, ok := ref.region(r.RegionCode); ok {
		row.Region = reg.Name(p.Lang)
	}
	if cr, ok := ref.craft(r.CraftCode); ok {
		row.Craft = cr.Name(p.Lang)
	}
	if r.ChamberRecommended != nil {
		row.Rec = map[bool]string{true: "ReviewRecYes", false: "ReviewRecNo"}[*r.ChamberRecommended]
	}
	return row
}

func (h *Handler) showReviewList(c *fiber.Ctx) error {
	fair, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	ref, err := h.loadRefData(c)
	if err != nil {
		return err
	}
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	page, err := h.reviewListPage(c, fair, ref, parseReviewFilters(q, ref), nil)
	if err != nil {
		return err
	}
	page.Form = newForm()
	return h.render(c, fiber.StatusOK, tplReviewList, page)
}

// postedIDs reads the ticked application ids of the bulk form.
func postedIDs(c *fiber.Ctx) []int64 {
	var out []int64
	for _, raw := range c.Request().PostArgs().PeekMulti("ids") {
		if id, err := strconv.ParseInt(string(raw), 10, 64); err == nil && id > 0 && len(out) < models.BulkDecideMax {
			out = append(out, id)
		}
	}
	return out
}

type bulkInput struct {
	Decision string `form:"decision" validate:"required,oneof=accept waitlist reject"`
	Note     string `form:"note" validate:"max=1000"`
	Back     string `form:"back"`
}

// bulkDecide applies one decision to the ticked applications and says what happened to each:
// "3 accepted, 1 refused: Atelier X — the chamber has not reviewed it yet".
func (h *Handler) bulkDecide(c *fiber.Ctx) error {
	org, err := organizerOf(c)
	if err != nil {
		return err
	}
	fair, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	var in bulkInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	listBase := fairAdminURL(fair.ID) + "/applications"
	back := safeBack(in.Back, listBase)
	if !strings.HasPrefix(back, listBase) {
		back = listBase
	}
	ids := postedIDs(c)
	ws := webSessionOf(c)
	if len(ids) == 0 {
		ws.addFlash("error", "ReviewBulkNoneSelected")
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	ctx := c.UserContext()
	var res models.BulkResult
	if !form.HasErrors() {
		res, err = models.BulkDecide(ctx, h.db, org, fair.ID, ids, models.Decision(in.Decision), in.Note, time.Now())
		if err != nil && !mergeValidation(form, err) {
			return fmt.Errorf("bulk %s on fair %d: %w", in.Decision, fair.ID, err)
		}
	}
	if form.HasErrors() {
		// Show the list again with the boxes still ticked and the error next to the field.
		ref, err := h.loadRefData(c)
		if err != nil {
			return err
		}
		u, _ := url.Parse(back)
		selected := map[int64]bool{}
		for _, id := range ids {
			selected[id] = true
		}
		page, err := h.reviewListPage(c, fair, ref, parseReviewFilters(u.Query(), ref), selected)
		if err != nil {
			return err
		}
		page.Form = form
		return h.render(c, fiber.StatusUnprocessableEntity, tplReviewList, page)
	}
	kind, text, err := h.bulkSummary(c, fair, models.Decision(in.Decision), res)
	if err != nil {
		return err
	}
	ws.addFlashArgs(kind, "ReviewFlashText", "Text", text)
	return c.Redirect(back, fiber.StatusSeeOther)
}

// bulkSummary writes the result of a bulk action in the organizer's language.
func (h *Handler) bulkSummary(c *fiber.Ctx, fair models.Fair, d models.Decision, res models.BulkResult) (kind, text string, err error) {
	p := h.newPage(c, "ReviewTitle")
	parts := []string{p.TN(reviewBulkDone[d], len(res.Done))}
	if len(res.Refused) == 0 {
		return "success", parts[0], nil
	}
	ids := make([]int64, 0, len(res.Refused))
	for id := range res.Refused {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	rows, err := models.FairApplicationRowsByID(c.UserContext(), h.db, fair.ID, ids)
	if err != nil {
		return "", "", fmt.Errorf("bulk summary: %w", err)
	}
	ref, err := h.loadRefData(c)
	if err != nil {
		return "", "", err
	}
	quotas, err := models.ListRegionQuotas(c.UserContext(), h.db, fair.ID)
	if err != nil {
		return "", "", fmt.Errorf("bulk summary: %w", err)
	}
	byID := map[int64]models.FairApplicationRow{}
	for _, r := range rows {
		byID[r.ID] = r
	}
	var reasons []string
	for _, id := range ids {
		r, ok := byID[id]
		name := "#" + strconv.FormatInt(id, 10)
		reason := p.T(res.Refused[id])
		if ok {
			name = r.ArtisanName
			reason = h.refusalText(p, ref, res.Refused[id], r.RegionCode, quotas)
		}
		reasons = append(reasons, p.T("ReviewBulkRefusal", "Name", "\u2068"+name+"\u2069", "Reason", reason))
	}
	parts = append(parts, p.TN("ReviewBulkRefused", len(res.Refused), "List", strings.Join(reasons, " ; ")))
	kind = "info"
	if len(res.Done) == 0 {
		kind = "error"
	}
	return kind, strings.Join(parts, " "), nil
}

// refusalText translates a refusal; the quota one names the region and its quota.
func (h *Handler) refusalText(p *Page, ref refData, msg, region string, quotas map[string]int) string {
	if msg != "ReviewRefusedQuota" {
		return p.T(msg)
	}
	name := region
	if r, ok := ref.region(region); ok {
		name = r.Name(p.Lang)
	}
	return p.T(msg, "Region", name, "Quota", strconv.Itoa(quotas[region]))
}

// ---- /admin/fairs/:id/applications/:appID ----

type reviewProduct struct {
	Title string
	Lang  string
	URL   string
}

type reviewHistoryLine struct {
	When  string
	Who   string
	What  string // message id, or the raw action when unknown
	Known bool
	Note  string
}

type reviewDecisionButton struct {
	Value   string
	Label   string
	Confirm string
	Class   string
}

type reviewAppData struct {
	Fair          models.Fair
	Base          string
	ListURL       string
	App           models.Application
	Artisan       models.Artisan
	Email         string
	Kind          string
	Region        string
	Craft         string
	StatusMsg     string
	ShopURL       string
	Products      []reviewProduct
	PrefKind      string
	Rec           string
	ChamberAt     string
	Decisions     []reviewDecisionButton
	NoteRequired  bool
	DecisionURL   string
	History       []reviewHistoryLine
	Fee           string
	StandCode     string
	CanCover      bool
	CanMarkPaid   bool
	FeePaidAt     string
	CoverURL      string
	PaidURL       string
	AllocationURL string
	WaitlistURL   string
	OfferUntil    string
	DecidedAt     string
}

// feeOpen are the states in which organizers may still arrange the fee.
var feeOpen = []models.ApplicationStatus{models.AppSubmitted, models.AppChamberReviewed, models.AppAccepted, models.AppWaitlisted, models.AppOffered}

func (h *Handler) reviewAppPage(c *fiber.Ctx, fair models.Fair, appID int64) (*Page, error) {
	ctx := c.UserContext()
	ra, err := models.GetReviewApplication(ctx, h.db, fair.ID, appID)
	if err != nil {
		return nil, fmt.Errorf("review application %d: %w", appID, err)
	}
	history, err := models.ApplicationHistory(ctx, h.db, appID)
	if err != nil {
		return nil, fmt.Errorf("review application %d: %w", appID, err)
	}
	ref, err := h.loadRefData(c)
	if err != nil {
		return nil, err
	}
	page := h.newPage(c, "ReviewTitle")
	page.Title = page.T("ReviewAppTitle", "Name", ra.Artisan.BusinessName)
	app := ra.Application
	base := fairAdminURL(fair.ID)
	self := reviewAppURL(fair.ID, app.ID)
	d := reviewAppData{
		Fair: fair, Base: base, ListURL: base + "/applications", App: app, Artisan: ra.Artisan, Email: ra.Email,
		Kind: artisanKinds[ra.Artisan.Kind], Region: ra.Artisan.RegionCode, Craft: ra.Artisan.CraftCode,
		StatusMsg: applStatusMessages[app.Status], PrefKind: applKindMessages[app.PreferredKind], Rec: "ReviewRecPending",
		DecisionURL: self + "/decision", CoverURL: self + "/fee-covered", PaidURL: self + "/fee-paid",
		AllocationURL: base + "/allocation", WaitlistURL: base + "/waitlist", StandCode: ra.StandCode,
		Fee:      reviewFeeText(page, app.FeeState, app.FeeCents),
		CanCover: slices.Contains(feeOpen, app.Status), CanMarkPaid: app.FeeState == models.FeeDue,
	}
	if r, ok := ref.region(ra.Artisan.RegionCode); ok {
		d.Region = r.Name(page.Lang)
	}
	if cr, ok := ref.craft(ra.Artisan.CraftCode); ok {
		d.Craft = cr.Name(page.Lang)
	}
	if ra.Artisan.Verified() {
		d.ShopURL = "/artisans/" + ra.Artisan.Slug
	}
	for _, pr := range ra.Products {
		rp := reviewProduct{Title: pr.Title(page.Lang), Lang: langAttr(page.Lang, pr.TitleLang(page.Lang))}
		if pr.Status == models.ProductPublished {
			rp.URL = "/products/" + strconv.FormatInt(pr.ID, 10)
		}
		d.Products = append(d.Products, rp)
	}
	if app.ChamberRecommended != nil {
		d.Rec = map[bool]string{true: "ReviewRecYes", false: "ReviewRecNo"}[*app.ChamberRecommended]
	}
	if app.ChamberReviewedAt != nil {
		d.ChamberAt = page.Date(app.ChamberReviewedAt.In(artisanZone))
	}
	if app.DecidedAt != nil {
		d.DecidedAt = page.Date(app.DecidedAt.In(artisanZone))
	}
	if app.FeePaidAt != nil {
		d.FeePaidAt = page.Date(app.FeePaidAt.In(artisanZone))
	}
	if app.Status == models.AppOffered && app.OfferExpiresAt != nil {
		d.OfferUntil = h.reviewDateTime(page.Lang, *app.OfferExpiresAt)
	}
	for _, dec := range models.AllowedDecisions(app.Status) {
		b := reviewDecisionButton{Value: string(dec), Label: reviewDecisionLabels[dec], Class: "btn-outline-primary"}
		switch dec {
		case models.DecisionAccept:
			b.Class = "btn-primary"
		case models.DecisionReject:
			b.Class, b.Confirm = "btn-outline-danger", "ReviewRejectConfirm"
		case models.DecisionRelease:
			b.Class, b.Confirm = "btn-outline-danger", "ReviewReleaseConfirm"
		}
		d.NoteRequired = d.NoteRequired || models.DecisionNeedsNote(dec)
		d.Decisions = append(d.Decisions, b)
	}
	for _, e := range history {
		line := reviewHistoryLine{When: h.reviewDateTime(page.Lang, e.CreatedAt), Who: e.ActorName, What: e.Action}
		if id, ok := reviewHistoryLabels[e.Action]; ok {
			line.What, line.Known = id, true
		}
		if e.ActorID == nil {
			line.Who = page.T("ReviewSystem")
		}
		var after map[string]any
		if json.Unmarshal([]byte(e.After), &after) == nil {
			if n, ok := after["note"].(string); ok {
				line.Note = n
			}
		}
		d.History = append(d.History, line)
	}
	page.Data = d
	return page, nil
}

func (h *Handler) showReviewApplication(c *fiber.Ctx) error {
	fair, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	appID, err := paramID(c, "appID")
	if err != nil {
		return err
	}
	page, err := h.reviewAppPage(c, fair, appID)
	if err != nil {
		return err
	}
	page.Form = newForm()
	return h.render(c, fiber.StatusOK, tplReviewApp, page)
}

type decisionInput struct {
	Decision string `form:"decision" validate:"required,oneof=accept waitlist reject release"`
	Note     string `form:"note" validate:"max=1000"`
}

// refuse shows why an action was refused on the application's page.
func (h *Handler) refuse(c *fiber.Ctx, fair models.Fair, appID int64, err error) error {
	msg, ok := models.RefusalMessage(err)
	if !ok {
		return err
	}
	var qe *models.QuotaReachedError
	if errors.As(err, &qe) {
		ref, rerr := h.loadRefData(c)
		if rerr != nil {
			return rerr
		}
		name := qe.RegionCode
		if r, found := ref.region(qe.RegionCode); found {
			name = r.Name(h.newPage(c, "ReviewTitle").Lang)
		}
		webSessionOf(c).addFlashArgs("error", msg, "Region", name, "Quota", strconv.Itoa(qe.Quota))
	} else {
		webSessionOf(c).addFlash("error", msg)
	}
	return c.Redirect(reviewAppURL(fair.ID, appID), fiber.StatusSeeOther)
}

// reviewAppRequest is what every form of the organizer's application page starts from.
type reviewAppRequest struct {
	org   models.User
	fair  models.Fair
	appID int64
	page  *Page // the application's page, with the bound form, to re-render on an error
}

// reviewAppForm checks the organizer, the fair and that the application is one of the fair's
// (another fair's application: 404 before anything is read from the form), then binds in.
func (h *Handler) reviewAppForm(c *fiber.Ctx, in any) (reviewAppRequest, error) {
	var r reviewAppRequest
	var err error
	if r.org, err = organizerOf(c); err != nil {
		return r, err
	}
	if r.fair, err = h.loadAdminFair(c); err != nil {
		return r, err
	}
	if r.appID, err = paramID(c, "appID"); err != nil {
		return r, err
	}
	if r.page, err = h.reviewAppPage(c, r.fair, r.appID); err != nil {
		return r, err
	}
	form, err := h.bindForm(c, in)
	if err != nil {
		return r, err
	}
	r.page.Form = form
	return r, nil
}

// decideApplication records the organizer's decision; a refusal (wrong state, quota, the
// chamber not done yet) is explained on the page and changes nothing.
func (h *Handler) decideApplication(c *fiber.Ctx) error {
	var in decisionInput
	rf, err := h.reviewAppForm(c, &in)
	if err != nil {
		return err
	}
	if rf.page.Form.HasErrors() {
		return h.render(c, fiber.StatusUnprocessableEntity, tplReviewApp, rf.page)
	}
	d := models.Decision(in.Decision)
	_, err = models.DecideApplication(c.UserContext(), h.db, rf.org, rf.fair.ID, rf.appID, d, in.Note, time.Now())
	return h.answerReviewForm(c, rf, err, reviewDecisionFlashes[d], "")
}

type feeCoveredInput struct {
	Covered string `form:"covered" validate:"required,oneof=0 1"`
}

func (h *Handler) setFeeCovered(c *fiber.Ctx) error {
	var in feeCoveredInput
	rf, err := h.reviewAppForm(c, &in)
	if err != nil {
		return err
	}
	if rf.page.Form.HasErrors() {
		return h.render(c, fiber.StatusUnprocessableEntity, tplReviewApp, rf.page)
	}
	covered := in.Covered == "1"
	_, err = models.SetFeeCovered(c.UserContext(), h.db, rf.org, rf.fair.ID, rf.appID, covered, time.Now())
	msg := "FlashFeeUncovered"
	if covered {
		msg = "FlashFeeCovered"
	}
	return h.answerReviewForm(c, rf, err, msg, "#fee")
}

type feePaidInput struct {
	Note string `form:"fee_note" validate:"required,max=500"`
}

func (h *Handler) markFeePaid(c *fiber.Ctx) error {
	var in feePaidInput
	rf, err := h.reviewAppForm(c, &in)
	if err != nil {
		return err
	}
	form := rf.page.Form
	if form.Errors["fee_note"] == "FieldRequired" {
		form.Errors["fee_note"] = "FeeNoteRequired"
	}
	if form.HasErrors() {
		return h.render(c, fiber.StatusUnprocessableEntity, tplReviewApp, rf.page)
	}
	_, err = models.MarkFeePaid(c.UserContext(), h.db, rf.org, rf.fair.ID, rf.appID, in.Note, time.Now())
	return h.answerReviewForm(c, rf, err, "FlashFeePaid", "#fee")
}

// answerReviewForm answers a form of the application page once the model has spoken: the
// flash and the way back to the application (at anchor); its errors next to the fields; a
// refusal explained on the page; another fair's application stays a 404.
func (h *Handler) answerReviewForm(c *fiber.Ctx, rf reviewAppRequest, err error, flash, anchor string) error {
	switch {
	case err == nil:
		webSessionOf(c).addFlash("success", flash)
		return c.Redirect(reviewAppURL(rf.fair.ID, rf.appID)+anchor, fiber.StatusSeeOther)
	case errors.Is(err, models.ErrNotFound):
		return err
	case mergeValidation(rf.page.Form, err):
		return h.render(c, fiber.StatusUnprocessableEntity, tplReviewApp, rf.page)
	}
	return h.refuse(c, rf.fair, rf.appID, err)
}

// ---- /admin/fairs/:id/quotas ----

type quotaRow struct {
	Code     string
	Name     string
	Field    string
	Value    string
	Error    string // message id
	Accepted int
	Applied  int
	Over     bool
}

type quotasData struct {
	Fair    models.Fair
	Base    string
	ListURL string
	Action  string
	Rows    []quotaRow
	Errors  []quotaRow
}

func (h *Handler) quotasPage(c *fiber.Ctx, fair models.Fair, typed map[string]string, errs map[string]string) (*Page, error) {
	ctx := c.UserContext()
	stats, err := models.FairApplicationStats(ctx, h.db, fair.ID)
	if err != nil {
		return nil, fmt.Errorf("quotas page: %w", err)
	}
	ref, err := h.loadRefData(c)
	if err != nil {
		return nil, err
	}
	page := h.newPage(c, "ReviewQuotasTitle")
	base := fairAdminURL(fair.ID)
	d := quotasData{Fair: fair, Base: base, ListURL: base + "/applications", Action: base + "/quotas"}
	for _, s := range stats.Regions {
		row := quotaRow{Code: s.Code, Name: s.Code, Field: "quota_" + s.Code, Accepted: s.Accepted, Applied: s.Applied, Error: errs["quota_"+s.Code]}
		if r, ok := ref.region(s.Code); ok {
			row.Name = r.Name(page.Lang)
		}
		switch {
		case typed != nil:
			row.Value = typed[row.Field]
		case s.Quota != nil:
			row.Value = strconv.Itoa(*s.Quota)
			row.Over = s.Accepted > *s.Quota
		}
		d.Rows = append(d.Rows, row)
		if row.Error != "" {
			d.Errors = append(d.Errors, row)
		}
	}
	page.Data = d
	return page, nil
}

func (h *Handler) showQuotas(c *fiber.Ctx) error {
	fair, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	page, err := h.quotasPage(c, fair, nil, nil)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, tplReviewQuotas, page)
}

// saveQuotas replaces the fair's quotas: a blank field means no quota for the region.
func (h *Handler) saveQuotas(c *fiber.Ctx) error {
	org, err := organizerOf(c)
	if err != nil {
		return err
	}
	fair, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	regions, err := models.ListRegions(c.UserContext(), h.db)
	if err != nil {
		return fmt.Errorf("save quotas: %w", err)
	}
	typed := map[string]string{}
	errs := map[string]string{}
	quotas := map[string]int{}
	for _, r := range regions {
		field := "quota_" + r.Code
		v := strings.TrimSpace(c.FormValue(field))
		typed[field] = v
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > models.QuotaMax {
			errs[field] = "QuotaInvalid"
			continue
		}
		quotas[r.Code] = n
	}
	if len(errs) == 0 {
		err = models.SetRegionQuotas(c.UserContext(), h.db, org, fair.ID, quotas)
		var ve *models.ValidationError
		switch {
		case errors.As(err, &ve):
			errs = ve.Fields
		case err != nil:
			return fmt.Errorf("save quotas of fair %d: %w", fair.ID, err)
		}
	}
	if len(errs) > 0 {
		page, err := h.quotasPage(c, fair, typed, errs)
		if err != nil {
			return err
		}
		return h.render(c, fiber.StatusUnprocessableEntity, tplReviewQuotas, page)
	}
	webSessionOf(c).addFlash("success", "FlashQuotasSaved")
	return c.Redirect(fairAdminURL(fair.ID)+"/quotas", fiber.StatusSeeOther)
}

// ---- /admin/fairs/:id/waitlist ----

type waitlistRow struct {
	reviewRow
	Position int
	First    bool
	Last     bool
	MoveURL  string
	Deadline string
}

type waitlistData struct {
	Fair    models.Fair
	Base    string
	ListURL string
	Line    []waitlistRow
	Offers  []waitlistRow
	Window  int
}

func (h *Handler) showWaitlist(c *fiber.Ctx) error {
	fair, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	line, err := models.ListWaitlist(ctx, h.db, fair.ID)
	if err != nil {
		return fmt.Errorf("waitlist page: %w", err)
	}
	offers, _, err := models.ListFairApplications(ctx, h.db, fair.ID, models.ApplicationFilter{Status: models.AppOffered})
	if err != nil {
		return fmt.Errorf("waitlist page: %w", err)
	}
	ref, err := h.loadRefData(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "ReviewWaitlistTitle")
	base := fairAdminURL(fair.ID)
	d := waitlistData{Fair: fair, Base: base, ListURL: base + "/applications", Window: int(models.OfferWindow / time.Hour)}
	for i, r := range line {
		d.Line = append(d.Line, waitlistRow{reviewRow: h.reviewRowView(page, ref, fair.ID, r, false), Position: i + 1,
			First: i == 0, Last: i == len(line)-1, MoveURL: base + "/waitlist/" + strconv.FormatInt(r.ID, 10) + "/move"})
	}
	for _, r := range offers {
		row := waitlistRow{reviewRow: h.reviewRowView(page, ref, fair.ID, r, false)}
		if r.OfferExpiresAt != nil {
			row.Deadline = h.reviewDateTime(page.Lang, *r.OfferExpiresAt)
		}
		d.Offers = append(d.Offers, row)
	}
	page.Data = d
	return h.render(c, fiber.StatusOK, tplReviewWaitlist, page)
}

type moveInput struct {
	Direction string `form:"direction" validate:"required,oneof=up down"`
}

func (h *Handler) moveWaitlistEntry(c *fiber.Ctx) error {
	org, err := organizerOf(c)
	if err != nil {
		return err
	}
	fair, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	appID, err := paramID(c, "appID")
	if err != nil {
		return err
	}
	var in moveInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	back := fairAdminURL(fair.ID) + "/waitlist"
	if form.HasErrors() {
		return httpError(fiber.StatusBadRequest, "ErrorBadRequest", errors.New("move waitlist entry: bad direction"))
	}
	err = models.MoveWaitlistEntry(c.UserContext(), h.db, org, fair.ID, appID, in.Direction, time.Now())
	switch {
	case err == nil:
		webSessionOf(c).addFlash("success", "FlashWaitlistMoved")
	case errors.Is(err, models.ErrNotFound):
		return err
	case errors.Is(err, models.ErrInvalidState), errors.Is(err, models.ErrConflict):
		webSessionOf(c).addFlash("error", "ReviewWaitlistChanged")
	default:
		return fmt.Errorf("move waitlist entry %d: %w", appID, err)
	}
	return c.Redirect(back+"#app-"+strconv.FormatInt(appID, 10), fiber.StatusSeeOther)
}

// ---- /admin/fairs/:id/applications.csv ----

// exportApplications streams the fair's applications as CSV (UTF-8 with BOM for Excel).
func (h *Handler) exportApplications(c *fiber.Ctx) error {
	fair, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="applications-`+fair.Slug+`.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	db, log, fairID, reqID := h.db, h.log, fair.ID, requestID(c)
	// The writer runs after the handler returns: it gets its own deadline, never c.
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) //nolint:contextcheck // the request's context ends before the body is written
		defer cancel()
		if err := models.WriteApplicationsCSV(ctx, db, fairID, w); err != nil {
			log.Error("export applications", slog.Int64("fair", fairID), slog.Any("error", err), slog.String("request_id", reqID))
		}
		_ = w.Flush()
	})
	return nil
}

// ---- janitor ----

// expireOffers is the janitor's sweep of booth offers whose deadline passed.
func (h *Handler) expireOffers(ctx context.Context, now time.Time) {
	n, err := models.ExpireOffers(ctx, h.db, now)
	if err != nil {
		h.log.Warn("expire booth offers", slog.Any("error", err), slog.Int("expired", n))
		return
	}
	if n > 0 {
		h.log.Info("expired booth offers", slog.Int("expired", n))
	}
}
