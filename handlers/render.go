package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
)

// Template names: one file per page under views/pages.
const (
	tplHome          = "home"
	tplFairs         = "fairs"
	tplFair          = "fair"
	tplSignup        = "signup"
	tplLogin         = "login"
	tplAccount       = "account"
	tplError         = "error"
	tplAdminHome     = "admin_home"
	tplChamberAgents = "admin_chamber_agents"
	// Catalog, shops, favourites and the chamber agents' space (handlers/catalog.go, chamber.go).
	tplCatalog        = "catalog"
	tplProduct        = "product"
	tplShop           = "artisan_shop"
	tplFavourites     = "favourites"
	tplChamberQueue   = "chamber_artisans"
	tplChamberArtisan = "chamber_artisan"
	// Artisan studio (handlers/studio.go, photos.go).
	tplStudio         = "studio_home"
	tplStudioProfile  = "studio_profile"
	tplStudioProducts = "studio_products"
	tplStudioProduct  = "studio_product"
)

// Fairs, plans, applications and allocation (issue 4): one block per file that owns them.
const (
	tplAdminFairs      = "admin_fairs"
	tplAdminFair       = "admin_fair"
	tplAdminFairNew    = "admin_fair_new"
	tplAdminFairGrid   = "admin_fair_grid"
	tplAdminFairImport = "admin_fair_import"
	// fairs-admin-templates-const
	tplFairPlan  = "fair_plan"
	tplStand     = "stand"
	tplStandSign = "stand_sign"
	// plan-templates-const
	tplStudioApplications  = "studio_applications"
	tplStudioApplication   = "studio_application"
	tplChamberApplications = "chamber_applications"
	tplChamberApplication  = "chamber_application"
	// applications-templates-const
	tplReviewList     = "admin_applications"
	tplReviewApp      = "admin_application"
	tplReviewQuotas   = "admin_quotas"
	tplReviewWaitlist = "admin_waitlist"
	tplAdminOutbox    = "admin_outbox"
	// review-templates-const
	tplAdminAllocation = "admin_allocation"
	// allocation-templates-const
	tplCart          = "cart"
	tplCheckout      = "checkout"
	tplOrder         = "order"
	tplAdminShipping = "admin_shipping"
	// cart-templates-const
	// payments-templates-const
	tplFulStudioOrders = "studio_orders"
	tplFulPacking      = "studio_packing"
	tplFulPickup       = "studio_pickup"
	tplFulStandSales   = "studio_stand_sales"
	tplFulAdminOrders  = "admin_orders"
	tplFulAdminOrder   = "admin_order"
	tplFulSettlement   = "admin_settlement"
	// fulfilment-templates-const
)

var allTemplates = []string{
	tplHome, tplFairs, tplFair, tplSignup, tplLogin, tplAccount, tplError,
	tplAdminHome, tplChamberAgents,
	tplStudio, tplStudioProfile, tplStudioProducts, tplStudioProduct,
	// studio-templates
	tplCatalog, tplProduct, tplShop, tplFavourites, tplChamberQueue, tplChamberArtisan,
	// catalog-templates
	tplAdminFairs, tplAdminFair, tplAdminFairNew, tplAdminFairGrid, tplAdminFairImport,
	// fairs-admin-templates
	tplFairPlan, tplStand, tplStandSign,
	// plan-templates
	tplStudioApplications, tplStudioApplication, tplChamberApplications, tplChamberApplication,
	// applications-templates
	tplReviewList, tplReviewApp, tplReviewQuotas, tplReviewWaitlist, tplAdminOutbox,
	// review-templates
	tplAdminAllocation,
	// allocation-templates
	tplCart, tplCheckout, tplOrder, tplAdminShipping,
	// cart-templates
	// payments-templates
	tplFulStudioOrders, tplFulPacking, tplFulPickup, tplFulStandSales, tplFulAdminOrders, tplFulAdminOrder, tplFulSettlement,
	// fulfilment-templates
}

// templates is the parsed set of pages; it implements fiber.Views.
type templates struct {
	pages map[string]*template.Template
}

var _ fiber.Views = (*templates)(nil)

// parseTemplates parses one template set per page (layout + partials + page) so pages never
// share a block namespace. A missing or broken page fails start-up, not a request.
func parseTemplates(fsys fs.FS, funcs template.FuncMap) (*templates, error) {
	t := &templates{pages: make(map[string]*template.Template, len(allTemplates))}
	for _, name := range allTemplates {
		set, err := template.New("base.html").Funcs(funcs).ParseFS(fsys, "layouts/base.html", "partials/*.html", "pages/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		t.pages[name] = set
	}
	return t, nil
}

// Load satisfies fiber.Views; everything is parsed in parseTemplates already.
func (t *templates) Load() error { return nil }

// Render executes page name into w, buffering so a failing template never sends half a page.
func (t *templates) Render(w io.Writer, name string, data any, _ ...string) error {
	set, ok := t.pages[name]
	if !ok {
		return fmt.Errorf("render %s: unknown template", name)
	}
	var buf bytes.Buffer
	if err := set.ExecuteTemplate(&buf, "base.html", data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// fieldSpec describes one form input rendered by the "field" partial.
type fieldSpec struct {
	Name, Type, Autocomplete, Hint string
	Required                       bool
}

// Flash is a one-time message shown on the next page.
type Flash struct {
	Kind    string            // success, info, error
	Message string            // message id
	Args    map[string]string `json:",omitempty"` // the message's template data
}

// langLink is one entry of the language switcher.
type langLink struct {
	Code, Name, URL string
	Current         bool
}

// Page is the typed data every template receives; Data holds the page's own fields.
type Page struct {
	Lang      string
	Dir       string
	Title     string
	CSRF      string
	User      *models.User
	Flashes   []Flash
	Path      string
	LangLinks []langLink
	RequestID string
	Form      *Form
	Data      any

	tr        *translator
	cartCount int // pieces in the visitor's cart, for the header (handlers/cart.go)
}

// T translates a message id; extra arguments are key/value pairs for the message's template.
func (p *Page) T(id string, kv ...any) string {
	return p.tr.localize(p.Lang, id, nil, pairs(kv))
}

// TN translates a message with plural forms chosen by n.
func (p *Page) TN(id string, n int, kv ...any) string {
	return p.tr.localize(p.Lang, id, n, pairs(kv))
}

// FlashText translates a flash message with its arguments.
func (p *Page) FlashText(f Flash) string {
	data := make(map[string]any, len(f.Args))
	for k, v := range f.Args {
		data[k] = v
	}
	return p.tr.localize(p.Lang, f.Message, nil, data)
}

// DateRange formats a fair's dates for the page's language.
func (p *Page) DateRange(from, to time.Time) string { return formatDateRange(p.Lang, from, to) }

// Date formats one day for the page's language.
func (p *Page) Date(d time.Time) string { return formatDate(p.Lang, d) }

// RegionName and CraftName pick the page's language.
func (p *Page) RegionName(r models.Region) string { return r.Name(p.Lang) }

// ChamberName is the chamber of a region in the page's language.
func (p *Page) ChamberName(r models.Region) string { return r.Chamber(p.Lang) }

// CraftName is a craft's name in the page's language.
func (p *Page) CraftName(c models.Craft) string { return c.Name(p.Lang) }

// Country names a country code in the page's language.
func (p *Page) Country(code string) string { return p.T("Country" + code) }

// HasRole tells whether the signed-in user has one of the roles.
func (p *Page) HasRole(roles ...string) bool {
	if p.User == nil {
		return false
	}
	for _, r := range roles {
		if string(p.User.Role) == r {
			return true
		}
	}
	return false
}

func pairs(kv []any) map[string]any {
	if len(kv) == 0 {
		return nil
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			m[k] = kv[i+1]
		}
	}
	return m
}

// Form keeps what the user typed and the translated error of each field.
type Form struct {
	Values map[string]string
	Errors map[string]string
	// Summary is an error about the whole form (e.g. wrong credentials).
	Summary string
}

func newForm() *Form { return &Form{Values: map[string]string{}, Errors: map[string]string{}} }

// Value returns what was typed in field.
func (f *Form) Value(field string) string {
	if f == nil {
		return ""
	}
	return f.Values[field]
}

// Error returns the error next to field, if any.
func (f *Form) Error(field string) string {
	if f == nil {
		return ""
	}
	return f.Errors[field]
}

// HasErrors tells whether the form must be shown again.
func (f *Form) HasErrors() bool { return f != nil && (len(f.Errors) > 0 || f.Summary != "") }

// newPage fills the fields every page needs.
func (h *Handler) newPage(c *fiber.Ctx, titleID string) *Page {
	lang, _ := c.Locals(localsLang).(string)
	if lang == "" {
		lang = "fr"
	}
	p := &Page{
		Lang: lang, Dir: textDirection(lang), Path: c.Path(), RequestID: requestID(c), tr: h.tr,
		User: currentUser(c),
	}
	p.Title = p.T(titleID)
	p.LangLinks = languageLinks(c, lang)
	p.cartCount = sessionCartCount(c)
	if ws := webSessionOf(c); ws != nil {
		p.Flashes = ws.takeFlashes()
		if p.User != nil || ws.hasToken() {
			p.CSRF = ws.csrfToken()
		}
	}
	return p
}

// render writes a page with a status; forms get a CSRF token even for anonymous visitors.
func (h *Handler) render(c *fiber.Ctx, status int, name string, p *Page) error {
	if p.CSRF == "" && pageHasForm(name) {
		p.CSRF = ensureWebSession(c, h).csrfToken()
	}
	c.Status(status)
	c.Set(fiber.HeaderCacheControl, "no-store")
	if err := c.Render(name, p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	return nil
}

// pageHasForm lists the pages that show a POST form to anonymous visitors.
func pageHasForm(name string) bool {
	return name == tplSignup || name == tplLogin
}

func languageLinks(c *fiber.Ctx, current string) []langLink {
	path, rawQuery := c.Path(), string(c.Request().URI().QueryString())
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		// A refused form is shown again at its POST address, which a link cannot open: switch
		// language on the page the form came from (same site only).
		path, rawQuery = formOrigin(c)
	}
	q, _ := url.ParseQuery(rawQuery)
	links := make([]langLink, 0, len(supportedLanguages))
	for _, tag := range supportedLanguages {
		base, _ := tag.Base()
		code := base.String()
		q.Set("lang", code)
		links = append(links, langLink{Code: code, Name: languageNames[code], URL: path + "?" + q.Encode(), Current: code == current})
	}
	return links
}

// formOrigin is the path and query of the same-site page a POST came from ("/" when unknown).
func formOrigin(c *fiber.Ctx) (string, string) {
	ref, err := url.Parse(c.Get(fiber.HeaderReferer))
	if err != nil || ref.Host != c.Hostname() || !strings.HasPrefix(ref.Path, "/") || strings.HasPrefix(ref.Path, "//") {
		return "/", ""
	}
	return ref.Path, ref.RawQuery
}

func templateFuncs(assetURL func(string) (string, error)) template.FuncMap {
	return template.FuncMap{
		"asset": assetURL,
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"lower": strings.ToLower,
		// dict passes the page along with one item to a partial.
		"dict": func(p *Page, item any) map[string]any { return map[string]any{"Page": p, "Item": item} },
		// field describes one input for the "field" partial.
		"field": func(name, typ, autocomplete, hint string) fieldSpec {
			return fieldSpec{Name: name, Type: typ, Autocomplete: autocomplete, Hint: hint, Required: true}
		},
		// optional marks a field as not required.
		"optional": func(f fieldSpec) fieldSpec { f.Required = false; return f },
	}
}
