package handlers

// The artisan studio (/studio): the dashboard with the next thing to do, the profile the
// chamber verifies, and the products. Every query is scoped to the signed-in artisan's own
// rows, so another artisan's product id is a 404, never a 403 that would confirm it exists.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/storage"
)

// Message ids of the values the studio shows; literals here so the catalog test checks them.
var (
	artisanStatusMessages = map[models.ArtisanStatus]string{
		models.ArtisanDraft:    "StudioArtisanStatus_draft",
		models.ArtisanPending:  "StudioArtisanStatus_pending",
		models.ArtisanVerified: "StudioArtisanStatus_verified",
		models.ArtisanRejected: "StudioArtisanStatus_rejected",
	}
	productStatusMessages = map[models.ProductStatus]string{
		models.ProductDraft:     "StudioProductStatus_draft",
		models.ProductPublished: "StudioProductStatus_published",
		models.ProductArchived:  "StudioProductStatus_archived",
	}
	verifyMessages = map[models.ArtisanStatus]string{
		models.ArtisanDraft:    "StudioVerifyText_draft",
		models.ArtisanPending:  "StudioVerifyText_pending",
		models.ArtisanVerified: "StudioVerifyText_verified",
		models.ArtisanRejected: "StudioVerifyText_rejected",
	}
	statusHints = map[models.ProductStatus]string{
		models.ProductDraft:     "StudioStatusHint_draft",
		models.ProductPublished: "StudioStatusHint_published",
		models.ProductArchived:  "StudioStatusHint_archived",
	}
	kindMessages = map[string]string{
		"individual":  "StudioKind_individual",
		"cooperative": "StudioKind_cooperative",
		"company":     "StudioKind_company",
	}
)

// studioArtisan loads the signed-in artisan's profile; nil (and no error) when there is none yet.
func (h *Handler) studioArtisan(c *fiber.Ctx) (*models.Artisan, error) {
	u := currentUser(c)
	a, err := models.GetArtisanByUser(c.UserContext(), h.db, u.ID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil //nolint:nilnil // "no profile yet" is a normal state of a new artisan
	}
	if err != nil {
		return nil, fmt.Errorf("load studio profile of user %d: %w", u.ID, err)
	}
	return &a, nil
}

// ownProduct loads the product of the route's :id, only if it belongs to the signed-in
// artisan (in the query). No profile, a foreign or a missing product: all 404.
func (h *Handler) ownProduct(c *fiber.Ctx) (models.Artisan, models.Product, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return models.Artisan{}, models.Product{}, err
	}
	a, err := h.studioArtisan(c)
	if err != nil {
		return models.Artisan{}, models.Product{}, err
	}
	if a == nil {
		return models.Artisan{}, models.Product{}, errNotFound
	}
	p, err := models.GetOwnProduct(c.UserContext(), h.db, a.ID, id)
	if err != nil {
		return models.Artisan{}, models.Product{}, fmt.Errorf("studio product: %w", err)
	}
	return *a, p, nil
}

// ---- Dashboard ----

// studioStep is one step of the onboarding checklist on the dashboard.
type studioStep struct {
	Title, Hint, Action string // message ids
	URL                 string // where the action is (a POST form when Post)
	Num                 int
	Post                bool
	Done, Next          bool
}

type studioCounts struct {
	Total, Published, Draft, Archived, WithoutPhoto int
}

type studioHomeData struct {
	Artisan   *models.Artisan
	Region    *models.Region
	StatusMsg string
	VerifyMsg string
	Steps     []studioStep
	Next      *studioStep
	Counts    studioCounts
	Products  []studioProductRow
	// ToPrepare is how many order parts wait for the artisan.
	ToPrepare int
}

func (h *Handler) showStudio(c *fiber.Ctx) error {
	a, err := h.studioArtisan(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "StudioTitle")
	data := studioHomeData{Artisan: a}
	var products []models.OwnProduct
	if a != nil {
		data.StatusMsg = artisanStatusMessages[a.Status]
		data.VerifyMsg = verifyMessages[a.Status]
		if r, err := models.GetRegion(c.UserContext(), h.db, a.RegionCode); err == nil {
			data.Region = &r
		}
		products, err = models.ListOwnProducts(c.UserContext(), h.db, a.ID)
		if err != nil {
			return err
		}
		n, err := models.CountPartsToPrepare(c.UserContext(), h.db, currentUser(c).ID)
		if err != nil {
			return err
		}
		data.ToPrepare = int(n)
	}
	var firstWithoutPhoto, firstUnpublished *models.OwnProduct
	for i := range products {
		p := &products[i]
		data.Counts.Total++
		switch p.Status {
		case models.ProductPublished:
			data.Counts.Published++
		case models.ProductDraft:
			data.Counts.Draft++
		case models.ProductArchived:
			data.Counts.Archived++
		}
		if p.Status != models.ProductArchived && p.Photos == 0 {
			data.Counts.WithoutPhoto++
			if firstWithoutPhoto == nil {
				firstWithoutPhoto = p
			}
		}
		if p.Status == models.ProductDraft && p.Photos > 0 && firstUnpublished == nil {
			firstUnpublished = p
		}
	}
	data.Steps = studioSteps(a, data.Counts, firstWithoutPhoto, firstUnpublished)
	for i := range data.Steps {
		data.Steps[i].Num = i + 1
	}
	for i := range data.Steps {
		if !data.Steps[i].Done {
			data.Steps[i].Next = true
			data.Next = &data.Steps[i]
			break
		}
	}
	for i := range min(len(products), 4) {
		data.Products = append(data.Products, studioRow(page.Lang, products[i]))
	}
	page.Data = data
	return h.render(c, fiber.StatusOK, tplStudio, page)
}

// studioSteps is the onboarding checklist: profile → submit to the chamber → first product →
// photos → publish. The first step not done is the next action.
func studioSteps(a *models.Artisan, n studioCounts, withoutPhoto, unpublished *models.OwnProduct) []studioStep {
	submitted := a != nil && (a.Status == models.ArtisanPending || a.Status == models.ArtisanVerified)
	submit := studioStep{Title: "StudioStepSubmit", Hint: "StudioStepSubmitHint", Action: "StudioSubmitButton",
		URL: "/studio/profile/submit", Post: true, Done: submitted}
	if a != nil && a.Status == models.ArtisanRejected {
		submit.Title, submit.Hint, submit.Action, submit.URL, submit.Post =
			"StudioStepResubmit", "StudioStepResubmitHint", "StudioStepResubmitAction", "/studio/profile", false
	}
	photos := studioStep{Title: "StudioStepPhotos", Hint: "StudioStepPhotosHint", Action: "StudioStepPhotosAction",
		URL: "/studio/products", Done: n.Total > 0 && withoutPhoto == nil}
	if withoutPhoto != nil {
		photos.URL = fmt.Sprintf("/studio/products/%d#photos", withoutPhoto.ID)
	}
	publish := studioStep{Title: "StudioStepPublish", Hint: "StudioStepPublishHint", Action: "StudioStepPublishAction",
		URL: "/studio/products", Done: n.Published > 0}
	if unpublished != nil {
		publish.URL = fmt.Sprintf("/studio/products/%d#status", unpublished.ID)
	}
	return []studioStep{
		{Title: "StudioStepProfile", Hint: "StudioStepProfileHint", Action: "StudioStepProfileAction",
			URL: "/studio/profile", Done: a != nil},
		submit,
		{Title: "StudioStepProduct", Hint: "StudioStepProductHint", Action: "StudioStepProductAction",
			URL: "/studio/products/new", Done: n.Total > 0},
		photos,
		publish,
	}
}

// ---- Profile ----

// profileInput is the profile form (never the status, slug or owner).
type profileInput struct {
	BusinessName   string `form:"business_name"`
	Kind           string `form:"kind"`
	Region         string `form:"region"`
	Craft          string `form:"craft"`
	City           string `form:"city"`
	Phone          string `form:"phone"`
	BioFR          string `form:"bio_fr"`
	BioAR          string `form:"bio_ar"`
	BioEN          string `form:"bio_en"`
	RegistryNumber string `form:"registry_number"`
	CardNumber     string `form:"card_number"`
}

type kindOption struct{ Value, Msg string }

type studioProfileData struct {
	Artisan       *models.Artisan
	StatusMsg     string
	VerifyMsg     string
	Region        *models.Region
	Regions       []models.Region
	Crafts        []models.Craft
	Kinds         []kindOption
	WorkshopPhoto string
	MaxMB         int64
}

func (h *Handler) profileData(c *fiber.Ctx, a *models.Artisan) (studioProfileData, error) {
	ctx := c.UserContext()
	regions, err := models.ListRegions(ctx, h.db)
	if err != nil {
		return studioProfileData{}, fmt.Errorf("list regions: %w", err)
	}
	crafts, err := models.ListCrafts(ctx, h.db)
	if err != nil {
		return studioProfileData{}, fmt.Errorf("list crafts: %w", err)
	}
	d := studioProfileData{Artisan: a, Regions: regions, Crafts: crafts, MaxMB: storage.DefaultImageMaxBytes >> 20}
	for _, k := range models.ArtisanKinds {
		d.Kinds = append(d.Kinds, kindOption{Value: k, Msg: kindMessages[k]})
	}
	if a != nil {
		d.StatusMsg = artisanStatusMessages[a.Status]
		d.VerifyMsg = verifyMessages[a.Status]
		for i := range regions {
			if regions[i].Code == a.RegionCode {
				d.Region = &regions[i]
			}
		}
		if a.WorkshopPhotoKey != "" {
			d.WorkshopPhoto = h.store.URL(a.WorkshopPhotoKey + "-320.jpg")
		}
	}
	return d, nil
}

func profileFormValues(a *models.Artisan) *Form {
	f := newForm()
	f.Values["kind"] = "individual"
	if a == nil {
		return f
	}
	for k, v := range map[string]string{
		"business_name": a.BusinessName, "kind": a.Kind, "region": a.RegionCode, "craft": a.CraftCode, "city": a.City,
		"phone": a.Phone, "bio_fr": a.BioFR, "bio_ar": a.BioAR, "bio_en": a.BioEN,
		"registry_number": strOrEmpty(a.RegistryNumber), "card_number": strOrEmpty(a.CardNumber),
	} {
		f.Values[k] = v
	}
	return f
}

func strOrEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (h *Handler) showStudioProfile(c *fiber.Ctx) error {
	a, err := h.studioArtisan(c)
	if err != nil {
		return err
	}
	data, err := h.profileData(c, a)
	if err != nil {
		return err
	}
	page := h.newPage(c, "StudioProfileTitle")
	page.Form = profileFormValues(a)
	page.Data = data
	return h.render(c, fiber.StatusOK, tplStudioProfile, page)
}

func (h *Handler) saveStudioProfile(c *fiber.Ctx) error {
	var in profileInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	before, err := h.studioArtisan(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	saved, err := models.SaveArtisanProfile(c.UserContext(), h.db, u.ID, models.ArtisanProfileInput{
		BusinessName: in.BusinessName, Kind: in.Kind, RegionCode: in.Region, CraftCode: in.Craft, City: in.City,
		Phone: in.Phone, BioFR: in.BioFR, BioAR: in.BioAR, BioEN: in.BioEN,
		RegistryNumber: in.RegistryNumber, CardNumber: in.CardNumber,
	})
	if err != nil {
		if !mergeValidation(form, err) {
			return fmt.Errorf("save profile of user %d: %w", u.ID, err)
		}
		data, derr := h.profileData(c, before)
		if derr != nil {
			return derr
		}
		page := h.newPage(c, "StudioProfileTitle")
		page.Form = form
		page.Data = data
		return h.render(c, fiber.StatusUnprocessableEntity, tplStudioProfile, page)
	}
	ws := webSessionOf(c)
	switch {
	case before == nil:
		ws.addFlash("success", "FlashProfileCreated")
		return c.Redirect("/studio", fiber.StatusSeeOther)
	case before.Status == models.ArtisanVerified && saved.Status == models.ArtisanPending:
		ws.addFlash("info", "FlashProfileBackToChamber")
	default:
		ws.addFlash("success", "FlashProfileSaved")
	}
	return c.Redirect("/studio/profile", fiber.StatusSeeOther)
}

func (h *Handler) submitStudioProfile(c *fiber.Ctx) error {
	u := currentUser(c)
	_, err := models.SubmitArtisanProfile(c.UserContext(), h.db, u.ID)
	ws := webSessionOf(c)
	switch {
	case err == nil:
		ws.addFlash("success", "FlashProfileSubmitted")
		return c.Redirect("/studio", fiber.StatusSeeOther)
	case errors.Is(err, models.ErrNotFound):
		ws.addFlash("error", "FlashProfileFirst")
		return c.Redirect("/studio/profile", fiber.StatusSeeOther)
	case errors.Is(err, models.ErrProfileIncomplete):
		ws.addFlash("error", "FlashProfileIncomplete")
		return c.Redirect("/studio/profile", fiber.StatusSeeOther)
	case errors.Is(err, models.ErrInvalidState):
		ws.addFlash("info", "FlashProfileAlreadySubmitted")
		return c.Redirect("/studio", fiber.StatusSeeOther)
	}
	return fmt.Errorf("submit profile of user %d: %w", u.ID, err)
}

// ---- Products ----

// studioProductRow is one product of the studio lists.
type studioProductRow struct {
	ID        int64
	Title     string
	TitleLang string
	Status    models.ProductStatus
	StatusMsg string
	Price     string
	Stock     int
	Made      bool
	Photos    int
	Cover     string
	// Actions are the status changes offered on the row (products list only).
	Actions []statusAction
}

// statusAction is one button that moves a product to another status.
type statusAction struct {
	ID              int64
	To, Label, Back string
}

// statusActions lists the moves offered for a product: publishing needs a photo, so a draft
// without one is offered the photos instead (by the template).
func statusActions(id int64, status models.ProductStatus, photos int, back string) []statusAction {
	a := func(to models.ProductStatus, label string) statusAction {
		return statusAction{ID: id, To: string(to), Label: label, Back: back}
	}
	switch status {
	case models.ProductDraft:
		if photos == 0 {
			return []statusAction{a(models.ProductArchived, "StudioArchive")}
		}
		return []statusAction{a(models.ProductPublished, "StudioPublish"), a(models.ProductArchived, "StudioArchive")}
	case models.ProductPublished:
		return []statusAction{a(models.ProductDraft, "StudioUnpublish"), a(models.ProductArchived, "StudioArchive")}
	case models.ProductArchived:
		return []statusAction{a(models.ProductDraft, "StudioRestore")}
	}
	return nil
}

func studioRow(lang string, p models.OwnProduct) studioProductRow {
	r := studioProductRow{
		ID: p.ID, Title: p.Title(lang), TitleLang: p.TitleLang(lang), Status: p.Status,
		StatusMsg: productStatusMessages[p.Status], Price: formatEuros(lang, p.PriceCents), Stock: p.Stock,
		Made: p.MadeToOrder, Photos: p.Photos,
	}
	if p.Cover != nil {
		r.Cover = "/media/" + p.Cover.Key("320")
	}
	return r
}

type studioProductsData struct {
	Artisan   *models.Artisan
	Products  []studioProductRow
	Archived  []studioProductRow
	MaxPhotos int
	MaxMB     int64
}

func (h *Handler) showStudioProducts(c *fiber.Ctx) error {
	a, err := h.studioArtisan(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "StudioProductsTitle")
	data := studioProductsData{Artisan: a, MaxPhotos: models.MaxPhotosPerProduct, MaxMB: storage.DefaultImageMaxBytes >> 20}
	if a != nil {
		products, err := models.ListOwnProducts(c.UserContext(), h.db, a.ID)
		if err != nil {
			return err
		}
		for _, p := range products {
			row := studioRow(page.Lang, p)
			row.Actions = statusActions(p.ID, p.Status, p.Photos, "list")
			if p.Status == models.ProductArchived {
				data.Archived = append(data.Archived, row)
			} else {
				data.Products = append(data.Products, row)
			}
		}
	}
	page.Data = data
	return h.render(c, fiber.StatusOK, tplStudioProducts, page)
}

// productInput is the product form. Numbers are read as text so that what was typed comes
// back on an error and "45,50" is a price.
type productInput struct {
	TitleFR       string `form:"title_fr"`
	TitleAR       string `form:"title_ar"`
	TitleEN       string `form:"title_en"`
	DescriptionFR string `form:"description_fr"`
	DescriptionAR string `form:"description_ar"`
	DescriptionEN string `form:"description_en"`
	Craft         string `form:"craft"`
	Materials     string `form:"materials"`
	Dimensions    string `form:"dimensions"`
	Weight        string `form:"weight"`
	Price         string `form:"price"`
	Stock         string `form:"stock"`
	LeadTime      string `form:"lead_time"`
	MadeToOrder   bool   `form:"made_to_order"`
	PickupAtFair  bool   `form:"pickup_at_fair"`
	Ships         bool   `form:"ships"`
}

// model turns the form into the models input; unreadable numbers become -1 so the one
// validation in models reports them next to their field.
func (in productInput) model() models.ProductInput {
	price, ok := parsePriceInput(in.Price)
	if !ok {
		price = -1
	}
	num := func(s string, empty int) int {
		if strings.TrimSpace(s) == "" {
			return empty
		}
		n, ok := parseCount(s)
		if !ok {
			return -1
		}
		return n
	}
	return models.ProductInput{
		TitleFR: in.TitleFR, TitleAR: in.TitleAR, TitleEN: in.TitleEN,
		DescriptionFR: in.DescriptionFR, DescriptionAR: in.DescriptionAR, DescriptionEN: in.DescriptionEN,
		CraftCode: in.Craft, Materials: in.Materials, Dimensions: in.Dimensions,
		WeightGrams: num(in.Weight, 0), PriceCents: price, Stock: num(in.Stock, -1),
		MadeToOrder: in.MadeToOrder, LeadTimeDays: num(in.LeadTime, 0),
		PickupAtFair: in.PickupAtFair, Ships: in.Ships,
	}
}

// checkboxValues records the ticked boxes in the form so they stay ticked on an error.
func (in productInput) checkboxValues(f *Form) {
	for name, on := range map[string]bool{"made_to_order": in.MadeToOrder, "pickup_at_fair": in.PickupAtFair, "ships": in.Ships} {
		if on {
			f.Values[name] = "1"
		} else {
			delete(f.Values, name)
		}
	}
}

func productFormValues(lang string, p models.Product) *Form {
	f := newForm()
	for k, v := range map[string]string{
		"title_fr": p.TitleFR, "title_ar": p.TitleAR, "title_en": p.TitleEN,
		"description_fr": p.DescriptionFR, "description_ar": p.DescriptionAR, "description_en": p.DescriptionEN,
		"craft": p.CraftCode, "materials": p.Materials, "dimensions": p.Dimensions,
		"price": formatEurosInput(lang, p.PriceCents), "stock": strconv.Itoa(p.Stock),
	} {
		f.Values[k] = v
	}
	if p.WeightGrams > 0 {
		f.Values["weight"] = strconv.Itoa(p.WeightGrams)
	}
	if p.MadeToOrder {
		f.Values["made_to_order"] = "1"
		f.Values["lead_time"] = strconv.Itoa(p.LeadTimeDays)
	}
	if p.PickupAtFair {
		f.Values["pickup_at_fair"] = "1"
	}
	if p.Ships {
		f.Values["ships"] = "1"
	}
	return f
}

// studioPhoto is one photo of the gallery editor.
type studioPhoto struct {
	ID int64
	photoView
	First, Last bool
}

// uploadReport is what happened to each file of an upload, shown above the gallery (and
// sent as JSON to upload.js).
type uploadReport struct {
	Message string         `json:"message"`
	Files   []uploadResult `json:"files"`
}

type studioProductData struct {
	Artisan     *models.Artisan
	Product     *models.Product
	Title       string
	StatusMsg   string
	StatusHint  string
	Actions     []statusAction
	Crafts      []models.Craft
	Photos      []studioPhoto
	PhotosLeft  int
	MaxPhotos   int
	MaxMB       int64
	MaxMP       int64
	CanAdd      bool
	Report      *uploadReport
	PublishNote bool // the product cannot be published until it has a photo
}

func (h *Handler) productPageData(c *fiber.Ctx, lang string, a *models.Artisan, p *models.Product) (studioProductData, error) {
	crafts, err := models.ListCrafts(c.UserContext(), h.db)
	if err != nil {
		return studioProductData{}, fmt.Errorf("list crafts: %w", err)
	}
	d := studioProductData{
		Artisan: a, Product: p, Crafts: crafts, MaxPhotos: models.MaxPhotosPerProduct,
		MaxMB: storage.DefaultImageMaxBytes >> 20, MaxMP: storage.DefaultImageMaxPixels / 1_000_000,
	}
	if p == nil {
		return d, nil
	}
	d.Title = p.Title(lang)
	d.StatusMsg = productStatusMessages[p.Status]
	photos, err := models.ListPhotos(c.UserContext(), h.db, p.ID)
	if err != nil {
		return studioProductData{}, err
	}
	for i, ph := range photos {
		d.Photos = append(d.Photos, studioPhoto{
			ID: ph.ID, photoView: h.photoFor(ph, d.Title), First: i == 0, Last: i == len(photos)-1,
		})
	}
	d.PhotosLeft = models.MaxPhotosPerProduct - len(photos)
	d.CanAdd = d.PhotosLeft > 0
	d.PublishNote = len(photos) == 0 && p.Status == models.ProductDraft
	d.StatusHint = statusHints[p.Status]
	if p.Status == models.ProductPublished && (a == nil || !a.Verified()) {
		d.StatusHint = "StudioPublishedNotVerified"
	}
	d.Actions = statusActions(p.ID, p.Status, len(photos), "")
	return d, nil
}

func (h *Handler) showNewProduct(c *fiber.Ctx) error {
	a, err := h.studioArtisan(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "StudioNewProductTitle")
	page.Form = newForm()
	page.Form.Values["pickup_at_fair"] = "1"
	page.Form.Values["stock"] = "1"
	data, err := h.productPageData(c, page.Lang, a, nil)
	if err != nil {
		return err
	}
	page.Data = data
	return h.render(c, fiber.StatusOK, tplStudioProduct, page)
}

func (h *Handler) createProduct(c *fiber.Ctx) error {
	a, err := h.studioArtisan(c)
	if err != nil {
		return err
	}
	if a == nil {
		webSessionOf(c).addFlash("error", "FlashProfileFirst")
		return c.Redirect("/studio/profile", fiber.StatusSeeOther)
	}
	var in productInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	in.checkboxValues(form)
	p, err := models.CreateProduct(c.UserContext(), h.db, a.ID, in.model())
	if err != nil {
		if !mergeValidation(form, err) {
			return fmt.Errorf("create product: %w", err)
		}
		page := h.newPage(c, "StudioNewProductTitle")
		page.Form = form
		data, derr := h.productPageData(c, page.Lang, a, nil)
		if derr != nil {
			return derr
		}
		page.Data = data
		return h.render(c, fiber.StatusUnprocessableEntity, tplStudioProduct, page)
	}
	webSessionOf(c).addFlash("success", "FlashProductCreated")
	return c.Redirect(fmt.Sprintf("/studio/products/%d#photos", p.ID), fiber.StatusSeeOther)
}

func (h *Handler) showEditProduct(c *fiber.Ctx) error {
	a, p, err := h.ownProduct(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "StudioEditProductTitle")
	page.Form = productFormValues(page.Lang, p)
	data, err := h.productPageData(c, page.Lang, &a, &p)
	if err != nil {
		return err
	}
	page.Title = data.Title
	page.Data = data
	return h.render(c, fiber.StatusOK, tplStudioProduct, page)
}

func (h *Handler) updateProduct(c *fiber.Ctx) error {
	a, p, err := h.ownProduct(c)
	if err != nil {
		return err
	}
	var in productInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	in.checkboxValues(form)
	if _, err := models.UpdateProduct(c.UserContext(), h.db, a.ID, p.ID, in.model()); err != nil {
		if !mergeValidation(form, err) {
			return fmt.Errorf("update product %d: %w", p.ID, err)
		}
		page := h.newPage(c, "StudioEditProductTitle")
		page.Form = form
		data, derr := h.productPageData(c, page.Lang, &a, &p)
		if derr != nil {
			return derr
		}
		page.Title = data.Title
		page.Data = data
		return h.render(c, fiber.StatusUnprocessableEntity, tplStudioProduct, page)
	}
	webSessionOf(c).addFlash("success", "FlashProductSaved")
	return c.Redirect(fmt.Sprintf("/studio/products/%d", p.ID), fiber.StatusSeeOther)
}

// statusInput is the publish / unpublish / archive form.
type statusInput struct {
	To   string `form:"to"`
	Back string `form:"back"`
}

var statusFlashes = map[models.ProductStatus]string{
	models.ProductPublished: "FlashProductPublished",
	models.ProductDraft:     "FlashProductUnpublished",
	models.ProductArchived:  "FlashProductArchived",
}

func (h *Handler) setProductStatus(c *fiber.Ctx) error {
	a, p, err := h.ownProduct(c)
	if err != nil {
		return err
	}
	var in statusInput
	if _, err := h.bindForm(c, &in); err != nil {
		return err
	}
	back := fmt.Sprintf("/studio/products/%d", p.ID)
	if in.Back == "list" {
		back = "/studio/products"
	}
	to := models.ProductStatus(in.To)
	err = models.SetProductStatus(c.UserContext(), h.db, a.ID, p.ID, to)
	switch {
	case err == nil:
		webSessionOf(c).addFlash("success", statusFlashes[to])
		return c.Redirect(back, fiber.StatusSeeOther)
	case errors.Is(err, models.ErrNoPhoto):
		webSessionOf(c).addFlash("error", "FlashPublishNeedsPhoto")
		return c.Redirect(fmt.Sprintf("/studio/products/%d#photos", p.ID), fiber.StatusSeeOther)
	case errors.Is(err, models.ErrInvalidState):
		return httpError(fiber.StatusConflict, "StudioStatusConflict", err)
	}
	return fmt.Errorf("set status of product %d: %w", p.ID, err)
}

// ---- Money and numbers ----

// formatEurosInput writes a price back into the form: "45,50" (or "45.50" in English).
func formatEurosInput(lang string, cents int64) string {
	dec := ","
	if lang == "en" {
		dec = "."
	}
	return fmt.Sprintf("%d%s%02d", cents/100, dec, cents%100)
}

// asciiDigits turns Arabic-Indic and Eastern Arabic digits into ASCII ones, the Arabic decimal
// separator into a comma, and drops spaces and the euro sign.
func asciiDigits(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '٠' && r <= '٩':
			b.WriteRune('0' + (r - '٠'))
		case r >= '۰' && r <= '۹':
			b.WriteRune('0' + (r - '۰'))
		case r == '٫':
			b.WriteRune(',')
		case r == '٬':
			b.WriteRune(' ')
		case r == '€' || unicode.IsSpace(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// parsePriceInput reads a price typed in euros — "45", "45,50", "45.5", "1 250,00", "1.250,00",
// "1,250.00" — into cents. A separator followed by one or two digits at the end is the decimal
// one; the others must group thousands.
func parsePriceInput(s string) (int64, bool) {
	s = asciiDigits(s)
	if s == "" || len(s) > 20 {
		return 0, false
	}
	intPart, frac := s, ""
	if i := strings.LastIndexAny(s, ".,"); i >= 0 && len(s)-i-1 <= 2 && len(s)-i-1 >= 1 {
		intPart, frac = s[:i], s[i+1:]
	}
	if strings.ContainsAny(intPart, ".,") {
		groups := strings.FieldsFunc(intPart, func(r rune) bool { return r == '.' || r == ',' })
		if len(groups) < 2 || len(groups[0]) == 0 || len(groups[0]) > 3 {
			return 0, false
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, false
			}
		}
		intPart = strings.Join(groups, "")
	}
	if intPart == "" {
		intPart = "0"
	}
	for _, part := range []string{intPart, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, false
			}
		}
	}
	units, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || units > models.MaxProductPriceCents {
		return 0, false
	}
	cents := int64(0)
	switch len(frac) {
	case 1:
		cents = int64(frac[0]-'0') * 10
	case 2:
		cents = int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	}
	return units*100 + cents, true
}

// parseCount reads a whole number (stock, grams, days), in Arabic-Indic digits too.
func parseCount(s string) (int, bool) {
	s = asciiDigits(s)
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
