package handlers

// Booth applications, the artisan's and the chamber's side: an artisan applies to a fair whose
// call is open, edits until the chamber has reviewed, withdraws, and answers a place offered
// from the waitlist (/studio/applications…); a chamber agent recommends and ranks the
// applicants of their region (/chamber/applications…). The rules live in models; another
// artisan's or another region's application is a 404 from the query itself. A refusal by a rule
// (closed call, already applied, wrong state) is shown with its reason, never as a 500.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
)

// Message ids of the values the application pages show; literals here so the catalog test
// checks them.
var (
	applStatusMessages = map[models.ApplicationStatus]string{
		models.AppSubmitted:       "ApplStatus_submitted",
		models.AppChamberReviewed: "ApplStatus_chamber_reviewed",
		models.AppAccepted:        "ApplStatus_accepted",
		models.AppWaitlisted:      "ApplStatus_waitlisted",
		models.AppOffered:         "ApplStatus_offered",
		models.AppRejected:        "ApplStatus_rejected",
		models.AppWithdrawn:       "ApplStatus_withdrawn",
		models.AppReleased:        "ApplStatus_released",
		models.AppOfferExpired:    "ApplStatus_offer_expired",
	}
	// applStatusHints say to the artisan what the state means and what comes next.
	applStatusHints = map[models.ApplicationStatus]string{
		models.AppSubmitted:       "ApplHint_submitted",
		models.AppChamberReviewed: "ApplHint_chamber_reviewed",
		models.AppAccepted:        "ApplHint_accepted",
		models.AppWaitlisted:      "ApplHint_waitlisted",
		models.AppOffered:         "ApplHint_offered",
		models.AppRejected:        "ApplHint_rejected",
		models.AppWithdrawn:       "ApplHint_withdrawn",
		models.AppReleased:        "ApplHint_released",
		models.AppOfferExpired:    "ApplHint_offer_expired",
	}
	applFeeMessages = map[models.FeeState]string{
		models.FeeNone:    "ApplFee_none",
		models.FeeDue:     "ApplFee_fee_due",
		models.FeeCovered: "ApplFee_fee_covered",
		models.FeePaid:    "ApplFee_fee_paid",
	}
	applKindMessages = map[string]string{
		"":         "ApplKind_any",
		"standard": "ApplKind_standard",
		"corner":   "ApplKind_corner",
		"island":   "ApplKind_island",
		"premium":  "ApplKind_premium",
	}
	applKindHints = map[string]string{
		"":         "ApplKindHint_any",
		"standard": "ApplKindHint_standard",
		"corner":   "ApplKindHint_corner",
		"island":   "ApplKindHint_island",
		"premium":  "ApplKindHint_premium",
	}
)

// applEventStand names the step of an application's timeline where a stand was assigned.
const applEventStand = "ApplEventStand"

func applicationPath(id int64) string { return "/studio/applications/" + strconv.FormatInt(id, 10) }

func chamberApplicationPath(id int64) string {
	return "/chamber/applications/" + strconv.FormatInt(id, 10)
}

// fairMoment writes an instant in the fair's own time zone: "31 janvier 2027 à 23:59".
func fairMoment(p *Page, f models.Fair, t *time.Time) string {
	if t == nil {
		return ""
	}
	local := t.UTC()
	if loc, err := time.LoadLocation(f.Timezone); err == nil && f.Timezone != "" {
		local = t.In(loc)
	}
	return p.T("ApplMoment", "Date", formatDate(p.Lang, local), "Time", local.Format("15:04"))
}

// refusalText is the sentence that explains a refusal by a rule, with the fair's window.
func refusalText(p *Page, re *models.RuleError, f models.Fair) string {
	return p.T(re.MessageID, "Opens", fairMoment(p, f, re.OpensAt), "Closes", fairMoment(p, f, re.ClosesAt))
}

// ---- Artisan: list ----

type studioApplRow struct {
	models.ArtisanApplicationRow
	URL           string
	StatusMsg     string
	HintMsg       string
	FeeMsg        string
	Fee           string
	OfferDeadline string
	OfferOpen     bool
	Reviewed      bool
}

type openFairRow struct {
	Fair        models.Fair
	Closes      string
	ApplyURL    string
	ExistingURL string
}

type studioApplicationsData struct {
	Artisan   *models.Artisan
	CanApply  bool
	Rows      []studioApplRow
	OpenFairs []openFairRow
	Offers    int
}

func (h *Handler) showStudioApplications(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := currentUser(c)
	a, err := h.studioArtisan(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "ApplDashTitle")
	data := studioApplicationsData{Artisan: a, CanApply: a != nil && a.Verified()}
	rows, err := models.ListArtisanApplications(ctx, h.db, u.ID)
	if err != nil {
		return fmt.Errorf("studio applications: %w", err)
	}
	now := time.Now()
	applied := map[int64]int64{}
	for _, r := range rows {
		applied[r.FairID] = r.ID
		row := studioApplRow{
			ArtisanApplicationRow: r, URL: applicationPath(r.ID), StatusMsg: applStatusMessages[r.Status],
			HintMsg: applStatusHints[r.Status], FeeMsg: applFeeMessages[r.FeeState], OfferOpen: r.OfferOpen(now),
			Reviewed: r.ChamberReviewedAt != nil,
		}
		if r.FeeCents > 0 {
			row.Fee = page.Euros(r.FeeCents)
		}
		if row.OfferOpen {
			row.OfferDeadline = fairMoment(page, models.Fair{Timezone: r.FairTimezone}, r.OfferExpiresAt)
			data.Offers++
		}
		data.Rows = append(data.Rows, row)
	}
	open, err := models.ListOpenFairs(ctx, h.db, now)
	if err != nil {
		return fmt.Errorf("studio applications: %w", err)
	}
	for _, f := range open {
		row := openFairRow{Fair: f, Closes: fairMoment(page, f, f.ApplicationsCloseAt), ApplyURL: "/studio/applications/new?fair=" + f.Slug}
		if id, ok := applied[f.ID]; ok {
			row.ExistingURL = applicationPath(id)
		}
		data.OpenFairs = append(data.OpenFairs, row)
	}
	page.Data = data
	return h.render(c, fiber.StatusOK, tplStudioApplications, page)
}

// ---- Artisan: the form (new) and the application page ----

// applicationInput is the application form. Numbers are read as text so that what was typed
// comes back on an error.
type applicationInput struct {
	PreferredKind       string   `form:"preferred_kind"`
	PreferredSize       string   `form:"preferred_size"`
	PreferredZone       string   `form:"preferred_zone"`
	Motivation          string   `form:"motivation"`
	Products            []string `form:"products"`
	NeedsChamberFunding bool     `form:"needs_chamber_funding"`
}

// model turns the form into the models input; an unreadable size or product id becomes an
// invalid value the one validation in models reports next to its field.
func (in applicationInput) model() models.ApplicationInput {
	out := models.ApplicationInput{PreferredKind: in.PreferredKind, PreferredZone: in.PreferredZone,
		Motivation: in.Motivation, NeedsChamberFunding: in.NeedsChamberFunding}
	if s := strings.TrimSpace(in.PreferredSize); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			n = -1
		}
		out.PreferredSizeM2 = n
	}
	for _, s := range in.Products {
		id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || id <= 0 {
			id = -1 // never a product: reported as not the artisan's
		}
		out.ProductIDs = append(out.ProductIDs, id)
	}
	return out
}

// selected lists the ticked products of the form.
func (in applicationInput) selected() map[int64]bool {
	out := map[int64]bool{}
	for _, id := range in.model().ProductIDs {
		out[id] = true
	}
	return out
}

type applKindOption struct{ Value, Label, Hint string }

type applProductChoice struct {
	studioProductRow
	Checked bool
}

// applFormData is what the application form needs.
type applFormData struct {
	Action      string
	Kinds       []applKindOption
	Sizes       []int
	Products    []applProductChoice
	MinChars    int
	MaxChars    int
	MaxProducts int
	MaxZone     int
	Funding     bool
}

type applRefusal struct {
	Title, Text string
	LinkURL     string
	LinkLabel   string // message id
}

// applicationPageData serves both the new form (App nil) and an application's page.
type applicationPageData struct {
	Artisan *models.Artisan
	Fair    models.Fair
	Window  string
	Refusal *applRefusal
	Form    *applFormData
	// OpenFairs are the calls to choose from when no fair is chosen yet.
	OpenFairs []openFairRow
	// The application's page.
	App       *models.ApplicationDetail
	StatusMsg string
	HintMsg   string
	KindMsg   string
	FeeMsg    string
	Fee       string
	Offer     string // the offer's deadline, when a place is offered and open
	Timeline  []applStep
	Products  []studioProductRow
	Withdraw  bool
	EditNote  string // why the application can no longer be edited (message id)
	StandURL  string
}

type applStep struct {
	Date  string
	Label string // message id
	Stand string
}

// applicationForm builds the form's choices; selected are the ticked products.
func (h *Handler) applicationForm(c *fiber.Ctx, lang string, a models.Artisan, action string, selected map[int64]bool) (*applFormData, error) {
	products, err := models.ListOwnProducts(c.UserContext(), h.db, a.ID)
	if err != nil {
		return nil, fmt.Errorf("application form products: %w", err)
	}
	d := &applFormData{Action: action, Sizes: models.ApplicationSizesM2, MinChars: models.MotivationMinRunes,
		MaxChars: models.MotivationMaxRunes, MaxProducts: models.MaxApplicationProducts, MaxZone: models.PreferredZoneMaxRunes}
	for _, k := range append([]string{""}, kindValues()...) {
		d.Kinds = append(d.Kinds, applKindOption{Value: k, Label: applKindMessages[k], Hint: applKindHints[k]})
	}
	for _, p := range products {
		if p.Status == models.ProductArchived {
			continue
		}
		d.Products = append(d.Products, applProductChoice{studioProductRow: studioRow(lang, p), Checked: selected[p.ID]})
	}
	return d, nil
}

func kindValues() []string {
	out := make([]string, len(models.StandKinds))
	for i, k := range models.StandKinds {
		out[i] = string(k)
	}
	return out
}

// applicationFormValues fills the form from a saved application.
func applicationFormValues(a models.Application) *Form {
	f := newForm()
	f.Values["preferred_kind"] = a.PreferredKind
	if a.PreferredSizeM2 > 0 {
		f.Values["preferred_size"] = strconv.Itoa(a.PreferredSizeM2)
	}
	f.Values["preferred_zone"] = a.PreferredZone
	f.Values["motivation"] = a.Motivation
	if a.NeedsChamberFunding {
		f.Values["needs_chamber_funding"] = "1"
	}
	return f
}

func (in applicationInput) formValues(f *Form) {
	if in.NeedsChamberFunding {
		f.Values["needs_chamber_funding"] = "1"
	} else {
		delete(f.Values, "needs_chamber_funding")
	}
}

// newApplicationPage loads the fair of ?fair= and says whether the artisan may apply to it.
func (h *Handler) newApplicationPage(c *fiber.Ctx, slug string, selected map[int64]bool) (*Page, error) {
	ctx := c.UserContext()
	a, err := h.studioArtisan(c)
	if err != nil {
		return nil, err
	}
	page := h.newPage(c, "ApplNewTitle")
	data := applicationPageData{Artisan: a}
	page.Data = &data
	if slug == "" {
		// No fair chosen: the page lists the open calls to choose from.
		open, err := models.ListOpenFairs(ctx, h.db, time.Now())
		if err != nil {
			return nil, fmt.Errorf("apply: %w", err)
		}
		for _, f := range open {
			data.OpenFairs = append(data.OpenFairs, openFairRow{Fair: f, Closes: fairMoment(page, f, f.ApplicationsCloseAt),
				ApplyURL: "/studio/applications/new?fair=" + f.Slug})
		}
		return page, nil
	}
	fair, err := models.GetPublicFair(ctx, h.db, slug)
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	data.Fair = fair
	page.Title = page.T("ApplNewTitleFair", "Fair", fair.Name)
	data.Window = fairMoment(page, fair, fair.ApplicationsCloseAt)
	now := time.Now()
	switch {
	case a == nil:
		data.Refusal = &applRefusal{Title: page.T("ApplCannotApplyTitle"), Text: page.T(models.MsgApplyNoProfile),
			LinkURL: "/studio/profile", LinkLabel: "ApplGoToProfile"}
	case !a.Verified():
		data.Refusal = &applRefusal{Title: page.T("ApplCannotApplyTitle"), Text: page.T(models.MsgApplyNotVerified),
			LinkURL: "/studio/profile", LinkLabel: "ApplGoToProfile"}
	}
	if data.Refusal == nil {
		existing, err := models.ListArtisanApplications(ctx, h.db, currentUser(c).ID)
		if err != nil {
			return nil, fmt.Errorf("apply: %w", err)
		}
		for _, r := range existing {
			if r.FairID == fair.ID {
				data.Refusal = &applRefusal{Title: page.T("ApplAlreadyTitle"), Text: page.T(models.MsgApplyAlreadyApplied),
					LinkURL: applicationPath(r.ID), LinkLabel: "ApplSeeMine"}
			}
		}
	}
	if data.Refusal == nil && !fair.AcceptsApplications(now) {
		var re *models.RuleError
		if errors.As(windowRefusal(fair, now), &re) {
			data.Refusal = &applRefusal{Title: page.T("ApplClosedTitle"), Text: refusalText(page, re, fair),
				LinkURL: "/studio/applications", LinkLabel: "ApplSeeOpenFairs"}
		}
	}
	if data.Refusal == nil {
		if data.Form, err = h.applicationForm(c, page.Lang, *a, "/studio/applications/new?fair="+fair.Slug, selected); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// windowRefusal is the models' refusal for a fair outside its window (same wording as a POST).
func windowRefusal(f models.Fair, now time.Time) error {
	msg := models.MsgApplyClosed
	if f.Status == models.FairOpen && f.ApplicationsOpenAt != nil && now.Before(*f.ApplicationsOpenAt) {
		msg = models.MsgApplyNotYetOpen
	}
	return &models.RuleError{MessageID: msg, Err: models.ErrInvalidState, OpensAt: f.ApplicationsOpenAt, ClosesAt: f.ApplicationsCloseAt}
}

func (h *Handler) showNewApplication(c *fiber.Ctx) error {
	page, err := h.newApplicationPage(c, strings.Clone(c.Query("fair")), nil)
	if err != nil {
		return err
	}
	page.Form = newForm()
	return h.render(c, fiber.StatusOK, tplStudioApplication, page)
}

func (h *Handler) createApplication(c *fiber.Ctx) error {
	slug := strings.Clone(c.Query("fair"))
	var in applicationInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	in.formValues(form)
	a, err := h.studioArtisan(c)
	if err != nil {
		return err
	}
	if a == nil {
		webSessionOf(c).addFlash("error", models.MsgApplyNoProfile)
		return c.Redirect("/studio/profile", fiber.StatusSeeOther)
	}
	if slug == "" {
		webSessionOf(c).addFlash("error", "ApplChooseFair")
		return c.Redirect("/studio/applications#open-fairs", fiber.StatusSeeOther)
	}
	fair, err := models.GetPublicFair(c.UserContext(), h.db, slug)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	app, err := models.Apply(c.UserContext(), h.db, currentUser(c).ID, fair.ID, in.model(), time.Now())
	var re *models.RuleError
	switch {
	case err == nil:
		webSessionOf(c).addFlash("success", "FlashApplicationSent")
		return c.Redirect(applicationPath(app.ID), fiber.StatusSeeOther)
	case errors.As(err, &re) && re.MessageID == models.MsgApplyAlreadyApplied:
		webSessionOf(c).addFlash("info", models.MsgApplyAlreadyApplied)
		return c.Redirect(applicationPath(re.AppID), fiber.StatusSeeOther)
	case errors.As(err, &re):
		// Not verified, window closed: the page says why, with what to do.
		page, perr := h.newApplicationPage(c, slug, in.selected())
		if perr != nil {
			return perr
		}
		page.Form = form
		data := applicationData(page)
		if data.Refusal == nil { // the rule changed between the two reads: say what models said
			data.Refusal = &applRefusal{Title: page.T("ApplCannotApplyTitle"), Text: refusalText(page, re, fair),
				LinkURL: "/studio/applications", LinkLabel: "ApplSeeOpenFairs"}
			data.Form = nil
		}
		return h.render(c, fiber.StatusConflict, tplStudioApplication, page)
	case mergeValidation(form, err):
		page, perr := h.newApplicationPage(c, slug, in.selected())
		if perr != nil {
			return perr
		}
		page.Form = form
		return h.render(c, fiber.StatusUnprocessableEntity, tplStudioApplication, page)
	}
	return fmt.Errorf("apply to fair %s: %w", slug, err)
}

// ownApplicationID reads :id; the application itself is loaded by the models with the owner
// in the query.
func (h *Handler) studioApplicationPage(c *fiber.Ctx, id int64, selected map[int64]bool) (*Page, error) {
	ctx := c.UserContext()
	d, err := models.GetArtisanApplication(ctx, h.db, currentUser(c).ID, id)
	if err != nil {
		return nil, fmt.Errorf("studio application: %w", err)
	}
	a := d.Artisan
	page := h.newPage(c, "ApplPageTitle")
	page.Title = page.T("ApplPageTitleFair", "Fair", d.Fair.Name)
	data := applicationPageData{Artisan: &a, Fair: d.Fair, App: &d, StatusMsg: applStatusMessages[d.Status],
		HintMsg: applStatusHints[d.Status], KindMsg: applKindMessages[d.PreferredKind], FeeMsg: applFeeMessages[d.FeeState],
		Withdraw: d.CanWithdraw()}
	data.Window = fairMoment(page, d.Fair, d.Fair.ApplicationsCloseAt)
	if d.FeeCents > 0 {
		data.Fee = page.Euros(d.FeeCents)
	}
	now := time.Now()
	if d.OfferOpen(now) {
		data.Offer = fairMoment(page, d.Fair, d.OfferExpiresAt)
	}
	if d.Stand != nil {
		data.StandURL = "/fairs/" + d.Fair.Slug + "/stands/" + d.Stand.Code
	}
	for _, e := range d.History {
		step := applStep{Date: formatDate(page.Lang, e.At), Label: applStatusMessages[e.Status], Stand: e.Stand}
		if e.Status == "" {
			step.Label = applEventStand
		}
		data.Timeline = append(data.Timeline, step)
	}
	for _, p := range d.Products {
		data.Products = append(data.Products, studioRow(page.Lang, p))
	}
	switch {
	case !d.CanEdit():
		data.EditNote = "ApplEditLockedReviewed"
	case !d.Fair.AcceptsApplications(now):
		data.EditNote = "ApplEditLockedClosed"
	default:
		if selected == nil {
			selected = map[int64]bool{}
			for _, p := range d.Products {
				selected[p.ID] = true
			}
		}
		if data.Form, err = h.applicationForm(c, page.Lang, a, applicationPath(id), selected); err != nil {
			return nil, err
		}
	}
	page.Data = &data
	return page, nil
}

func (h *Handler) showStudioApplication(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	page, err := h.studioApplicationPage(c, id, nil)
	if err != nil {
		return err
	}
	page.Form = applicationFormValues(applicationData(page).App.Application)
	return h.render(c, fiber.StatusOK, tplStudioApplication, page)
}

// applicationRefused answers a refusal by a rule on the application's page: a flash with the
// reason (and the window when it matters) and a redirect to the page.
func (h *Handler) applicationRefused(c *fiber.Ctx, id int64, err error) (bool, error) {
	var re *models.RuleError
	if !errors.As(err, &re) {
		return false, nil
	}
	// A page for formatting only: newPage would take the flashes meant for the next page.
	page := &Page{Lang: localsLanguage(c), tr: h.tr}
	args := []string{}
	if re.OpensAt != nil || re.ClosesAt != nil {
		if d, derr := models.GetArtisanApplication(c.UserContext(), h.db, currentUser(c).ID, id); derr == nil {
			args = append(args, "Opens", fairMoment(page, d.Fair, re.OpensAt), "Closes", fairMoment(page, d.Fair, re.ClosesAt))
		}
	}
	webSessionOf(c).addFlashArgs("error", re.MessageID, args...)
	return true, c.Redirect(applicationPath(id), fiber.StatusSeeOther)
}

func (h *Handler) updateStudioApplication(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	// Another artisan's application, or none: 404 before the form is read.
	if _, err := models.GetArtisanApplication(c.UserContext(), h.db, currentUser(c).ID, id); err != nil {
		return fmt.Errorf("edit application: %w", err)
	}
	var in applicationInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	in.formValues(form)
	_, err = models.UpdateApplication(c.UserContext(), h.db, currentUser(c).ID, id, in.model(), time.Now())
	if err == nil {
		webSessionOf(c).addFlash("success", "FlashApplicationSaved")
		return c.Redirect(applicationPath(id), fiber.StatusSeeOther)
	}
	if done, rerr := h.applicationRefused(c, id, err); done {
		return rerr
	}
	if !mergeValidation(form, err) {
		return fmt.Errorf("edit application %d: %w", id, err)
	}
	page, perr := h.studioApplicationPage(c, id, in.selected())
	if perr != nil {
		return perr
	}
	page.Form = form
	return h.render(c, fiber.StatusUnprocessableEntity, tplStudioApplication, page)
}

// confirmInput is the confirmation box of a destructive action (withdraw, decline).
type confirmInput struct {
	Confirm        string `form:"confirm"`
	ConfirmDecline string `form:"confirm_decline"`
}

// applicationAction runs one of the artisan's decisions on their application, after the
// confirmation box when field names one.
func (h *Handler) applicationAction(c *fiber.Ctx, field, success string,
	act func(userID, appID int64) (models.Application, error)) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if _, err := models.GetArtisanApplication(c.UserContext(), h.db, currentUser(c).ID, id); err != nil {
		return fmt.Errorf("application action: %w", err)
	}
	var in confirmInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	if field != "" && form.Values[field] != "1" {
		page, perr := h.studioApplicationPage(c, id, nil)
		if perr != nil {
			return perr
		}
		page.Form = applicationFormValues(applicationData(page).App.Application)
		page.Form.Errors[field] = "ApplConfirmRequired"
		return h.render(c, fiber.StatusUnprocessableEntity, tplStudioApplication, page)
	}
	_, err = act(currentUser(c).ID, id)
	if err == nil {
		webSessionOf(c).addFlash("success", success)
		return c.Redirect(applicationPath(id), fiber.StatusSeeOther)
	}
	if done, rerr := h.applicationRefused(c, id, err); done {
		return rerr
	}
	return fmt.Errorf("application %d: %w", id, err)
}

func (h *Handler) withdrawStudioApplication(c *fiber.Ctx) error {
	return h.applicationAction(c, "confirm", "FlashApplicationWithdrawn", func(userID, appID int64) (models.Application, error) {
		return models.WithdrawApplication(c.UserContext(), h.db, userID, appID, time.Now())
	})
}

func (h *Handler) acceptApplicationOffer(c *fiber.Ctx) error {
	return h.applicationAction(c, "", "FlashOfferAccepted", func(userID, appID int64) (models.Application, error) {
		return models.AcceptOffer(c.UserContext(), h.db, userID, appID, time.Now())
	})
}

func (h *Handler) declineApplicationOffer(c *fiber.Ctx) error {
	return h.applicationAction(c, "confirm_decline", "FlashOfferDeclined", func(userID, appID int64) (models.Application, error) {
		return models.DeclineOffer(c.UserContext(), h.db, userID, appID, time.Now())
	})
}

// ---- Chamber agents ----

type chamberFairTab struct {
	models.ChamberFair
	URL     string
	Current bool
}

type chamberApplRow struct {
	models.ChamberApplicationRow
	URL        string
	Action     string
	FormID     string
	Craft      string
	Excerpt    string
	StatusMsg  string
	Reviewable bool
	// Verdict is the current recommendation: "recommend", "not_recommend" or "" (not yet).
	Verdict string
	Rank    string
}

// chamberVerdict names the chamber's current recommendation on an application.
func chamberVerdict(a models.Application) (verdict, rank string) {
	if a.ChamberRecommended == nil {
		return "", ""
	}
	if !*a.ChamberRecommended {
		return "not_recommend", ""
	}
	if a.ChamberRank != nil {
		rank = strconv.Itoa(*a.ChamberRank)
	}
	return "recommend", rank
}

type chamberApplicationsData struct {
	Region models.Region
	Fairs  []chamberFairTab
	Fair   *models.ChamberFair
	Rows   []chamberApplRow
	Counts struct{ Total, ToReview, Recommended int }
}

// excerpt cuts a text to n characters at a word boundary.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	if i := strings.LastIndexByte(string(r), ' '); i > n/2 {
		return string(r)[:i] + "…"
	}
	return string(r) + "…"
}

func (h *Handler) showChamberApplications(c *fiber.Ctx) error {
	agent, region, err := agentRegion(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	ref, err := h.loadRefData(c)
	if err != nil {
		return err
	}
	fairs, err := models.ListChamberFairs(ctx, h.db, agent)
	if err != nil {
		return fmt.Errorf("chamber applications: %w", err)
	}
	page := h.newPage(c, "ChamberApplTitle")
	data := chamberApplicationsData{}
	data.Region, _ = ref.region(region)
	current, ok := models.DefaultChamberFair(fairs)
	if q := c.Query("fair"); q != "" {
		ok = false
		for _, f := range fairs {
			if strconv.FormatInt(f.ID, 10) == q {
				current, ok = f, true
			}
		}
		if !ok {
			return errNotFound // a fair without applications from the region, or none
		}
	}
	for _, f := range fairs {
		data.Fairs = append(data.Fairs, chamberFairTab{ChamberFair: f, URL: "/chamber/applications?fair=" + strconv.FormatInt(f.ID, 10),
			Current: ok && f.ID == current.ID})
	}
	if ok {
		data.Fair = &current
		rows, err := models.ListChamberApplications(ctx, h.db, agent, current.ID)
		if err != nil {
			return fmt.Errorf("chamber applications: %w", err)
		}
		for _, r := range rows {
			row := chamberApplRow{ChamberApplicationRow: r, URL: chamberApplicationPath(r.ID),
				Action: chamberApplicationPath(r.ID) + "/review", FormID: "review-" + strconv.FormatInt(r.ID, 10),
				Excerpt: excerpt(r.Motivation, 160), StatusMsg: applStatusMessages[r.Status], Reviewable: r.ChamberCanReview()}
			if cr, ok := ref.craft(r.CraftCode); ok {
				row.Craft = cr.Name(page.Lang)
			}
			row.Verdict, row.Rank = chamberVerdict(r.Application)
			data.Counts.Total++
			if r.Status == models.AppSubmitted {
				data.Counts.ToReview++
			}
			if r.ChamberRecommended != nil && *r.ChamberRecommended && r.Status != models.AppWithdrawn {
				data.Counts.Recommended++
			}
			data.Rows = append(data.Rows, row)
		}
	}
	page.Data = data
	return h.render(c, fiber.StatusOK, tplChamberApplications, page)
}

type chamberApplicationData struct {
	App       models.ApplicationDetail
	Region    models.Region
	Craft     models.Craft
	Kind      string
	StatusMsg string
	KindMsg   string
	Products  []studioProductRow
	Action    string
	ListURL   string
	CanReview bool
	Verdict   string
	Rank      string
}

func (h *Handler) chamberApplicationPage(c *fiber.Ctx, agent models.User, id int64) (*Page, error) {
	d, err := models.GetChamberApplication(c.UserContext(), h.db, agent, id)
	if err != nil {
		return nil, fmt.Errorf("chamber application: %w", err)
	}
	ref, err := h.loadRefData(c)
	if err != nil {
		return nil, err
	}
	page := h.newPage(c, "ChamberApplTitle")
	page.Title = d.Artisan.BusinessName
	data := chamberApplicationData{App: d, StatusMsg: applStatusMessages[d.Status], KindMsg: applKindMessages[d.PreferredKind],
		Kind: artisanKinds[d.Artisan.Kind], Action: chamberApplicationPath(id) + "/review",
		ListURL: "/chamber/applications?fair=" + strconv.FormatInt(d.FairID, 10), CanReview: d.ChamberCanReview()}
	data.Region, _ = ref.region(d.Artisan.RegionCode)
	data.Craft, _ = ref.craft(d.Artisan.CraftCode)
	data.Verdict, data.Rank = chamberVerdict(d.Application)
	for _, p := range d.Products {
		data.Products = append(data.Products, studioRow(page.Lang, p))
	}
	page.Data = data
	return page, nil
}

// chamberReviewFormValues fills the review form from the current review.
func chamberReviewFormValues(a models.Application) *Form {
	f := newForm()
	f.Values["decision"], f.Values["rank"] = chamberVerdict(a)
	f.Values["note"] = a.ChamberNote
	return f
}

func (h *Handler) showChamberApplication(c *fiber.Ctx) error {
	agent, _, err := agentRegion(c)
	if err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	page, err := h.chamberApplicationPage(c, agent, id)
	if err != nil {
		return err
	}
	chamberData, _ := page.Data.(chamberApplicationData) // set by the page builder above
	page.Form = chamberReviewFormValues(chamberData.App.Application)
	return h.render(c, fiber.StatusOK, tplChamberApplication, page)
}

// chamberReviewInput is the recommendation form (on the application's page and on each row of
// the list).
type chamberReviewInput struct {
	Decision string `form:"decision" validate:"required,oneof=recommend not_recommend"`
	Rank     string `form:"rank"`
	Note     string `form:"note" validate:"max=1000"`
	Back     string `form:"back"`
}

func (h *Handler) reviewChamberApplication(c *fiber.Ctx) error {
	agent, _, err := agentRegion(c)
	if err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	// Another region's application, or none: 404 before anything is validated.
	page, err := h.chamberApplicationPage(c, agent, id)
	if err != nil {
		return err
	}
	var in chamberReviewInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	page.Form = form
	recommend := in.Decision == "recommend"
	rank := 0
	if recommend && in.Rank != "" {
		if rank, err = strconv.Atoi(asciiDigits(in.Rank)); err != nil || rank < 1 {
			form.Errors["rank"] = "ChamberRankInvalid"
		}
	}
	if form.HasErrors() {
		return h.render(c, fiber.StatusUnprocessableEntity, tplChamberApplication, page)
	}
	data, _ := page.Data.(chamberApplicationData) // set by the page builder above
	back := chamberApplicationPath(id)
	if in.Back == "list" {
		back = data.ListURL + "#row-" + strconv.FormatInt(id, 10)
	}
	_, err = models.ChamberReview(c.UserContext(), h.db, agent, id, recommend, rank, in.Note, time.Now())
	var re *models.RuleError
	switch {
	case err == nil:
	case errors.As(err, &re):
		webSessionOf(c).addFlash("error", re.MessageID)
		return c.Redirect(chamberApplicationPath(id), fiber.StatusSeeOther)
	case mergeValidation(form, err):
		return h.render(c, fiber.StatusUnprocessableEntity, tplChamberApplication, page)
	default:
		return fmt.Errorf("chamber review of application %d: %w", id, err)
	}
	if recommend {
		webSessionOf(c).addFlashArgs("success", "FlashChamberRecommended", "Name", data.App.Artisan.BusinessName, "Rank", strconv.Itoa(rank))
	} else {
		webSessionOf(c).addFlashArgs("success", "FlashChamberNotRecommended", "Name", data.App.Artisan.BusinessName)
	}
	return c.Redirect(back, fiber.StatusSeeOther)
}

// applicationData is the typed data of an application page (set by newApplicationPage).
func applicationData(p *Page) *applicationPageData {
	d, ok := p.Data.(*applicationPageData)
	if !ok || d == nil {
		d = &applicationPageData{}
		p.Data = d
	}
	return d
}
