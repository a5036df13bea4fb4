package handlers

// The public catalog: search and filters (/products), product pages, artisan shops and the
// visitors' favourites. Everything shown comes from models (published products of verified
// artisans only); the query string is parsed into a models.CatalogQuery whose sort and filters
// are allow-listed there, so no user string reaches SQL.

import (
	"bytes"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/soukexpo/souk/models"
)

// Sizes of the responsive images, for the browser's choice among the srcset variants.
const (
	galleryImageSizes = "(min-width: 62rem) 36rem, 100vw"
	// relatedLimit is the number of other pieces of the artisan shown under a product.
	relatedLimit = 8
	// shopMaxPage bounds the pages of a shop (each page loads the pieces before it).
	shopMaxPage = 40
	// maxQueryRunes bounds a search (cut on a character, never inside one).
	maxQueryRunes = 100
)

// photoView is one photo as a responsive <img>: the stored variants as srcset.
type photoView struct {
	Src    string
	Srcset string
	Width  int
	Height int
	Alt    string
	N      int // place in a gallery, from 1
}

// photoFor describes a product photo; its variants are named by nominal width and are never
// wider than the largest (Photo.Width).
func (h *Handler) photoFor(p models.Photo, alt string) photoView {
	v := photoView{Width: p.Width, Height: p.Height, Alt: alt}
	var parts []string
	for _, name := range p.VariantNames() {
		w, err := strconv.Atoi(name)
		if err != nil || w <= 0 {
			continue
		}
		if p.Width > 0 && w > p.Width {
			w = p.Width
		}
		u := h.store.URL(p.Key(name))
		parts = append(parts, u+" "+strconv.Itoa(w)+"w")
		if v.Src == "" || name == "800" {
			v.Src = u
		}
	}
	v.Srcset = strings.Join(parts, ", ")
	if v.Width <= 0 || v.Height <= 0 {
		v.Width, v.Height = 800, 800
	}
	return v
}

// productCard is one card of a grid, already in the page's language.
type productCard struct {
	ID        int64
	URL       string
	Title     string
	TitleLang string // set when the title fell back to another language
	Price     string
	Artisan   string
	ShopURL   string
	City      string
	Region    string
	Cover     *photoView
	SoldOut   bool
	ToOrder   bool
	LastPiece bool
	// HideMaker leaves out the artisan line (on their own shop and under their product).
	HideMaker bool
}

// refData is the reference data a page names things with.
type refData struct {
	crafts  []models.Craft
	regions []models.Region
}

func (h *Handler) loadRefData(c *fiber.Ctx) (refData, error) {
	crafts, err := models.ListCrafts(c.UserContext(), h.db)
	if err != nil {
		return refData{}, fmt.Errorf("list crafts: %w", err)
	}
	regions, err := models.ListRegions(c.UserContext(), h.db)
	if err != nil {
		return refData{}, fmt.Errorf("list regions: %w", err)
	}
	return refData{crafts: crafts, regions: regions}, nil
}

func (r refData) region(code string) (models.Region, bool) {
	for _, x := range r.regions {
		if x.Code == code {
			return x, true
		}
	}
	return models.Region{}, false
}

func (r refData) craft(code string) (models.Craft, bool) {
	for _, x := range r.crafts {
		if x.Code == code {
			return x, true
		}
	}
	return models.Craft{}, false
}

// langAttr is the lang attribute a text needs: empty when it is in the page's language.
func langAttr(pageLang, textLang string) string {
	if textLang == pageLang {
		return ""
	}
	return textLang
}

func (h *Handler) cards(p *Page, ref refData, items []models.CatalogItem) []productCard {
	out := make([]productCard, len(items))
	for i, it := range items {
		title := it.Title(p.Lang)
		card := productCard{
			ID: it.ID, URL: "/products/" + strconv.FormatInt(it.ID, 10),
			Title: title, TitleLang: langAttr(p.Lang, it.TitleLang(p.Lang)),
			Price:   formatEuros(p.Lang, it.PriceCents),
			Artisan: it.ArtisanName, ShopURL: "/artisans/" + url.PathEscape(it.ArtisanSlug), City: it.ArtisanCity,
			SoldOut: !it.Available(), ToOrder: it.Stock == 0 && it.MadeToOrder, LastPiece: it.Stock == 1,
		}
		if r, ok := ref.region(it.RegionCode); ok {
			card.Region = r.Name(p.Lang)
		}
		if it.Cover != nil {
			v := h.photoFor(*it.Cover, title)
			card.Cover = &v
		}
		out[i] = card
	}
	return out
}

// ---- /products ----

// catalogFilters is what the visitor asked for, cleaned: only valid values survive, so the
// links built from it are stable and the form shows what is in effect.
type catalogFilters struct {
	Q         string
	Craft     string
	Region    string
	Min       string // euros, as shown in the form
	Max       string
	Available bool
	Sort      string // "" = the default order
	Page      int
}

// parseEuros reads a price in euros ("45", "45.5", "45,50") as cents; anything else is ignored.
func parseEuros(s string) (int64, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", "."))
	if s == "" || len(s) > 12 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return 0, false
	}
	cents := int64(math.Round(f * 100))
	if cents <= 0 || cents > models.MaxProductPriceCents {
		return 0, false
	}
	return cents, true
}

// eurosText writes cents back for the form and the URL: "45" or "45.5".
func eurosText(cents int64) string {
	return strconv.FormatFloat(float64(cents)/100, 'f', -1, 64)
}

// parseCatalogQuery turns the query string into a catalog query; unknown crafts and regions,
// sorts outside the allow-list, junk prices and pages fall back silently.
func parseCatalogQuery(c *fiber.Ctx, ref refData) (models.CatalogQuery, catalogFilters) {
	var q models.CatalogQuery
	var f catalogFilters
	q.Q = strings.TrimSpace(utils.CopyString(c.Query("q")))
	if r := []rune(q.Q); len(r) > maxQueryRunes {
		q.Q = string(r[:maxQueryRunes])
	}
	if craft := c.Query("craft"); craft != "" {
		if cr, ok := ref.craft(craft); ok {
			q.Craft, f.Craft = cr.Code, cr.Code
		}
	}
	if region := c.Query("region"); region != "" {
		if r, ok := ref.region(region); ok {
			q.Region, f.Region = r.Code, r.Code
		}
	}
	if cents, ok := parseEuros(c.Query("min")); ok {
		q.MinCents = cents
	}
	if cents, ok := parseEuros(c.Query("max")); ok {
		q.MaxCents = cents
	}
	if q.MinCents > 0 && q.MaxCents > 0 && q.MinCents > q.MaxCents {
		q.MinCents, q.MaxCents = q.MaxCents, q.MinCents
	}
	if q.MinCents > 0 {
		f.Min = eurosText(q.MinCents)
	}
	if q.MaxCents > 0 {
		f.Max = eurosText(q.MaxCents)
	}
	q.Available = c.Query("available") == "1"
	f.Available = q.Available
	q.Sort = utils.CopyString(c.Query("sort"))
	if n, err := strconv.Atoi(c.Query("page")); err == nil {
		q.Page = n
	}
	q.Normalize()
	f.Q, f.Page = q.Q, q.Page
	// Links carry the sort only when it is not the default one for the query.
	def := models.SortNewest
	if q.Q != "" {
		def = models.SortRelevance
	}
	if q.Sort != def {
		f.Sort = q.Sort
	}
	return q, f
}

// values are the non-default filters, in a stable order (url.Values.Encode sorts the keys).
func (f catalogFilters) values() url.Values {
	v := url.Values{}
	if f.Q != "" {
		v.Set("q", f.Q)
	}
	if f.Craft != "" {
		v.Set("craft", f.Craft)
	}
	if f.Region != "" {
		v.Set("region", f.Region)
	}
	if f.Min != "" {
		v.Set("min", f.Min)
	}
	if f.Max != "" {
		v.Set("max", f.Max)
	}
	if f.Available {
		v.Set("available", "1")
	}
	if f.Sort != "" {
		v.Set("sort", f.Sort)
	}
	return v
}

// URL is the catalog link for these filters at page n.
func (f catalogFilters) URL(n int) string {
	v := f.values()
	if n > 1 {
		v.Set("page", strconv.Itoa(n))
	}
	if len(v) == 0 {
		return "/products"
	}
	return "/products?" + v.Encode()
}

// QIsolated is the search wrapped in Unicode isolates, so a Latin query keeps its order
// inside an Arabic sentence (and the reverse).
func (f catalogFilters) QIsolated() string { return "\u2068" + f.Q + "\u2069" }

// Active tells whether any filter or search narrows the catalog.
func (f catalogFilters) Active() bool {
	return f.Q != "" || f.Craft != "" || f.Region != "" || f.Min != "" || f.Max != "" || f.Available
}

// without returns the filters with some cleared, for the "broaden your search" links.
func (f catalogFilters) without(fields ...string) catalogFilters {
	for _, field := range fields {
		switch field {
		case "q":
			f.Q = ""
		case "craft":
			f.Craft = ""
		case "region":
			f.Region = ""
		case "price":
			f.Min, f.Max = "", ""
		case "available":
			f.Available = false
		}
	}
	if f.Sort == models.SortRelevance && f.Q == "" {
		f.Sort = ""
	}
	return f
}

// pageLink is one link of the pagination.
type pageLink struct {
	N       int
	URL     string
	Current bool
	Gap     bool // an ellipsis between page numbers
}

// suggestion is one way out of an empty result.
type suggestion struct {
	URL   string
	Label string // message id
	Arg   string // text for the message
}

type catalogData struct {
	Filters     catalogFilters
	Crafts      []models.Craft
	Regions     []models.Region
	Sorts       []sortOption
	Cards       []productCard
	Total       int
	TotalCapped bool   // the search found more than Total (models.CatalogMaxResults) results
	TotalText   string // Total written for the page's language, when capped
	Page        int
	Pages       int
	PrevURL     string
	NextURL     string
	PageLinks   []pageLink
	PastEnd     bool
	FirstURL    string
	Suggestions []suggestion
	OtherCrafts []craftLink
}

type sortOption struct {
	Value   string
	Label   string // message id
	Current bool
}

type craftLink struct {
	Name string
	URL  string
}

var sortLabels = map[string]string{
	models.SortRelevance: "CatalogSortRelevance",
	models.SortNewest:    "CatalogSortNewest",
	models.SortPriceAsc:  "CatalogSortPriceAsc",
	models.SortPriceDesc: "CatalogSortPriceDesc",
}

// pageLinks numbers the pages around the current one: 1 … 4 5 [6] 7 8 … 20.
func pageLinks(f catalogFilters, current, pages int) []pageLink {
	if pages <= 1 {
		return nil
	}
	var out []pageLink
	last := 0
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < current-2 || n > current+2) {
			continue
		}
		if last != 0 && n > last+1 {
			out = append(out, pageLink{Gap: true})
		}
		out = append(out, pageLink{N: n, URL: f.URL(n), Current: n == current})
		last = n
	}
	return out
}

// showCatalog is the catalog: search, filters, sort and pages, as a full page or — for htmx's
// live filters — as the results fragment alone.
func (h *Handler) showCatalog(c *fiber.Ctx) error {
	ctx := c.UserContext()
	ref, err := h.loadRefData(c)
	if err != nil {
		return err
	}
	q, f := parseCatalogQuery(c, ref)
	res, err := models.SearchCatalog(ctx, h.db, q)
	if err != nil {
		return fmt.Errorf("search catalog: %w", err)
	}
	page := h.newPage(c, "ProductsTitle")
	if f.Q != "" {
		page.Title = page.T("CatalogSearchTitle", "Query", f.QIsolated())
	}
	data := catalogData{
		Filters: f, Crafts: ref.crafts, Regions: ref.regions, Total: int(res.Total), Page: res.Page, Pages: res.Pages,
		Cards: h.cards(page, ref, res.Items), FirstURL: f.URL(1), TotalCapped: res.TotalCapped,
	}
	if res.TotalCapped {
		data.TotalText = formatCount(page.Lang, res.Total)
	}
	for _, s := range models.CatalogSorts {
		if s == models.SortRelevance && f.Q == "" {
			continue
		}
		data.Sorts = append(data.Sorts, sortOption{Value: s, Label: sortLabels[s], Current: s == q.Sort})
	}
	if res.Page > 1 && res.Page <= res.Pages {
		data.PrevURL = f.URL(res.Page - 1)
	}
	if res.Page < res.Pages {
		data.NextURL = f.URL(res.Page + 1)
	}
	data.PageLinks = pageLinks(f, res.Page, res.Pages)
	data.PastEnd = res.Total > 0 && len(res.Items) == 0
	if len(res.Items) == 0 {
		data.Suggestions, data.OtherCrafts = catalogSuggestions(page, f, ref)
	}
	page.Data = data
	c.Vary("HX-Request")
	if c.Get("HX-Request") == "true" && c.Get("HX-History-Restore-Request") != "true" {
		// The address bar gets the canonical URL (no empty fields), like the page's own links.
		c.Set("HX-Push-Url", f.URL(res.Page))
		return h.renderFragment(c, fiber.StatusOK, tplCatalog, "catalog_results", page)
	}
	return h.render(c, fiber.StatusOK, tplCatalog, page)
}

// catalogSuggestions offers ways out of an empty result: drop one filter at a time, or browse
// another craft.
func catalogSuggestions(p *Page, f catalogFilters, ref refData) ([]suggestion, []craftLink) {
	var out []suggestion
	if f.Q != "" {
		out = append(out, suggestion{URL: f.without("q").URL(1), Label: "CatalogSuggestWithoutQuery", Arg: f.QIsolated()})
	}
	if f.Region != "" {
		out = append(out, suggestion{URL: f.without("region").URL(1), Label: "CatalogSuggestAllRegions"})
	}
	if f.Craft != "" {
		out = append(out, suggestion{URL: f.without("craft").URL(1), Label: "CatalogSuggestAllCrafts"})
	}
	if f.Min != "" || f.Max != "" {
		out = append(out, suggestion{URL: f.without("price").URL(1), Label: "CatalogSuggestAnyPrice"})
	}
	if f.Available {
		out = append(out, suggestion{URL: f.without("available").URL(1), Label: "CatalogSuggestSoldOutToo"})
	}
	var crafts []craftLink
	for _, cr := range ref.crafts {
		if cr.Code == f.Craft {
			continue
		}
		crafts = append(crafts, craftLink{Name: cr.Name(p.Lang), URL: "/products?craft=" + url.QueryEscape(cr.Code)})
	}
	return out, crafts
}

// renderFragment writes one named block of a page's template set (an htmx swap target).
func (h *Handler) renderFragment(c *fiber.Ctx, status int, name, block string, data any) error {
	set, ok := h.tpl.pages[name]
	if !ok {
		return fmt.Errorf("render %s/%s: unknown template", name, block)
	}
	var buf bytes.Buffer
	if err := set.ExecuteTemplate(&buf, block, data); err != nil {
		return fmt.Errorf("render %s/%s: %w", name, block, err)
	}
	c.Status(status)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(buf.Bytes())
}

// ---- /products/:id ----

// paramID reads a positive decimal id from the path; anything else is a 404.
func paramID(c *fiber.Ctx, name string) (int64, error) {
	s := c.Params(name)
	if s == "" || len(s) > 18 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errNotFound
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

// favToggle is the favourite button of a product.
type favToggle struct {
	ProductID int64
	On        bool
	Back      string
	SignedIn  bool
	LoginURL  string
}

type productData struct {
	Product         models.Product
	Title           string
	TitleLang       string
	Description     string
	DescriptionLang string
	Price           string
	Photos          []photoView
	Artisan         models.Artisan
	ShopURL         string
	Region          models.Region
	Craft           models.Craft
	Stock           string // in_stock, last_piece, made_to_order, sold_out
	Weight          string
	Related         []productCard
	Fav             favToggle
	GallerySizes    string
}

func stockState(p models.Product) string {
	switch {
	case p.Stock > 1:
		return "in_stock"
	case p.Stock == 1:
		return "last_piece"
	case p.MadeToOrder:
		return "made_to_order"
	default:
		return "sold_out"
	}
}

func (h *Handler) showProduct(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	v, err := models.GetPublicProduct(ctx, h.db, id)
	if err != nil {
		return fmt.Errorf("show product: %w", err)
	}
	ref, err := h.loadRefData(c)
	if err != nil {
		return err
	}
	related, err := models.ListArtisanCatalog(ctx, h.db, v.Artisan.ID, id, relatedLimit)
	if err != nil {
		return fmt.Errorf("related products: %w", err)
	}
	fav := false
	u := currentUser(c)
	if u != nil {
		ids, err := models.FavouriteIDs(ctx, h.db, u.ID, []int64{id})
		if err != nil {
			return err
		}
		fav = ids[id]
	}
	page := h.newPage(c, "ProductsTitle")
	p := v.Product
	title := p.Title(page.Lang)
	page.Title = title
	self := "/products/" + strconv.FormatInt(id, 10)
	data := productData{
		Product: p, Title: title, TitleLang: langAttr(page.Lang, p.TitleLang(page.Lang)),
		Description: p.Description(page.Lang), Price: formatEuros(page.Lang, p.PriceCents),
		Artisan: v.Artisan, ShopURL: "/artisans/" + url.PathEscape(v.Artisan.Slug), Region: v.Region, Craft: v.Craft,
		Stock: stockState(p), Weight: formatWeight(page.Lang, p.WeightGrams),
		Related: hideMaker(h.cards(page, ref, related)), GallerySizes: galleryImageSizes,
		Fav: favToggle{ProductID: id, On: fav, Back: self, SignedIn: u != nil, LoginURL: "/login?next=" + url.QueryEscape(self)},
	}
	if data.Description != "" {
		data.DescriptionLang = langAttr(page.Lang, p.DescriptionLang(page.Lang))
	}
	for i, ph := range v.Photos {
		alt := title
		if i > 0 {
			alt = page.T("ProductPhotoAlt", "Title", title, "N", i+1, "Total", len(v.Photos))
		}
		pv := h.photoFor(ph, alt)
		pv.N = i + 1
		data.Photos = append(data.Photos, pv)
	}
	if page.CSRF == "" && p.Available() {
		// The add-to-cart form needs a token: a first-time visitor gets their session here.
		page.CSRF = ensureWebSession(c, h).csrfToken()
	}
	page.Data = data
	return h.render(c, fiber.StatusOK, tplProduct, page)
}

func hideMaker(cards []productCard) []productCard {
	for i := range cards {
		cards[i].HideMaker = true
	}
	return cards
}

// ---- /artisans/:slug ----

type shopData struct {
	Artisan  models.Artisan
	Kind     string // message id
	Region   models.Region
	Craft    models.Craft
	Bio      string
	BioLang  string
	Workshop *photoView
	Cards    []productCard
	Page     int
	PrevURL  string
	NextURL  string
	// Showcase are a few product photos shown beside the profile when there is no workshop
	// photo (decorative: the same pieces are in the grid below).
	Showcase []photoView
}

// artisanKinds names the legal forms (message ids).
var artisanKinds = map[string]string{
	"individual":  "ArtisanKindIndividual",
	"cooperative": "ArtisanKindCooperative",
	"company":     "ArtisanKindCompany",
}

// workshopPhoto shows the 320 variant of a workshop photo, which every processed image has
// (asking the store which larger variants exist would cost a round trip per page).
func (h *Handler) workshopPhoto(keyBase, alt string) *photoView {
	if keyBase == "" {
		return nil
	}
	return &photoView{Src: h.store.URL(keyBase + "-320.jpg"), Width: 320, Height: 240, Alt: alt}
}

func (h *Handler) showShop(c *fiber.Ctx) error {
	slug := utils.CopyString(c.Params("slug"))
	ctx := c.UserContext()
	a, err := models.GetPublicArtisan(ctx, h.db, slug)
	if err != nil {
		return fmt.Errorf("show shop: %w", err)
	}
	ref, err := h.loadRefData(c)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Query("page"))
	if err != nil || n < 1 {
		n = 1
	}
	n = min(n, shopMaxPage)
	per := models.CatalogPerPage
	items, err := models.ListArtisanCatalog(ctx, h.db, a.ID, 0, n*per+1)
	if err != nil {
		return fmt.Errorf("shop products: %w", err)
	}
	page := h.newPage(c, "ProductsTitle")
	page.Title = a.BusinessName
	data := shopData{Artisan: a, Kind: artisanKinds[a.Kind], Bio: a.Bio(page.Lang), Page: n}
	data.Region, _ = ref.region(a.RegionCode)
	data.Craft, _ = ref.craft(a.CraftCode)
	if data.Bio != "" {
		data.BioLang = langAttr(page.Lang, a.BioLang(page.Lang))
	}
	data.Workshop = h.workshopPhoto(a.WorkshopPhotoKey, page.T("ShopWorkshopAlt", "Name", a.BusinessName))
	self := "/artisans/" + url.PathEscape(a.Slug)
	if len(items) > n*per {
		items = items[:n*per]
		data.NextURL = self + "?page=" + strconv.Itoa(n+1)
	}
	from := min((n-1)*per, len(items))
	data.Cards = hideMaker(h.cards(page, ref, items[from:]))
	if data.Workshop == nil {
		for _, it := range items {
			if it.Cover != nil && len(data.Showcase) < 3 {
				data.Showcase = append(data.Showcase, h.photoFor(*it.Cover, ""))
			}
		}
	}
	if n > 1 {
		data.PrevURL = self
		if n > 2 {
			data.PrevURL += "?page=" + strconv.Itoa(n-1)
		}
	}
	page.Data = data
	return h.render(c, fiber.StatusOK, tplShop, page)
}

// ---- favourites ----

type favouritesData struct {
	Cards []productCard
}

func (h *Handler) showFavourites(c *fiber.Ctx) error {
	u := currentUser(c)
	items, err := models.ListFavourites(c.UserContext(), h.db, u.ID)
	if err != nil {
		return fmt.Errorf("show favourites: %w", err)
	}
	ref, err := h.loadRefData(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "FavouritesTitle")
	page.Data = favouritesData{Cards: h.cards(page, ref, items)}
	return h.render(c, fiber.StatusOK, tplFavourites, page)
}

func (h *Handler) addFavourite(c *fiber.Ctx) error { return h.setFavourite(c, true) }

func (h *Handler) removeFavourite(c *fiber.Ctx) error { return h.setFavourite(c, false) }

// setFavourite keeps or forgets a product (both idempotent), then goes back to the page the
// visitor came from — or, for htmx, answers the toggled button.
func (h *Handler) setFavourite(c *fiber.Ctx, on bool) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	u := currentUser(c)
	ctx := c.UserContext()
	if on {
		err = models.AddFavourite(ctx, h.db, u.ID, id)
	} else {
		err = models.RemoveFavourite(ctx, h.db, u.ID, id)
	}
	if err != nil {
		return fmt.Errorf("favourite %d: %w", id, err)
	}
	self := "/products/" + strconv.FormatInt(id, 10)
	back := safeBack(bodyField(c, "back"), self)
	if c.Get("HX-Request") == "true" {
		page := h.newPage(c, "ProductsTitle")
		toggle := favToggle{ProductID: id, On: on, Back: back, SignedIn: true}
		return h.renderFragment(c, fiber.StatusOK, tplProduct, "fav_toggle", map[string]any{"Page": page, "Item": toggle})
	}
	msg := "FlashFavouriteRemoved"
	if on {
		msg = "FlashFavouriteAdded"
	}
	webSessionOf(c).addFlash("success", msg)
	return c.Redirect(back, fiber.StatusSeeOther)
}

// safeBack keeps a redirect on this site (a local path), or uses fallback.
func safeBack(back, fallback string) string {
	if back == "" {
		return fallback
	}
	if s := safeNext(back); s == back {
		return s
	}
	return fallback
}

// ---- formatting ----

// formatEuros writes a price for lang: "1 234,50 €" (French and Arabic, with no-break spaces,
// Western digits as used in Morocco) or "€1,234.50" (English).
func formatEuros(lang string, cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	euros, rest := cents/100, cents%100
	if lang == "en" {
		return sign + "€" + groupDigits(euros, ",") + "." + fmt.Sprintf("%02d", rest)
	}
	return sign + groupDigits(euros, "\u202f") + "," + fmt.Sprintf("%02d", rest) + "\u00a0€"
}

// formatCount writes a count for lang: "1 000" (French and Arabic, narrow no-break space) or
// "1,000" (English).
func formatCount(lang string, n int64) string {
	if lang == "en" {
		return groupDigits(n, ",")
	}
	return groupDigits(n, "\u202f")
}

// Euros formats a price in cents for the page's language.
func (p *Page) Euros(cents int64) string { return formatEuros(p.Lang, cents) }

func groupDigits(n int64, sep string) string {
	s := strconv.FormatInt(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	lead := len(s) % 3
	if lead > 0 {
		b.WriteString(s[:lead])
	}
	for i := lead; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// formatWeight writes grams as "850 g" or "1,2 kg" ("1.2 kg" in English); "" for none.
func formatWeight(lang string, grams int) string {
	if grams <= 0 {
		return ""
	}
	if grams < 1000 {
		return strconv.Itoa(grams) + "\u00a0g"
	}
	kg := strconv.FormatFloat(math.Round(float64(grams)/100)/10, 'f', -1, 64)
	if lang != "en" {
		kg = strings.ReplaceAll(kg, ".", ",")
	}
	return kg + "\u00a0kg"
}
