package handlers

// Floor plans, stand pages and printable stand signs (/fairs/:slug/plan, /fairs/:slug/stands/…).
//
// The plan is drawn by one reusable renderer: a typed view model (PlanView → PlanHall →
// PlanStand) executed by the partial views/partials/plan_svg.html, so every text is escaped by
// html/template. The caller decides what a stand looks like (Class, Pattern), what it says
// (Label, Sublabel, Title) and where it leads (Href); the renderer only does the geometry: one
// SVG per hall, to scale, in centimetres. Visitors get exhibitors' names and links; organizers
// get every stand coloured by status. Allocation pages reuse the same renderer.

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/skip2/go-qrcode"
	"github.com/soukexpo/souk/models"
)

// ---- the renderer ----

// PlanView is a whole floor plan: one to-scale SVG per hall.
type PlanView struct {
	Halls []PlanHall
}

// PlanHall is one hall drawn to scale; sizes in centimetres. Build it with newPlanHall, which
// fills the texts in the page's language.
type PlanHall struct {
	ID      int64
	Name    string
	WidthCm int
	DepthCm int
	Stands  []PlanStand
	// Caption names the hall and its size ("Hall 1 · 60 × 40 m"); RegionLabel is the
	// accessible name of the scrollable plan; ScaleLabel reads the scale bar ("5 m").
	Caption     string
	RegionLabel string
	ScaleLabel  string
}

// PlanStand is one stand as the caller wants it drawn.
type PlanStand struct {
	Code    string
	XCm     int
	YCm     int
	WidthCm int
	DepthCm int
	// Class is the CSS class giving the colour (status-available, status-held, …, or any the
	// caller styles); Pattern adds a texture so colour is never the only cue: "hatch",
	// "cross" or "" (none).
	Class   string
	Pattern string
	// Label and Sublabel are written inside the stand under its code, shortened to fit.
	Label    string
	Sublabel string
	// Href makes the stand a link ("" = not clickable); Title is its accessible name and
	// tooltip.
	Href  string
	Title string
}

// planPatterns are the textures the renderer defines in every hall's SVG.
var planPatterns = []string{"hatch", "cross"}

// newPlanHall wraps a hall's stands with the texts the SVG shows, in the page's language.
func newPlanHall(p *Page, hall models.Hall, stands []PlanStand) PlanHall {
	ph := PlanHall{ID: hall.ID, Name: hall.Name, WidthCm: hall.WidthCm, DepthCm: hall.DepthCm, Stands: stands}
	ph.Caption = p.T("PlanHallCaption", "Name", planIsolate(hall.Name), "Width", planMetres(p.Lang, hall.WidthCm), "Depth", planMetres(p.Lang, hall.DepthCm))
	ph.RegionLabel = p.T("PlanHallRegion", "Name", planIsolate(hall.Name))
	ph.ScaleLabel = p.T("PlanScaleMetres", "N", ph.scaleMetres())
	return ph
}

// DOMID is the hall's id prefix in the page (pattern ids, captions).
func (h PlanHall) DOMID() string { return "plan-hall-" + strconv.FormatInt(h.ID, 10) }

// Patterns lists the textures to define, with their element ids.
func (h PlanHall) Patterns() []planPattern {
	out := make([]planPattern, len(planPatterns))
	for i, name := range planPatterns {
		out[i] = planPattern{Name: name, ID: h.DOMID() + "-" + name, Size: h.patternSize()}
	}
	return out
}

// PatternFill is the fill attribute of a stand's texture.
func (h PlanHall) PatternFill(pattern string) string {
	return "url(#" + h.DOMID() + "-" + pattern + ")"
}

type planPattern struct {
	Name string
	ID   string
	Size int
}

// Half and Stroke draw the texture lines.
func (p planPattern) Half() int   { return p.Size / 2 }
func (p planPattern) Stroke() int { return max(p.Size/5, 2) }

// extent is the drawn area: the hall, grown to any stand placed outside it.
func (h PlanHall) extent() (w, d int) {
	w, d = max(h.WidthCm, 100), max(h.DepthCm, 100)
	for _, s := range h.Stands {
		w, d = max(w, s.XCm+s.WidthCm), max(d, s.YCm+s.DepthCm)
	}
	return w, d
}

// smallestSide is the shortest side of any stand (what the text must fit in).
func (h PlanHall) smallestSide() int {
	side := 0
	for _, s := range h.Stands {
		m := min(s.WidthCm, s.DepthCm)
		if m > 0 && (side == 0 || m < side) {
			side = m
		}
	}
	if side == 0 {
		side = 300
	}
	return side
}

func (h PlanHall) margin() int {
	w, d := h.extent()
	return max(max(w, d)/50, 40)
}

// TextSize is the font size of the hall's own texts (scale bar), in centimetres.
func (h PlanHall) TextSize() int {
	w, _ := h.extent()
	return min(max(w/55, 40), 400)
}

func (h PlanHall) patternSize() int { return min(max(h.smallestSide()/7, 16), 120) }

// ViewBox is the SVG's coordinate system: centimetres from the hall's top-left corner, with a
// margin around it and room for the scale bar below.
func (h PlanHall) ViewBox() string {
	w, d := h.extent()
	m := h.margin()
	return fmt.Sprintf("%d %d %d %d", -m, -m, w+2*m, d+2*m+h.TextSize()*3)
}

// MinWidthPx is the narrowest the plan is drawn, in CSS pixels: the smallest stand stays about
// 64 px wide, so its code and the exhibitor's name stay readable (10 px and more); a narrower
// screen scrolls the plan sideways instead of shrinking it. CSS widens it to its container.
func (h PlanHall) MinWidthPx() int {
	w, _ := h.extent()
	pxPerCm := min(max(64/float64(h.smallestSide()), 0.08), 0.3)
	return int(math.Round(float64(w+2*h.margin()) * pxPerCm))
}

// scaleMetres is the length of the scale bar: a round number near a quarter of the hall.
func (h PlanHall) scaleMetres() int {
	w, _ := h.extent()
	best := 1
	for _, m := range []int{1, 2, 5, 10, 20, 50, 100} {
		if m*100 <= w/4 {
			best = m
		}
	}
	return best
}

// ScaleBar places the metre scale under the hall.
func (h PlanHall) ScaleBar() planScaleBar {
	_, d := h.extent()
	t := h.TextSize()
	length := h.scaleMetres() * 100
	y := d + h.margin()/2 + t
	return planScaleBar{
		Path:  fmt.Sprintf("M0 %d v%d h%d v-%d", y-t/2, t/2, length, t/2),
		TextX: length + t/2, TextY: y, Size: t,
	}
}

type planScaleBar struct {
	Path         string
	TextX, TextY int
	Size         int
}

// Layout places the stand's texts: the code, then Label (up to two lines) and Sublabel, each
// sized to the stand and shortened with an ellipsis when too long. Positions in centimetres,
// y at the middle of a line (the SVG uses dominant-baseline: central).
func (s PlanStand) Layout() planStandText {
	w, d := float64(max(s.WidthCm, 1)), float64(max(s.DepthCm, 1))
	inner := w * 0.88
	codeF := min(d*0.34, inner/(planCodeEm*float64(max(utf8.RuneCountInString(s.Code), 1))))
	label, sub := s.Label, s.Sublabel
	if label == "" {
		label, sub = sub, ""
	}
	if label != "" {
		codeF = min(codeF, d*0.22)
	}
	labelF := min(codeF*0.75, d*0.16)
	// A first word too long for the line is set a little smaller rather than cut.
	if words := strings.Fields(label); len(words) > 0 {
		need := float64(utf8.RuneCountInString(words[0]))
		labelF = min(labelF, max(labelF*0.75, inner/(planLabelEm*need)))
	}
	subF := min(labelF*0.85, d*0.135)
	labelLines := planWrap(label, inner, labelF, 2)
	subLines := planWrap(sub, inner, subF, 1)
	height := func() float64 {
		return codeF + float64(len(labelLines))*labelF*1.25 + float64(len(subLines))*subF*1.3
	}
	for height() > d*0.9 && len(subLines)+len(labelLines) > 0 {
		switch {
		case len(subLines) > 0:
			subLines = nil
		case len(labelLines) > 1:
			labelLines = planWrap(label, inner, labelF, 1)
		default:
			labelLines = nil
		}
	}
	out := planStandText{CX: int(math.Round(float64(s.XCm) + w/2))}
	y := float64(s.YCm) + (d-height())/2
	add := func(class, text string, font, lineHeight float64) {
		out.Lines = append(out.Lines, planTextLine{Class: class, Text: text, Font: int(math.Round(font)),
			Y: int(math.Round(y + font*lineHeight/2))})
		y += font * lineHeight
	}
	add("plan-stand-code", s.Code, codeF, 1)
	for _, l := range labelLines {
		add("plan-stand-label", l, labelF, 1.25)
	}
	for _, l := range subLines {
		add("plan-stand-sub", l, subF, 1.3)
	}
	return out
}

// Average glyph widths in em, to fit texts without measuring them: the code is bold capitals
// and digits, labels are mixed case (Latin or Arabic).
const (
	planCodeEm  = 0.66
	planLabelEm = 0.58
)

type planStandText struct {
	CX    int
	Lines []planTextLine
}

type planTextLine struct {
	Class   string
	Text    string
	Y, Font int
}

// planWrap breaks text into at most maxLines lines that fit width at font size, word by word;
// the last line ends with an ellipsis when text remains. Nothing when not even three letters
// fit on a line.
func planWrap(text string, width, font float64, maxLines int) []string {
	text = strings.TrimSpace(text)
	if text == "" || font <= 0 {
		return nil
	}
	fits := int(width / (font * planLabelEm))
	if fits < 3 {
		return nil
	}
	var lines []string
	words := strings.Fields(text)
	for len(words) > 0 && len(lines) < maxLines {
		line := ""
		for len(words) > 0 {
			next := words[0]
			if line != "" {
				next = line + " " + words[0]
			}
			if utf8.RuneCountInString(next) > fits {
				break
			}
			line, words = next, words[1:]
		}
		if line == "" { // one word longer than the line: cut it there
			lines = append(lines, string([]rune(words[0])[:fits-1])+"…")
			return lines
		}
		lines = append(lines, line)
	}
	if len(words) > 0 {
		last := []rune(lines[len(lines)-1])
		if len(last) >= fits {
			last = last[:fits-1]
		}
		lines[len(lines)-1] = strings.TrimSpace(string(last)) + "…"
	}
	return lines
}

// planIsolate wraps a name of unknown direction (a Latin hall or business name in an Arabic
// sentence, or the reverse) in Unicode isolates, so it keeps its own order.
func planIsolate(s string) string { return "\u2068" + s + "\u2069" }

// planMetres writes centimetres as metres: "3", "2,5" ("2.5" in English).
func planMetres(lang string, cm int) string {
	s := strconv.FormatFloat(float64(cm)/100, 'f', -1, 64)
	if lang != "en" {
		s = strings.ReplaceAll(s, ".", ",")
	}
	return s
}

// ---- QR codes ----

// qrCode is a QR code drawn as one SVG path, one unit per module, quiet zone included (crisp
// in print, no image data: URI for the CSP to allow).
type qrCode struct {
	Size int    // modules per side, quiet zone included
	Path string // the dark modules
	Text string // what it encodes
}

// newQRCode encodes text with medium error correction (a sign survives a smudge or a fold).
func newQRCode(text string) (qrCode, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return qrCode{}, fmt.Errorf("encode qr code: %w", err)
	}
	bitmap := q.Bitmap()
	var b strings.Builder
	for y, row := range bitmap {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	return qrCode{Size: len(bitmap), Path: b.String(), Text: text}, nil
}

// ---- shared lookups ----

// isOrganizer tells whether the signed-in user runs the fairs.
func isOrganizer(c *fiber.Ctx) bool {
	u := currentUser(c)
	return u != nil && u.Role == models.RoleOrganizer
}

// planFair loads the fair of a plan or stand URL: published fairs for everyone, drafts for
// organizers only (everyone else gets the same 404 as for an unknown slug).
func (h *Handler) planFair(c *fiber.Ctx) (models.Fair, bool, error) {
	organizer := isOrganizer(c)
	slug := utils.CopyString(c.Params("slug"))
	f, err := models.GetPlanFair(c.UserContext(), h.db, slug, organizer)
	if err != nil {
		return f, organizer, fmt.Errorf("plan fair: %w", err)
	}
	return f, organizer, nil
}

// planStandCode reads the stand code from the path; codes are short, anything else is a 404.
func planStandCode(c *fiber.Ctx) (string, error) {
	code := models.NormalizeStandCode(c.Params("code"))
	if code == "" || len(code) > 16 {
		return "", errNotFound
	}
	return utils.CopyString(code), nil
}

func planFairURL(f models.Fair) string { return "/fairs/" + url.PathEscape(f.Slug) }

func planURL(f models.Fair) string { return planFairURL(f) + "/plan" }

func standURL(f models.Fair, code string) string {
	return planFairURL(f) + "/stands/" + url.PathEscape(code)
}

// absoluteURL is a path on the portal's public address (the configured base URL; the
// request's own address when none is configured, as in development).
func (h *Handler) absoluteURL(c *fiber.Ctx, path string) string {
	if h.baseURL != nil && h.baseURL.Host != "" {
		return strings.TrimSuffix(h.baseURL.String(), "/") + path
	}
	return c.BaseURL() + path
}

// planBack is where "back" leads from a plan: the public fair page, or the organizers' list of
// fairs for a draft (which has no public page yet).
func planBack(f models.Fair) string {
	if f.Status == models.FairDraft {
		return "/admin/fairs"
	}
	return planFairURL(f)
}

// ---- GET /fairs/:slug/plan ----

type planLegendItem struct {
	Class   string
	Pattern string
	Label   string
	Count   int
}

type planExhibitor struct {
	Code     string
	URL      string
	Name     string
	ShopURL  string
	Craft    string
	Region   string
	Verified bool
}

type fairPlanData struct {
	Fair models.Fair
	Back string
	// StatusView: the organizers' view, every stand coloured by status with the legend.
	StatusView bool
	// Organizer may switch between the status view and the visitors' view.
	Organizer  bool
	StatusURL  string
	VisitorURL string
	Plan       PlanView
	Legend     []planLegendItem
	Total      int
	Exhibitors []planExhibitor
}

// planStatusLook is how the status view draws each status: colour class, texture, name.
var planStatusLook = map[models.StandStatus]struct{ Class, Pattern string }{
	models.StandAvailable: {"status-available", ""},
	models.StandHeld:      {"status-held", "hatch"},
	models.StandAssigned:  {"status-assigned", ""},
	models.StandBlocked:   {"status-blocked", "cross"},
}

func (h *Handler) showFairPlan(c *fiber.Ctx) error {
	f, organizer, err := h.planFair(c)
	if err != nil {
		return err
	}
	plan, err := models.LoadFairPlan(c.UserContext(), h.db, f)
	if err != nil {
		return fmt.Errorf("show plan: %w", err)
	}
	ref, err := h.loadRefData(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "PlanTitle")
	page.Title = page.T("PlanPageTitle", "Fair", f.Name)
	data := fairPlanData{
		Fair: f, Back: planBack(f), Organizer: organizer, Total: len(plan.Stands),
		StatusView: organizer && c.Query("view") != "visitor",
		StatusURL:  planURL(f), VisitorURL: planURL(f) + "?view=visitor",
	}
	for _, hall := range plan.Halls {
		var stands []PlanStand
		for _, s := range plan.HallStands(hall.ID) {
			occ, occupied := plan.Occupants[s.ID]
			var ps PlanStand
			if data.StatusView {
				ps = statusStand(page, ref, f, s, occ, occupied)
			} else {
				ps = visitorStand(page, ref, f, s, occ, occupied)
			}
			stands = append(stands, ps)
		}
		data.Plan.Halls = append(data.Plan.Halls, newPlanHall(page, hall, stands))
	}
	if data.StatusView {
		counts := plan.CountByStatus()
		for _, st := range models.StandStatuses {
			look := planStatusLook[st]
			data.Legend = append(data.Legend, planLegendItem{Class: look.Class, Pattern: look.Pattern,
				Label: page.T("PlanStatus_" + string(st)), Count: counts[st]})
		}
	}
	for _, s := range plan.Stands {
		occ, ok := plan.Occupants[s.ID]
		if !ok {
			continue
		}
		ex := planExhibitor{Code: s.Code, URL: standURL(f, s.Code), Name: occ.BusinessName, Verified: occ.Verified()}
		if occ.Verified() {
			ex.ShopURL = "/artisans/" + url.PathEscape(occ.ArtisanSlug)
		}
		if cr, ok := ref.craft(occ.CraftCode); ok {
			ex.Craft = cr.Name(page.Lang)
		}
		if r, ok := ref.region(occ.RegionCode); ok {
			ex.Region = r.Name(page.Lang)
		}
		data.Exhibitors = append(data.Exhibitors, ex)
	}
	page.Data = data
	return h.render(c, fiber.StatusOK, tplFairPlan, page)
}

// visitorStand: an exhibitor's stand shows their name and craft and leads to the stand page;
// every other stand is plain.
func visitorStand(p *Page, ref refData, f models.Fair, s models.Stand, occ models.StandOccupant, occupied bool) PlanStand {
	ps := PlanStand{Code: s.Code, XCm: s.XCm, YCm: s.YCm, WidthCm: s.WidthCm, DepthCm: s.DepthCm, Class: "plan-free",
		Title: p.T("PlanTipFree", "Code", s.Code)}
	if s.Status == models.StandBlocked {
		ps.Class, ps.Title = "plan-blocked", p.T("PlanTipClosed", "Code", s.Code)
	}
	if !occupied {
		return ps
	}
	craft := ""
	if cr, ok := ref.craft(occ.CraftCode); ok {
		craft = cr.Name(p.Lang)
	}
	ps.Class, ps.Label, ps.Sublabel, ps.Href = "plan-occupied", occ.BusinessName, craft, standURL(f, s.Code)
	ps.Title = p.T("PlanTipOccupied", "Code", s.Code, "Name", planIsolate(occ.BusinessName), "Craft", craft)
	return ps
}

// statusStand: the organizers' view, coloured and textured by status, naming the exhibitor of
// an assigned stand; every stand leads to its page.
func statusStand(p *Page, ref refData, f models.Fair, s models.Stand, occ models.StandOccupant, occupied bool) PlanStand {
	look := planStatusLook[s.Status]
	status := p.T("PlanStatus_" + string(s.Status))
	ps := PlanStand{Code: s.Code, XCm: s.XCm, YCm: s.YCm, WidthCm: s.WidthCm, DepthCm: s.DepthCm,
		Class: look.Class, Pattern: look.Pattern, Label: status, Href: standURL(f, s.Code),
		Title: p.T("PlanTipStatus", "Code", s.Code, "Status", status)}
	if occupied {
		ps.Label = occ.BusinessName
		if cr, ok := ref.craft(occ.CraftCode); ok {
			ps.Sublabel = cr.Name(p.Lang)
		}
		ps.Title = p.T("PlanTipStatusOccupied", "Code", s.Code, "Status", status, "Name", planIsolate(occ.BusinessName))
	}
	return ps
}

// ---- GET /fairs/:slug/stands/:code ----

type standData struct {
	Fair      models.Fair
	Hall      models.Hall
	Stand     models.Stand
	PlanURL   string
	SignURL   string
	Kind      string
	Size      string
	Occupant  *models.StandOccupant
	ShopURL   string
	Craft     models.Craft
	Region    models.Region
	Cards     []productCard
	Listed    bool
	QR        qrCode
	Organizer bool
	Status    string
	Price     string
}

// loadStand reads the stand of the URL with everything its page and its sign show.
func (h *Handler) loadStand(c *fiber.Ctx) (models.StandPage, bool, error) {
	f, organizer, err := h.planFair(c)
	if err != nil {
		return models.StandPage{}, organizer, err
	}
	code, err := planStandCode(c)
	if err != nil {
		return models.StandPage{}, organizer, err
	}
	sp, err := models.LoadStandPage(c.UserContext(), h.db, f, code)
	if err != nil {
		return sp, organizer, fmt.Errorf("show stand: %w", err)
	}
	return sp, organizer, nil
}

func (h *Handler) showStand(c *fiber.Ctx) error {
	sp, organizer, err := h.loadStand(c)
	if err != nil {
		return err
	}
	ref, err := h.loadRefData(c)
	if err != nil {
		return err
	}
	self := standURL(sp.Fair, sp.Stand.Code)
	qr, err := newQRCode(h.absoluteURL(c, self))
	if err != nil {
		return err
	}
	page := h.newPage(c, "PlanTitle")
	page.Title = page.T("PlanStandPageTitle", "Code", sp.Stand.Code, "Fair", sp.Fair.Name)
	s := sp.Stand
	data := standData{
		Fair: sp.Fair, Hall: sp.Hall, Stand: s, PlanURL: planURL(sp.Fair), SignURL: self + "/sign",
		Kind: page.T("PlanKind_" + string(s.Kind)),
		Size: page.T("PlanStandSizeValue", "Area", planMetres(page.Lang, s.WidthCm*s.DepthCm/100),
			"Width", planMetres(page.Lang, s.WidthCm), "Depth", planMetres(page.Lang, s.DepthCm)),
		Occupant: sp.Occupant, Listed: sp.Listed, QR: qr, Organizer: organizer,
		Status: page.T("PlanStatus_" + string(s.Status)), Price: page.Euros(s.PriceCents),
	}
	if o := sp.Occupant; o != nil {
		if o.Verified() {
			data.ShopURL = "/artisans/" + url.PathEscape(o.ArtisanSlug)
		}
		data.Craft, _ = ref.craft(o.CraftCode)
		data.Region, _ = ref.region(o.RegionCode)
		page.Title = page.T("PlanStandPageTitleOccupied", "Code", s.Code, "Name", o.BusinessName)
		data.Cards = hideMaker(h.cards(page, ref, sp.Products))
	}
	page.Data = data
	return h.render(c, fiber.StatusOK, tplStand, page)
}

// ---- GET /fairs/:slug/stands/:code/sign ----

// bilingual is one text of the sign in French and in Arabic: signs hang at Brussels and Paris
// fairs visited by French and Arabic readers, whatever the language of whoever prints them.
type bilingual struct{ FR, AR string }

type standSignData struct {
	Fair       models.Fair
	Stand      models.Stand
	StandURL   string
	Occupant   *models.StandOccupant
	Craft      bilingual
	Region     bilingual
	QR         qrCode
	ShortURL   string // the address printed under the QR code, without the scheme
	LongName   bool   // a long name is set smaller so the sign stays on one page
	Dates      bilingual
	WordStand  bilingual
	WordCraft  bilingual
	WordRegion bilingual
	Verified   bilingual
	Scan       bilingual
	Free       bilingual
}

func (h *Handler) showStandSign(c *fiber.Ctx) error {
	sp, _, err := h.loadStand(c)
	if err != nil {
		return err
	}
	ref, err := h.loadRefData(c)
	if err != nil {
		return err
	}
	self := standURL(sp.Fair, sp.Stand.Code)
	abs := h.absoluteURL(c, self)
	qr, err := newQRCode(abs)
	if err != nil {
		return err
	}
	both := func(id string) bilingual {
		return bilingual{FR: h.tr.localize("fr", id, nil, nil), AR: h.tr.localize("ar", id, nil, nil)}
	}
	page := h.newPage(c, "PlanTitle")
	page.Title = page.T("PlanStandSignTitle", "Code", sp.Stand.Code)
	data := standSignData{
		Fair: sp.Fair, Stand: sp.Stand, StandURL: self, Occupant: sp.Occupant, QR: qr,
		ShortURL:  strings.TrimPrefix(strings.TrimPrefix(abs, "https://"), "http://"),
		Dates:     bilingual{FR: formatDateRange("fr", sp.Fair.StartsOn, sp.Fair.EndsOn), AR: formatDateRange("ar", sp.Fair.StartsOn, sp.Fair.EndsOn)},
		WordStand: both("PlanSignStand"), WordCraft: both("PlanSignCraft"), WordRegion: both("PlanSignRegion"),
		Verified: both("PlanSignVerified"), Scan: both("PlanSignScan"), Free: both("PlanSignFree"),
	}
	if o := sp.Occupant; o != nil {
		if cr, ok := ref.craft(o.CraftCode); ok {
			data.Craft = bilingual{FR: cr.Name("fr"), AR: cr.Name("ar")}
		}
		if r, ok := ref.region(o.RegionCode); ok {
			data.Region = bilingual{FR: r.Name("fr"), AR: r.Name("ar")}
		}
		data.LongName = utf8.RuneCountInString(o.BusinessName) > 34
	}
	page.Data = data
	return h.render(c, fiber.StatusOK, tplStandSign, page)
}
