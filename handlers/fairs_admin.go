package handlers

// The organizers' side of fairs: the list of editions, the fair form, the status buttons, the
// halls, and the three ways to draw stands — one by form, a generated grid, a CSV import with
// a preview (nothing saved until the organizer confirms a file without errors) — and the
// stands CSV export. Every rule lives in models (fair_admin.go, stand_admin.go); these
// handlers parse forms (metres and euros as typed, Arabic digits too) and show the outcome.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
)

// fairTimezones are offered in the fair form (any IANA name is accepted by the model).
var fairTimezones = []string{"Europe/Brussels", "Europe/Paris", "Europe/Luxembourg", "Europe/Amsterdam", "Africa/Casablanca"}

// standsPerPage bounds the stands table of a fair's page.
const standsPerPage = 50

// fairActionLabels name the button that moves a fair to a status (message ids).
var fairActionLabels = map[models.FairStatus]string{
	models.FairOpen:     "FairAdminActionOpen",
	models.FairClosed:   "FairAdminActionClose",
	models.FairLive:     "FairAdminActionLive",
	models.FairArchived: "FairAdminActionArchive",
}

// fairActionConfirms ask before a move that visitors or artisans will notice.
var fairActionConfirms = map[models.FairStatus]string{
	models.FairOpen:     "FairAdminConfirmOpen",
	models.FairClosed:   "FairAdminConfirmClose",
	models.FairLive:     "FairAdminConfirmLive",
	models.FairArchived: "FairAdminConfirmArchive",
}

// fairStatusHints explain what each status means for artisans and visitors.
var fairStatusHints = map[models.FairStatus]string{
	models.FairDraft:    "FairAdminHintDraft",
	models.FairOpen:     "FairAdminHintOpen",
	models.FairClosed:   "FairAdminHintClosed",
	models.FairLive:     "FairAdminHintLive",
	models.FairArchived: "FairAdminHintArchived",
}

// fairStatusFlashes confirm a move.
var fairStatusFlashes = map[models.FairStatus]string{
	models.FairOpen:     "FlashFairOpened",
	models.FairClosed:   "FlashFairClosed",
	models.FairLive:     "FlashFairLive",
	models.FairArchived: "FlashFairArchived",
}

// standKindLabels and standStatusLabels name kinds and statuses (message ids).
var (
	standKindLabels = map[models.StandKind]string{
		models.StandStandard: "FairAdminKindStandard",
		models.StandCorner:   "FairAdminKindCorner",
		models.StandIsland:   "FairAdminKindIsland",
		models.StandPremium:  "FairAdminKindPremium",
	}
	standStatusLabels = map[models.StandStatus]string{
		models.StandAvailable: "FairAdminStandAvailable",
		models.StandHeld:      "FairAdminStandHeld",
		models.StandAssigned:  "FairAdminStandAssigned",
		models.StandBlocked:   "FairAdminStandBlocked",
	}
	feePolicyLabels = map[models.FeePolicy]string{
		models.FeeStandPrice: "FairAdminFeeStandPrice",
		models.FeeFree:       "FairAdminFeeFree",
	}
)

// ---- helpers ----

// organizerOf is the signed-in organizer (the route admits organizers only).
func organizerOf(c *fiber.Ctx) (models.User, error) {
	u := currentUser(c)
	if u == nil || u.Role != models.RoleOrganizer {
		return models.User{}, errForbidden
	}
	return *u, nil
}

func fairAdminURL(id int64) string { return "/admin/fairs/" + strconv.FormatInt(id, 10) }

// metresText writes centimetres for a page: "2,5 m" (French), "2.5 m" (English), "2,5 م"
// (Arabic, digits as written in Morocco).
func metresText(lang string, cm int) string {
	s := models.FormatMetres(cm)
	if lang != "en" {
		s = strings.ReplaceAll(s, ".", ",")
	}
	if lang == "ar" {
		return s + "\u00a0م"
	}
	return s + "\u00a0m"
}

// metresInput writes centimetres back into a form field, in the page's decimal separator.
func metresInput(lang string, cm int) string {
	s := models.FormatMetres(cm)
	if lang != "en" {
		s = strings.ReplaceAll(s, ".", ",")
	}
	return s
}

// parseMetresField reads a length typed in metres; it records a field error when it cannot.
func parseMetresField(form *Form, field, typed string, optional bool) int {
	typed = asciiDigits(typed)
	if typed == "" {
		if !optional {
			form.Errors[field] = "FieldRequired"
		}
		return 0
	}
	cm, negative, ok := models.ParseMetres(typed)
	switch {
	case negative:
		form.Errors[field] = "StandNegative"
	case !ok:
		form.Errors[field] = "FieldMetresInvalid"
	}
	return cm
}

// parseEurosField reads a price in euros into cents; it records a field error when it cannot.
func parseEurosField(form *Form, field, typed string) int64 {
	if strings.TrimSpace(typed) == "" {
		form.Errors[field] = "FieldRequired"
		return 0
	}
	cents, ok := parsePriceInput(typed)
	if !ok {
		form.Errors[field] = "StandPriceInvalid"
	}
	return cents
}

// parseCountField reads a whole number (rows, columns).
func parseCountField(form *Form, field, typed string) int {
	n, ok := parseCount(typed)
	if !ok {
		form.Errors[field] = "GridCountRange"
	}
	return n
}

// parseHallID reads a hall id from a select.
func parseHallID(form *Form, field, typed string) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(typed), 10, 64)
	if err != nil || id <= 0 {
		form.Errors[field] = "FieldInvalidChoice"
		return 0
	}
	return id
}

// loadAdminFair reads the :id of the path and the fair (404 when unknown).
func (h *Handler) loadAdminFair(c *fiber.Ctx) (models.Fair, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return models.Fair{}, err
	}
	f, err := models.GetFair(c.UserContext(), h.db, id)
	if err != nil {
		return models.Fair{}, fmt.Errorf("load fair %d: %w", id, err)
	}
	return f, nil
}

// localDateTime formats an instant in the fair's time zone: "10 janvier 2027, 09:00".
func localDateTime(p *Page, t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return formatDate(p.Lang, t) + p.T("ListComma") + t.Format("15:04")
}

// fairWindow describes the application window in the page's language ("" when unbounded).
func fairWindow(p *Page, f models.Fair) string {
	loc := f.Location()
	switch {
	case f.ApplicationsOpenAt != nil && f.ApplicationsCloseAt != nil:
		return p.T("FairWindowBoth", "From", localDateTime(p, *f.ApplicationsOpenAt, loc), "To", localDateTime(p, *f.ApplicationsCloseAt, loc))
	case f.ApplicationsCloseAt != nil:
		return p.T("FairWindowUntil", "To", localDateTime(p, *f.ApplicationsCloseAt, loc))
	case f.ApplicationsOpenAt != nil:
		return p.T("FairWindowFrom", "From", localDateTime(p, *f.ApplicationsOpenAt, loc))
	}
	return ""
}

// ---- /admin/fairs ----

type fairAdminListRow struct {
	models.FairAdminRow
	URL       string
	PublicURL string
}

type fairsAdminData struct {
	Rows []fairAdminListRow
}

func (h *Handler) showAdminFairs(c *fiber.Ctx) error {
	rows, err := models.ListFairsAdmin(c.UserContext(), h.db)
	if err != nil {
		return fmt.Errorf("admin fairs: %w", err)
	}
	data := fairsAdminData{}
	for _, r := range rows {
		row := fairAdminListRow{FairAdminRow: r, URL: fairAdminURL(r.ID)}
		if r.Status != models.FairDraft {
			row.PublicURL = "/fairs/" + r.Slug
		}
		data.Rows = append(data.Rows, row)
	}
	page := h.newPage(c, "FairAdminListTitle")
	page.Data = data
	return h.render(c, fiber.StatusOK, tplAdminFairs, page)
}

// ---- the fair form ----

// fairForm is the fair form as typed; the model validates it.
type fairForm struct {
	Name                string `form:"fair_name"`
	Slug                string `form:"fair_slug"`
	City                string `form:"fair_city"`
	Country             string `form:"fair_country"`
	Venue               string `form:"fair_venue"`
	Address             string `form:"fair_address"`
	StartsOn            string `form:"fair_starts_on"`
	EndsOn              string `form:"fair_ends_on"`
	Timezone            string `form:"fair_timezone"`
	OpensAt             string `form:"fair_opens_at"`
	ClosesAt            string `form:"fair_closes_at"`
	Currency            string `form:"fair_currency"`
	FeePolicy           string `form:"fair_fee_policy"`
	VisitorRegistration bool   `form:"fair_visitor_registration"`
}

func (in fairForm) model() models.FairInput {
	return models.FairInput{
		Name: in.Name, Slug: in.Slug, City: in.City, Country: in.Country, Venue: in.Venue, Address: in.Address,
		StartsOn: in.StartsOn, EndsOn: in.EndsOn, Timezone: in.Timezone,
		ApplicationsOpenAt: in.OpensAt, ApplicationsCloseAt: in.ClosesAt,
		Currency: in.Currency, FeePolicy: in.FeePolicy, VisitorRegistration: in.VisitorRegistration,
	}
}

// setFairValues writes a fair's values into the form.
func setFairValues(form *Form, in models.FairInput) {
	for k, v := range map[string]string{
		"fair_name": in.Name, "fair_slug": in.Slug, "fair_city": in.City, "fair_country": in.Country,
		"fair_venue": in.Venue, "fair_address": in.Address, "fair_starts_on": in.StartsOn, "fair_ends_on": in.EndsOn,
		"fair_timezone": in.Timezone, "fair_opens_at": in.ApplicationsOpenAt, "fair_closes_at": in.ApplicationsCloseAt,
		"fair_currency": in.Currency, "fair_fee_policy": in.FeePolicy,
	} {
		form.Values[k] = v
	}
	if in.VisitorRegistration {
		form.Values["fair_visitor_registration"] = "1"
	} else {
		delete(form.Values, "fair_visitor_registration")
	}
}

// fairFormData is what the fair form needs besides the Form.
type fairFormData struct {
	Action     string
	Submit     string // message id of the button
	Timezones  []string
	Countries  []string
	Policies   []optionView
	SlugLocked bool // published fairs keep their slug
}

type optionView struct {
	Value string
	Label string // message id
}

func newFairFormData(action, submit string, f *models.Fair) fairFormData {
	d := fairFormData{Action: action, Submit: submit, Timezones: slices.Clone(fairTimezones), Countries: models.FairCountries}
	for _, p := range models.FeePolicies {
		d.Policies = append(d.Policies, optionView{Value: string(p), Label: feePolicyLabels[p]})
	}
	if f != nil {
		d.SlugLocked = f.Status != models.FairDraft
		if f.Timezone != "" && !slices.Contains(d.Timezones, f.Timezone) {
			d.Timezones = append(d.Timezones, f.Timezone)
		}
	}
	return d
}

type fairNewData struct {
	FairForm fairFormData
}

func (h *Handler) showNewFair(c *fiber.Ctx) error {
	page := h.newPage(c, "FairAdminNewTitle")
	page.Form = newForm()
	setFairValues(page.Form, models.FairInput{Country: "BE", Timezone: "Europe/Brussels", Currency: models.FairCurrency, FeePolicy: string(models.FeeStandPrice)})
	page.Data = fairNewData{FairForm: newFairFormData("/admin/fairs/new", "FairAdminCreate", nil)}
	return h.render(c, fiber.StatusOK, tplAdminFairNew, page)
}

func (h *Handler) createFair(c *fiber.Ctx) error {
	org, err := organizerOf(c)
	if err != nil {
		return err
	}
	var in fairForm
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	if in.VisitorRegistration {
		form.Values["fair_visitor_registration"] = "1"
	}
	page := h.newPage(c, "FairAdminNewTitle")
	page.Form = form
	page.Data = fairNewData{FairForm: newFairFormData("/admin/fairs/new", "FairAdminCreate", nil)}
	f, err := models.CreateFair(c.UserContext(), h.db, org, in.model())
	if err != nil {
		if mergeValidation(form, err) {
			return h.render(c, fiber.StatusUnprocessableEntity, tplAdminFairNew, page)
		}
		return fmt.Errorf("create fair: %w", err)
	}
	webSessionOf(c).addFlash("success", "FlashFairCreated")
	return c.Redirect(fairAdminURL(f.ID)+"#halls", fiber.StatusSeeOther)
}

// ---- /admin/fairs/:id ----

type fairStatusAction struct {
	To      models.FairStatus
	Label   string // message id
	Confirm string // message id
}

type standCounts struct {
	Halls, Stands, Applications        int
	Available, Held, Assigned, Blocked int
}

// hallView is a hall with its inline edit form.
type hallView struct {
	Hall   models.Hall
	Size   string
	Stands int
	Fields []inlineField
	Open   bool // the edit form is shown (it has errors)
}

// inlineField is one input of a hall's own edit form (several on a page: ids carry the hall).
type inlineField struct {
	Name, ID, Value, Error, Inputmode string
}

func hallFields(hallID int64, values, errs map[string]string) []inlineField {
	suffix := "-" + strconv.FormatInt(hallID, 10)
	out := make([]inlineField, 0, 3)
	for _, name := range []string{"hall_name", "hall_width", "hall_depth"} {
		f := inlineField{Name: name, ID: "f-" + name + suffix, Value: values[name], Error: errs[name], Inputmode: "decimal"}
		if name == "hall_name" {
			f.Inputmode = ""
		}
		out = append(out, f)
	}
	return out
}

// standView is one line of the stands table.
type standView struct {
	Stand       models.Stand
	Kind        string // message id
	Status      string // message id
	Position    string
	Size        string
	Price       string
	Artisan     string
	ArtisanURL  string
	EditURL     string
	Actions     []optionView // statuses it may move to
	CanDelete   bool
	Highlighted bool
}

type standGroup struct {
	Hall  models.Hall
	Rows  []standView
	Total int // stands of this hall in the current filter
}

type filterLink struct {
	Label   string // text (hall names) or message id (statuses)
	URL     string
	Current bool
	Count   int
}

type fairAdminData struct {
	Fair         models.Fair
	StatusHint   string
	Next         []fairStatusAction
	Window       string
	FeePolicy    string
	Counts       standCounts
	Halls        []hallView
	HallFilters  []filterLink
	StatusLinks  []filterLink
	Groups       []standGroup
	Filtered     int
	PageLinks    []pageLink
	PrevURL      string
	NextURL      string
	Kinds        []optionView
	EditStand    *models.Stand
	StandAction  string
	StandCancel  string
	Active       string
	Alert        string
	CanEdit      bool
	FairForm     fairFormData
	PublicURL    string
	PlanURL      string
	ReviewURL    string
	ExportURL    string
	GridURL      string
	ImportURL    string
	Self         string
	StandsAnchor string
}

// fairPageOptions say what a request adds to the fair page: the posted form and its errors,
// which form it belongs to, an alert, the stand being edited.
type fairPageOptions struct {
	form      *Form
	active    string // "fair", "hall", "hall-<id>", "stand"
	alert     string // translated text
	editStand int64
}

// standsQuery is the filter of the stands table (hall, status, page).
type standsQuery struct {
	Hall   int64
	Status models.StandStatus
	Page   int
}

func (q standsQuery) url(base string, page int) string {
	v := url.Values{}
	if q.Hall != 0 {
		v.Set("hall", strconv.FormatInt(q.Hall, 10))
	}
	if q.Status != "" {
		v.Set("status", string(q.Status))
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return base + "#stands"
	}
	return base + "?" + v.Encode() + "#stands"
}

func parseStandsQuery(c *fiber.Ctx) standsQuery {
	var q standsQuery
	if id, err := strconv.ParseInt(c.Query("hall"), 10, 64); err == nil && id > 0 {
		q.Hall = id
	}
	if s := models.StandStatus(c.Query("status")); slices.Contains(models.StandStatuses, s) {
		q.Status = s
	}
	q.Page, _ = strconv.Atoi(c.Query("page"))
	if q.Page < 1 || q.Page > 10000 {
		q.Page = 1
	}
	return q
}

// renderFairPage shows the fair's page with the given status, keeping what a POST brought.
func (h *Handler) renderFairPage(c *fiber.Ctx, f models.Fair, status int, opt fairPageOptions) error {
	ctx := c.UserContext()
	plan, err := models.LoadFairPlan(ctx, h.db, f)
	if err != nil {
		return fmt.Errorf("fair page %d: %w", f.ID, err)
	}
	var apps int64
	if err := h.db.WithContext(ctx).Model(&models.Application{}).Where("fair_id = ?", f.ID).Count(&apps).Error; err != nil {
		return fmt.Errorf("count applications of fair %d: %w", f.ID, err)
	}
	page := h.newPage(c, "FairAdminListTitle")
	page.Title = f.Name
	self := fairAdminURL(f.ID)
	q := parseStandsQuery(c)
	d := fairAdminData{
		Fair: f, StatusHint: fairStatusHints[f.Status], Window: fairWindow(page, f), FeePolicy: feePolicyLabels[f.FeePolicy],
		Active: opt.active, Alert: opt.alert, CanEdit: f.Status != models.FairArchived,
		FairForm: newFairFormData(self, "FairAdminSave", &f),
		PlanURL:  "/fairs/" + f.Slug + "/plan", ReviewURL: self + "/applications", ExportURL: self + "/stands.csv",
		GridURL: self + "/stands/grid", ImportURL: self + "/stands/import", Self: self,
		StandAction: self + "/stands",
	}
	if f.Status != models.FairDraft {
		d.PublicURL = "/fairs/" + f.Slug
	}
	if d.CanEdit {
		for _, to := range f.NextStatuses() {
			d.Next = append(d.Next, fairStatusAction{To: to, Label: fairActionLabels[to], Confirm: fairActionConfirms[to]})
		}
	}
	for _, k := range models.StandKinds {
		d.Kinds = append(d.Kinds, optionView{Value: string(k), Label: standKindLabels[k]})
	}

	// The form: the fair's values, a fresh stand form, then what was posted on top.
	form := newForm()
	setFairValues(form, models.FairFormValues(f))
	form.Values["stand_kind"] = string(models.StandStandard)
	if q.Hall != 0 {
		form.Values["stand_hall"] = strconv.FormatInt(q.Hall, 10)
	} else if len(plan.Halls) > 0 {
		form.Values["stand_hall"] = strconv.FormatInt(plan.Halls[0].ID, 10)
	}
	if opt.editStand == 0 {
		if id, err := strconv.ParseInt(c.Query("edit"), 10, 64); err == nil {
			opt.editStand = id
		}
	}
	if opt.editStand != 0 {
		for _, s := range plan.Stands {
			if s.ID == opt.editStand {
				d.EditStand = &s
				d.StandAction = self + "/stands/" + strconv.FormatInt(s.ID, 10)
				d.StandCancel = q.url(self, q.Page)
				for k, v := range map[string]string{
					"stand_hall": strconv.FormatInt(s.HallID, 10), "stand_code": s.Code, "stand_zone": s.Zone, "stand_kind": string(s.Kind),
					"stand_x": metresInput(page.Lang, s.XCm), "stand_y": metresInput(page.Lang, s.YCm),
					"stand_width": metresInput(page.Lang, s.WidthCm), "stand_depth": metresInput(page.Lang, s.DepthCm),
					"stand_price": formatEurosInput(page.Lang, s.PriceCents),
				} {
					form.Values[k] = v
				}
			}
		}
	}
	var hallErrors map[string]string
	var hallValues map[string]string
	if opt.form != nil {
		if strings.HasPrefix(opt.active, "hall-") {
			// An inline hall form: its values belong to that hall only, not the "add a hall" form.
			hallErrors, hallValues = map[string]string{}, map[string]string{}
			for k, v := range opt.form.Errors {
				hallErrors[k] = v
			}
			for k, v := range opt.form.Values {
				hallValues[k] = v
			}
			opt.form.Errors = map[string]string{}
		} else {
			if opt.active == "fair" {
				delete(form.Values, "fair_visitor_registration")
			}
			for k, v := range opt.form.Values {
				form.Values[k] = v
			}
			for k, v := range opt.form.Errors {
				form.Errors[k] = v
			}
			form.Summary = opt.form.Summary
		}
	}
	page.Form = form

	// Halls and counts.
	perHall := map[int64]int{}
	for _, s := range plan.Stands {
		perHall[s.HallID]++
		switch s.Status {
		case models.StandAvailable:
			d.Counts.Available++
		case models.StandHeld:
			d.Counts.Held++
		case models.StandAssigned:
			d.Counts.Assigned++
		case models.StandBlocked:
			d.Counts.Blocked++
		}
	}
	d.Counts.Halls, d.Counts.Stands, d.Counts.Applications = len(plan.Halls), len(plan.Stands), int(apps)
	hallByID := map[int64]models.Hall{}
	for _, hl := range plan.Halls {
		hallByID[hl.ID] = hl
		v := hallView{Hall: hl, Size: metresText(page.Lang, hl.WidthCm) + " × " + metresText(page.Lang, hl.DepthCm), Stands: perHall[hl.ID]}
		if opt.active == "hall-"+strconv.FormatInt(hl.ID, 10) {
			v.Fields, v.Open = hallFields(hl.ID, hallValues, hallErrors), true
		} else {
			v.Fields = hallFields(hl.ID, map[string]string{"hall_name": hl.Name, "hall_width": metresInput(page.Lang, hl.WidthCm),
				"hall_depth": metresInput(page.Lang, hl.DepthCm)}, nil)
		}
		d.Halls = append(d.Halls, v)
	}
	if _, ok := hallByID[q.Hall]; !ok {
		q.Hall = 0
	}

	// Filters of the stands table.
	base := standsQuery{Status: q.Status}
	d.HallFilters = append(d.HallFilters, filterLink{Label: page.T("FairAdminAllHalls"), URL: base.url(self, 1), Current: q.Hall == 0, Count: len(plan.Stands)})
	for _, hl := range plan.Halls {
		b := base
		b.Hall = hl.ID
		d.HallFilters = append(d.HallFilters, filterLink{Label: hl.Name, URL: b.url(self, 1), Current: q.Hall == hl.ID, Count: perHall[hl.ID]})
	}
	byStatus := standsQuery{Hall: q.Hall}
	d.StatusLinks = append(d.StatusLinks, filterLink{Label: "FairAdminAllStatuses", URL: byStatus.url(self, 1), Current: q.Status == ""})
	for _, s := range models.StandStatuses {
		b := byStatus
		b.Status = s
		d.StatusLinks = append(d.StatusLinks, filterLink{Label: standStatusLabels[s], URL: b.url(self, 1), Current: q.Status == s})
	}

	// The stands table: filtered, in plan order (hall, then code), one page, grouped by hall.
	var list []models.Stand
	for _, s := range plan.Stands {
		if (q.Hall == 0 || s.HallID == q.Hall) && (q.Status == "" || s.Status == q.Status) {
			list = append(list, s)
		}
	}
	slices.SortStableFunc(list, func(a, b models.Stand) int {
		ha, hb := hallByID[a.HallID], hallByID[b.HallID]
		if ha.Position != hb.Position {
			return ha.Position - hb.Position
		}
		if a.HallID != b.HallID {
			return int(a.HallID - b.HallID)
		}
		return models.CompareStandCodes(a.Code, b.Code)
	})
	d.Filtered = len(list)
	pages := (len(list) + standsPerPage - 1) / standsPerPage
	if q.Page > pages {
		q.Page = max(pages, 1)
	}
	from := (q.Page - 1) * standsPerPage
	to := min(from+standsPerPage, len(list))
	totals := map[int64]int{}
	for _, s := range list {
		totals[s.HallID]++
	}
	for _, s := range list[from:to] {
		v := standView{
			Stand: s, Kind: standKindLabels[s.Kind], Status: standStatusLabels[s.Status],
			Position:    "(" + metresText(page.Lang, s.XCm) + " ; " + metresText(page.Lang, s.YCm) + ")",
			Size:        metresText(page.Lang, s.WidthCm) + " × " + metresText(page.Lang, s.DepthCm),
			Price:       page.Euros(s.PriceCents),
			EditURL:     self + "?" + editQuery(q, s.ID) + "#stand-form",
			Highlighted: d.EditStand != nil && d.EditStand.ID == s.ID,
		}
		if o, ok := plan.Occupants[s.ID]; ok {
			v.Artisan = o.BusinessName
			if o.Verified() {
				v.ArtisanURL = "/artisans/" + o.ArtisanSlug
			}
		}
		if s.Status != models.StandAssigned && v.Artisan == "" && d.CanEdit {
			v.CanDelete = true
			for _, st := range models.OrganizerStandStatuses {
				if st != s.Status {
					v.Actions = append(v.Actions, optionView{Value: string(st), Label: standStatusLabels[st]})
				}
			}
		}
		if n := len(d.Groups); n == 0 || d.Groups[n-1].Hall.ID != s.HallID {
			d.Groups = append(d.Groups, standGroup{Hall: hallByID[s.HallID], Total: totals[s.HallID]})
		}
		d.Groups[len(d.Groups)-1].Rows = append(d.Groups[len(d.Groups)-1].Rows, v)
	}
	if pages > 1 {
		d.PageLinks = standPageLinks(q, self, pages)
		if q.Page > 1 {
			d.PrevURL = q.url(self, q.Page-1)
		}
		if q.Page < pages {
			d.NextURL = q.url(self, q.Page+1)
		}
	}
	page.Data = d
	return h.render(c, status, tplAdminFair, page)
}

// editQuery keeps the table's filter while editing a stand.
func editQuery(q standsQuery, standID int64) string {
	v := url.Values{}
	if q.Hall != 0 {
		v.Set("hall", strconv.FormatInt(q.Hall, 10))
	}
	if q.Status != "" {
		v.Set("status", string(q.Status))
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	v.Set("edit", strconv.FormatInt(standID, 10))
	return v.Encode()
}

// standPageLinks numbers the pages of the stands table: 1 … 4 5 [6] 7 8 … 20.
func standPageLinks(q standsQuery, base string, pages int) []pageLink {
	var out []pageLink
	last := 0
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < q.Page-2 || n > q.Page+2) {
			continue
		}
		if last != 0 && n > last+1 {
			out = append(out, pageLink{Gap: true})
		}
		out = append(out, pageLink{N: n, URL: q.url(base, n), Current: n == q.Page})
		last = n
	}
	return out
}

func (h *Handler) showAdminFair(c *fiber.Ctx) error {
	f, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	return h.renderFairPage(c, f, fiber.StatusOK, fairPageOptions{})
}

// fairMsg translates a message in the request's language (without taking the session's flashes,
// as newPage does).
func (h *Handler) fairMsg(c *fiber.Ctx, id string, kv ...any) string {
	return h.tr.localize(localsLanguage(c), id, nil, pairs(kv))
}

// refusal shows the fair page again with a 409 and the reason, for a rule the request broke.
func (h *Handler) refusal(c *fiber.Ctx, f models.Fair, msg string, kv ...any) error {
	return h.renderFairPage(c, f, fiber.StatusConflict, fairPageOptions{alert: h.fairMsg(c, msg, kv...)})
}

func (h *Handler) updateFair(c *fiber.Ctx) error {
	org, err := organizerOf(c)
	if err != nil {
		return err
	}
	f, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	var in fairForm
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	if in.VisitorRegistration {
		form.Values["fair_visitor_registration"] = "1"
	}
	_, err = models.UpdateFair(c.UserContext(), h.db, org, f.ID, in.model())
	switch {
	case err == nil:
		webSessionOf(c).addFlash("success", "FlashFairSaved")
		return c.Redirect(fairAdminURL(f.ID), fiber.StatusSeeOther)
	case mergeValidation(form, err):
		return h.renderFairPage(c, f, fiber.StatusUnprocessableEntity, fairPageOptions{form: form, active: "fair"})
	case errors.Is(err, models.ErrInvalidState):
		return h.refusal(c, f, "FairAdminArchivedReadOnly")
	}
	return fmt.Errorf("update fair %d: %w", f.ID, err)
}

func (h *Handler) setFairStatus(c *fiber.Ctx) error {
	org, err := organizerOf(c)
	if err != nil {
		return err
	}
	f, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	to := models.FairStatus(strings.TrimSpace(bodyField(c, "to")))
	if !models.ValidFairStatus(string(to)) {
		return h.refusal(c, f, "FairAdminStatusUnknown")
	}
	_, err = models.SetFairStatus(c.UserContext(), h.db, org, f.ID, to, time.Now())
	switch {
	case err == nil:
		webSessionOf(c).addFlash("success", fairStatusFlashes[to])
		return c.Redirect(fairAdminURL(f.ID), fiber.StatusSeeOther)
	case errors.Is(err, models.ErrInvalidState):
		// Reload: the refusal names the status the fair is really in (a colleague may have moved it).
		if fresh, gerr := models.GetFair(c.UserContext(), h.db, f.ID); gerr == nil {
			f = fresh
		}
		return h.refusal(c, f, "FairAdminStatusRefused", "From", h.fairMsg(c, "FairStatus_"+string(f.Status)), "To", h.fairMsg(c, "FairStatus_"+string(to)))
	}
	return fmt.Errorf("set status of fair %d: %w", f.ID, err)
}

// ---- halls ----

type hallForm struct {
	Name  string `form:"hall_name"`
	Width string `form:"hall_width"`
	Depth string `form:"hall_depth"`
}

func (in hallForm) model(form *Form) models.HallInput {
	return models.HallInput{Name: in.Name, WidthCm: parseMetresField(form, "hall_width", in.Width, false),
		DepthCm: parseMetresField(form, "hall_depth", in.Depth, false)}
}

// saveHall creates a hall (hallID 0) or updates one.
func (h *Handler) saveHall(c *fiber.Ctx, hallID int64) error {
	org, err := organizerOf(c)
	if err != nil {
		return err
	}
	f, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	var in hallForm
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	active := "hall"
	if hallID != 0 {
		active = "hall-" + strconv.FormatInt(hallID, 10)
	}
	hall := in.model(form)
	if form.HasErrors() {
		return h.renderFairPage(c, f, fiber.StatusUnprocessableEntity, fairPageOptions{form: form, active: active})
	}
	ctx := c.UserContext()
	if hallID == 0 {
		_, err = models.CreateHall(ctx, h.db, org, f.ID, hall)
	} else {
		_, err = models.UpdateHall(ctx, h.db, org, f.ID, hallID, hall)
	}
	msg := "FlashHallAdded"
	if hallID != 0 {
		msg = "FlashHallSaved"
	}
	return h.answerFairForm(c, f, err, fairPageOptions{form: form, active: active}, msg, fairAdminURL(f.ID)+"#halls")
}

// answerFairForm answers a hall or stand form once the model has spoken: on success the
// flash and the redirect to target; the form again with its errors; or, for an archived
// fair, the read-only refusal.
func (h *Handler) answerFairForm(c *fiber.Ctx, f models.Fair, err error, opt fairPageOptions, flash, target string) error {
	switch {
	case err == nil:
		webSessionOf(c).addFlash("success", flash)
		return c.Redirect(target, fiber.StatusSeeOther)
	case mergeValidation(opt.form, err):
		return h.renderFairPage(c, f, fiber.StatusUnprocessableEntity, opt)
	case errors.Is(err, models.ErrInvalidState):
		return h.refusal(c, f, "FairAdminArchivedReadOnly")
	}
	return fmt.Errorf("save %s of fair %d: %w", opt.active, f.ID, err)
}

func (h *Handler) createHall(c *fiber.Ctx) error { return h.saveHall(c, 0) }

func (h *Handler) updateHall(c *fiber.Ctx) error {
	id, err := paramID(c, "hallID")
	if err != nil {
		return err
	}
	return h.saveHall(c, id)
}

// ---- stands ----

type standForm struct {
	Hall  string `form:"stand_hall"`
	Code  string `form:"stand_code"`
	Zone  string `form:"stand_zone"`
	Kind  string `form:"stand_kind"`
	X     string `form:"stand_x"`
	Y     string `form:"stand_y"`
	Width string `form:"stand_width"`
	Depth string `form:"stand_depth"`
	Price string `form:"stand_price"`
}

func (in standForm) model(form *Form) models.StandInput {
	return models.StandInput{
		HallID: parseHallID(form, "stand_hall", in.Hall), Code: in.Code, Zone: in.Zone, Kind: models.StandKind(in.Kind),
		XCm: parseMetresField(form, "stand_x", in.X, false), YCm: parseMetresField(form, "stand_y", in.Y, false),
		WidthCm: parseMetresField(form, "stand_width", in.Width, false), DepthCm: parseMetresField(form, "stand_depth", in.Depth, false),
		PriceCents: parseEurosField(form, "stand_price", in.Price),
	}
}

// saveStand adds a stand (standID 0) or edits one.
func (h *Handler) saveStand(c *fiber.Ctx, standID int64) error {
	org, err := organizerOf(c)
	if err != nil {
		return err
	}
	f, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if standID != 0 {
		if _, err := models.GetStand(ctx, h.db, f.ID, standID); err != nil {
			return fmt.Errorf("edit stand: %w", err)
		}
	}
	var in standForm
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	opt := fairPageOptions{form: form, active: "stand", editStand: standID}
	stand := in.model(form)
	if form.HasErrors() {
		return h.renderFairPage(c, f, fiber.StatusUnprocessableEntity, opt)
	}
	var saved models.Stand
	if standID == 0 {
		saved, err = models.AddStand(ctx, h.db, org, f.ID, stand)
	} else {
		saved, err = models.UpdateStand(ctx, h.db, org, f.ID, standID, stand)
	}
	msg, anchor := "FlashStandAdded", "#stand-form"
	if standID != 0 {
		msg, anchor = "FlashStandSaved", "#stands"
	}
	return h.answerFairForm(c, f, err, opt, msg, fairAdminURL(f.ID)+"?hall="+strconv.FormatInt(saved.HallID, 10)+anchor)
}

func (h *Handler) createStand(c *fiber.Ctx) error { return h.saveStand(c, 0) }

func (h *Handler) updateStand(c *fiber.Ctx) error {
	id, err := paramID(c, "standID")
	if err != nil {
		return err
	}
	return h.saveStand(c, id)
}

// standRefusal explains why a stand cannot change: the fair is archived, or the stand is held
// by an exhibitor.
func (h *Handler) standRefusal(c *fiber.Ctx, f models.Fair, s models.Stand, msg string) error {
	if f.Status == models.FairArchived {
		return h.refusal(c, f, "FairAdminArchivedReadOnly")
	}
	return h.refusal(c, f, msg, "Code", s.Code)
}

// adminStand is the organizer, the fair and one of its stands, named by the URL.
type adminStand struct {
	org   models.User
	fair  models.Fair
	stand models.Stand
}

// loadAdminStand checks the organizer and finds the URL's stand in the URL's fair (another
// fair's stand is 404).
func (h *Handler) loadAdminStand(c *fiber.Ctx) (adminStand, error) {
	var r adminStand
	var err error
	if r.org, err = organizerOf(c); err != nil {
		return r, err
	}
	if r.fair, err = h.loadAdminFair(c); err != nil {
		return r, err
	}
	id, err := paramID(c, "standID")
	if err != nil {
		return r, err
	}
	if r.stand, err = models.GetStand(c.UserContext(), h.db, r.fair.ID, id); err != nil {
		return r, fmt.Errorf("stand %d: %w", id, err)
	}
	return r, nil
}

// standsURL is the fair's page opened on the stand's hall, at the stands list.
func (r adminStand) standsURL() string {
	return fairAdminURL(r.fair.ID) + "?hall=" + strconv.FormatInt(r.stand.HallID, 10) + "#stands"
}

func (h *Handler) setStandStatus(c *fiber.Ctx) error {
	r, err := h.loadAdminStand(c)
	if err != nil {
		return err
	}
	f, s, id := r.fair, r.stand, r.stand.ID
	to := models.StandStatus(strings.TrimSpace(bodyField(c, "to")))
	_, err = models.SetStandStatus(c.UserContext(), h.db, r.org, f.ID, id, to)
	switch {
	case err == nil:
		webSessionOf(c).addFlash("success", "FlashStandStatusChanged")
		return c.Redirect(r.standsURL(), fiber.StatusSeeOther)
	case errors.Is(err, models.ErrInvalidState):
		if !slices.Contains(models.OrganizerStandStatuses, to) {
			return h.standRefusal(c, f, s, "FairAdminStandStatusByHand")
		}
		return h.standRefusal(c, f, s, "FairAdminStandAssignedLocked")
	}
	return fmt.Errorf("set status of stand %d: %w", id, err)
}

func (h *Handler) deleteStand(c *fiber.Ctx) error {
	r, err := h.loadAdminStand(c)
	if err != nil {
		return err
	}
	f, s, id := r.fair, r.stand, r.stand.ID
	err = models.DeleteStand(c.UserContext(), h.db, r.org, f.ID, id)
	switch {
	case err == nil:
		webSessionOf(c).addFlash("success", "FlashStandDeleted")
		return c.Redirect(r.standsURL(), fiber.StatusSeeOther)
	case errors.Is(err, models.ErrInvalidState):
		return h.standRefusal(c, f, s, "FairAdminStandDeleteAssigned")
	}
	return fmt.Errorf("delete stand %d: %w", id, err)
}

// ---- grid ----

type gridForm struct {
	Hall    string `form:"grid_hall"`
	Rows    string `form:"grid_rows"`
	Cols    string `form:"grid_cols"`
	Width   string `form:"grid_width"`
	Depth   string `form:"grid_depth"`
	Aisle   string `form:"grid_aisle"`
	OriginX string `form:"grid_origin_x"`
	OriginY string `form:"grid_origin_y"`
	Pattern string `form:"grid_pattern"`
	Zone    string `form:"grid_zone"`
	Kind    string `form:"grid_kind"`
	Price   string `form:"grid_price"`
}

func (in gridForm) model(form *Form) models.GridSpec {
	return models.GridSpec{
		HallID: parseHallID(form, "grid_hall", in.Hall),
		Rows:   parseCountField(form, "grid_rows", in.Rows), Cols: parseCountField(form, "grid_cols", in.Cols),
		WidthCm: parseMetresField(form, "grid_width", in.Width, false), DepthCm: parseMetresField(form, "grid_depth", in.Depth, false),
		AisleCm:   parseMetresField(form, "grid_aisle", in.Aisle, true),
		OriginXCm: parseMetresField(form, "grid_origin_x", in.OriginX, true), OriginYCm: parseMetresField(form, "grid_origin_y", in.OriginY, true),
		CodePattern: in.Pattern, Zone: in.Zone, Kind: models.StandKind(in.Kind), PriceCents: parseEurosField(form, "grid_price", in.Price),
	}
}

type hallOption struct {
	ID    int64
	Label string
}

type fairToolData struct {
	Fair    models.Fair
	Back    string
	Halls   []hallOption
	Kinds   []optionView
	Action  string
	CanEdit bool
	// Grid: the floor the grid needs when it does not fit.
	Needed string
	// Import: the preview of a file read.
	Preview *importPreview
	Columns []string
	Example string
	MaxRows int
}

func (h *Handler) fairToolData(c *fiber.Ctx, p *Page, f models.Fair, action string) (fairToolData, error) {
	halls, err := models.ListHalls(c.UserContext(), h.db, f.ID)
	if err != nil {
		return fairToolData{}, fmt.Errorf("halls of fair %d: %w", f.ID, err)
	}
	d := fairToolData{Fair: f, Back: fairAdminURL(f.ID), Action: action, CanEdit: f.Status != models.FairArchived,
		Columns: models.StandsCSVColumns, MaxRows: models.MaxImportRows}
	for _, hl := range halls {
		d.Halls = append(d.Halls, hallOption{ID: hl.ID, Label: hl.Name + " (" + metresText(p.Lang, hl.WidthCm) + " × " + metresText(p.Lang, hl.DepthCm) + ")"})
	}
	for _, k := range models.StandKinds {
		d.Kinds = append(d.Kinds, optionView{Value: string(k), Label: standKindLabels[k]})
	}
	d.Example = "code,zone,kind,x,y,width,depth,price_cents\nA1,Zellige,corner,0,0,3,3,60000\nA2,Zellige,standard,3,0,3,3,45000\nA3,Tapis,standard,6,0,2.5,3,40000\n"
	return d, nil
}

func (h *Handler) showStandGrid(c *fiber.Ctx) error {
	f, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "FairAdminGridTitle")
	d, err := h.fairToolData(c, page, f, fairAdminURL(f.ID)+"/stands/grid")
	if err != nil {
		return err
	}
	page.Form = newForm()
	for k, v := range map[string]string{"grid_rows": "4", "grid_cols": "10", "grid_width": "3", "grid_depth": "3", "grid_aisle": "2",
		"grid_origin_x": "0", "grid_origin_y": "0", "grid_pattern": "A{n}", "grid_kind": string(models.StandStandard), "grid_price": "450"} {
		page.Form.Values[k] = v
	}
	if id, err := strconv.ParseInt(c.Query("hall"), 10, 64); err == nil {
		page.Form.Values["grid_hall"] = strconv.FormatInt(id, 10)
	}
	page.Data = d
	return h.render(c, fiber.StatusOK, tplAdminFairGrid, page)
}

func (h *Handler) createStandGrid(c *fiber.Ctx) error {
	org, err := organizerOf(c)
	if err != nil {
		return err
	}
	f, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "FairAdminGridTitle")
	d, err := h.fairToolData(c, page, f, fairAdminURL(f.ID)+"/stands/grid")
	if err != nil {
		return err
	}
	var in gridForm
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	page.Form, page.Data = form, d
	spec := in.model(form)
	if form.HasErrors() {
		return h.render(c, fiber.StatusUnprocessableEntity, tplAdminFairGrid, page)
	}
	stands, err := models.GenerateStandGrid(c.UserContext(), h.db, org, f.ID, spec)
	switch {
	case err == nil:
		webSessionOf(c).addFlash("success", "FlashGridCreated")
		return c.Redirect(fairAdminURL(f.ID)+"?hall="+strconv.FormatInt(stands[0].HallID, 10)+"#stands", fiber.StatusSeeOther)
	case mergeValidation(form, err):
		if form.Errors["grid"] == "GridOutsideHall" {
			w, dd := spec.GridSize()
			d.Needed = metresText(page.Lang, w) + " × " + metresText(page.Lang, dd)
			page.Data = d
		}
		return h.render(c, fiber.StatusUnprocessableEntity, tplAdminFairGrid, page)
	case errors.Is(err, models.ErrInvalidState):
		form.Summary = "FairAdminArchivedReadOnly"
		return h.render(c, fiber.StatusConflict, tplAdminFairGrid, page)
	}
	return fmt.Errorf("grid for fair %d: %w", f.ID, err)
}

// ---- CSV import ----

// importPreview is a file read and checked, ready for the preview table.
type importPreview struct {
	HallID   int64
	HallName string
	Rows     []importRowView
	Errors   []importErrorView
	Total    int  // data lines read
	Bad      int  // lines with an error
	Hidden   int  // good lines not shown
	OK       bool // nothing wrong: the confirm button is shown
	CSV      string
	Ignored  string
	FileWide []importErrorView // errors about the whole file
}

type importRowView struct {
	Line  int
	Cells []importCell
	Bad   bool
}

type importCell struct {
	Text string
	Bad  bool
}

type importErrorView struct {
	Line int
	Text string // translated, with the line and column
}

// previewRowsShown bounds the preview table when the file is fine (its errors are always all
// shown, with their lines).
const previewRowsShown = 100

// describeImportError writes one error in the page's language: "Ligne 7, colonne x : …".
func describeImportError(p *Page, e models.ImportError) string {
	msg := p.T(e.Message, "Value", e.Value, "Other", e.Other, "Earlier", e.OtherLine, "Max", models.MaxImportRows,
		"Columns", strings.Join(models.StandsCSVColumns, ","))
	switch {
	case e.Line == 0:
		return msg
	case e.Field == "":
		return p.T("ImportAtLine", "Line", e.Line, "Message", msg)
	}
	return p.T("ImportAtLineField", "Line", e.Line, "Field", e.Field, "Message", msg)
}

// buildPreview turns a checked file into the preview's view.
func buildPreview(p *Page, pv models.StandsPreview, hall models.Hall, csvText string) *importPreview {
	out := &importPreview{HallID: hall.ID, HallName: hall.Name, Total: len(pv.Rows), OK: pv.OK(), Ignored: strings.Join(pv.Ignored, ", ")}
	badCells := map[int]map[string]bool{}
	for _, e := range pv.Errors {
		v := importErrorView{Line: e.Line, Text: describeImportError(p, e)}
		if e.Line <= 1 {
			out.FileWide = append(out.FileWide, v)
		}
		out.Errors = append(out.Errors, v)
		if badCells[e.Line] == nil {
			badCells[e.Line] = map[string]bool{}
		}
		badCells[e.Line][e.Field] = true
	}
	for _, r := range pv.Rows {
		bad := badCells[r.Line] != nil
		if bad {
			out.Bad++
		}
		// A file with errors shows its wrong lines; a good file its first lines.
		if (!out.OK && !bad) || (out.OK && len(out.Rows) >= previewRowsShown) {
			out.Hidden++
			continue
		}
		row := importRowView{Line: r.Line, Bad: bad}
		for i, col := range models.StandsCSVColumns {
			row.Cells = append(row.Cells, importCell{Text: r.Cells[i], Bad: badCells[r.Line][col]})
		}
		out.Rows = append(out.Rows, row)
	}
	if out.OK {
		out.CSV = csvText
	}
	return out
}

func (h *Handler) showStandImport(c *fiber.Ctx) error {
	f, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "FairAdminImportTitle")
	d, err := h.fairToolData(c, page, f, fairAdminURL(f.ID)+"/stands/import")
	if err != nil {
		return err
	}
	page.Form = newForm()
	if id, err := strconv.ParseInt(c.Query("hall"), 10, 64); err == nil {
		page.Form.Values["import_hall"] = strconv.FormatInt(id, 10)
	}
	page.Data = d
	return h.render(c, fiber.StatusOK, tplAdminFairImport, page)
}

// readImport reads the hall and the file (upload) or the text carried by the preview (confirm).
func (h *Handler) readImport(c *fiber.Ctx, form *Form, confirm bool) (hallID int64, text string, ok bool) {
	hallID = parseHallID(form, "import_hall", bodyField(c, "import_hall"))
	form.Values["import_hall"] = strings.TrimSpace(bodyField(c, "import_hall"))
	if confirm {
		text = bodyField(c, "csv_text")
		if len(text) > models.MaxImportBytes {
			form.Errors["import_csv"] = "ImportTooLarge"
		}
		return hallID, text, len(form.Errors) == 0
	}
	fh, err := c.FormFile("import_csv")
	if err != nil {
		form.Errors["import_csv"] = "ImportChooseFile"
		return hallID, "", false
	}
	if fh.Size > models.MaxImportBytes {
		form.Errors["import_csv"] = "ImportTooLarge"
		return hallID, "", false
	}
	file, err := fh.Open()
	if err != nil {
		form.Errors["import_csv"] = "ImportChooseFile"
		return hallID, "", false
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, models.MaxImportBytes+1))
	if err != nil {
		form.Errors["import_csv"] = "ImportChooseFile"
		return hallID, "", false
	}
	return hallID, string(b), len(form.Errors) == 0
}

// importStands reads an uploaded file (confirm=false: preview only, nothing saved) or the
// text of a previewed file (confirm=true: checked again, then saved all or nothing).
func (h *Handler) importStands(c *fiber.Ctx, confirm bool) error {
	org, err := organizerOf(c)
	if err != nil {
		return err
	}
	f, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	page := h.newPage(c, "FairAdminImportTitle")
	d, err := h.fairToolData(c, page, f, fairAdminURL(f.ID)+"/stands/import")
	if err != nil {
		return err
	}
	form := newForm()
	page.Form, page.Data = form, d
	hallID, text, ok := h.readImport(c, form, confirm)
	var hall models.Hall
	if hallID != 0 {
		if hall, err = models.GetHall(ctx, h.db, f.ID, hallID); errors.Is(err, models.ErrNotFound) {
			form.Errors["import_hall"] = "FieldInvalidChoice"
			ok = false
		} else if err != nil {
			return fmt.Errorf("import hall: %w", err)
		}
	}
	if !ok {
		return h.render(c, fiber.StatusUnprocessableEntity, tplAdminFairImport, page)
	}
	if !d.CanEdit {
		form.Summary = "FairAdminArchivedReadOnly"
		return h.render(c, fiber.StatusConflict, tplAdminFairImport, page)
	}
	pv, err := models.ParseStandsCSV(strings.NewReader(text))
	if err != nil {
		return fmt.Errorf("parse stands file: %w", err)
	}
	if len(pv.FileErrors()) == 0 {
		if err := models.CheckStandRows(ctx, h.db, f.ID, hall.ID, &pv); err != nil {
			return fmt.Errorf("check stands file: %w", err)
		}
	}
	if !confirm || !pv.OK() {
		d.Preview = buildPreview(page, pv, hall, text)
		page.Data = d
		status := fiber.StatusOK
		if !pv.OK() {
			status = fiber.StatusUnprocessableEntity
		}
		return h.render(c, status, tplAdminFairImport, page)
	}
	n, err := models.ImportStands(ctx, h.db, org, f.ID, hall.ID, pv.Rows)
	var ie *models.ImportErrors
	switch {
	case err == nil:
		webSessionOf(c).addFlash("success", "FlashStandsImported")
		h.log.Info("stands imported", "fair", f.ID, "hall", hall.ID, "count", n, "request_id", requestID(c))
		return c.Redirect(fairAdminURL(f.ID)+"?hall="+strconv.FormatInt(hall.ID, 10)+"#stands", fiber.StatusSeeOther)
	case errors.As(err, &ie):
		// Something changed since the preview (a colleague drew a stand there): show why.
		pv.Errors = ie.Errors
		d.Preview = buildPreview(page, pv, hall, text)
		page.Data = d
		return h.render(c, fiber.StatusConflict, tplAdminFairImport, page)
	case errors.Is(err, models.ErrInvalidState):
		form.Summary = "FairAdminArchivedReadOnly"
		return h.render(c, fiber.StatusConflict, tplAdminFairImport, page)
	}
	return fmt.Errorf("import stands into fair %d: %w", f.ID, err)
}

func (h *Handler) previewStandImport(c *fiber.Ctx) error { return h.importStands(c, false) }

func (h *Handler) confirmStandImport(c *fiber.Ctx) error { return h.importStands(c, true) }

// ---- export ----

// exportStands sends the fair's stands as CSV (UTF-8 with BOM, for Excel).
func (h *Handler) exportStands(c *fiber.Ctx) error {
	f, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := models.WriteStandsCSV(c.UserContext(), h.db, f.ID, &buf); err != nil {
		return fmt.Errorf("export stands of fair %d: %w", f.ID, err)
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="stands-`+f.Slug+`.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}
