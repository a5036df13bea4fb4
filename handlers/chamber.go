package handlers

// The chamber agent's space: the artisans of the agent's region waiting for verification, and
// the decision on each. The region comes from the agent's account, never from the request, and
// every query is scoped to it (another region's artisan is a 404).

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
)

// chamberStatuses are the tabs of the queue, the default first.
var chamberStatuses = []models.ArtisanStatus{models.ArtisanPending, models.ArtisanVerified, models.ArtisanRejected}

// artisanStatusLabels name an artisan's verification state (message ids).
var artisanStatusLabels = map[models.ArtisanStatus]string{
	models.ArtisanDraft:    "ChamberStatusDraft",
	models.ArtisanPending:  "ChamberStatusPending",
	models.ArtisanVerified: "ChamberStatusVerified",
	models.ArtisanRejected: "ChamberStatusRejected",
}

type chamberTab struct {
	Status  models.ArtisanStatus
	Label   string
	Count   int
	URL     string
	Current bool
}

type chamberRow struct {
	Artisan   models.Artisan
	URL       string
	Craft     string
	Kind      string
	Submitted *time.Time
}

type chamberQueueData struct {
	Region models.Region
	Status models.ArtisanStatus
	Label  string
	Tabs   []chamberTab
	Rows   []chamberRow
}

// agentRegion is the region of the signed-in chamber agent.
func agentRegion(c *fiber.Ctx) (models.User, string, error) {
	u := currentUser(c)
	if u == nil || u.Role != models.RoleChamber || u.RegionCode == nil || *u.RegionCode == "" {
		return models.User{}, "", errForbidden
	}
	return *u, *u.RegionCode, nil
}

func (h *Handler) showChamberQueue(c *fiber.Ctx) error {
	_, region, err := agentRegion(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	ref, err := h.loadRefData(c)
	if err != nil {
		return err
	}
	status := models.ArtisanPending
	for _, s := range chamberStatuses {
		if c.Query("status") == string(s) {
			status = s
		}
	}
	page := h.newPage(c, "ChamberQueueTitle")
	data := chamberQueueData{Status: status, Label: artisanStatusLabels[status]}
	data.Region, _ = ref.region(region)
	for _, s := range chamberStatuses {
		list, err := models.ListRegionArtisans(ctx, h.db, region, s)
		if err != nil {
			return fmt.Errorf("chamber queue: %w", err)
		}
		tab := chamberTab{Status: s, Label: artisanStatusLabels[s], Count: len(list), URL: "/chamber/artisans?status=" + string(s), Current: s == status}
		if s == models.ArtisanPending {
			tab.URL = "/chamber/artisans"
		}
		data.Tabs = append(data.Tabs, tab)
		if s != status {
			continue
		}
		for _, a := range list {
			row := chamberRow{Artisan: a, URL: "/chamber/artisans/" + strconv.FormatInt(a.ID, 10), Kind: artisanKinds[a.Kind], Submitted: a.SubmittedAt}
			if cr, ok := ref.craft(a.CraftCode); ok {
				row.Craft = cr.Name(page.Lang)
			}
			data.Rows = append(data.Rows, row)
		}
	}
	page.Data = data
	return h.render(c, fiber.StatusOK, tplChamberQueue, page)
}

// bioView is the presentation in one language, as the artisan wrote it.
type bioView struct {
	Lang  string
	Label string // message id
	Text  string
}

type chamberArtisanData struct {
	Artisan     models.Artisan
	Account     models.User
	Kind        string
	StatusLabel string
	Region      models.Region
	Craft       models.Craft
	Bios        []bioView
	Workshop    *photoView
	Products    productCounts
	CanDecide   bool
	ShopURL     string
	Action      string
}

type productCounts struct {
	Total, Published, Drafts, Archived int
}

type reviewInput struct {
	Decision string `form:"decision" validate:"required,oneof=verify reject"`
	Note     string `form:"note" validate:"max=1000"`
}

// chamberArtisanPage loads everything the review page shows, for the agent's region only.
func (h *Handler) chamberArtisanPage(c *fiber.Ctx, region string, id int64) (*Page, error) {
	ctx := c.UserContext()
	a, err := models.GetRegionArtisan(ctx, h.db, region, id)
	if err != nil {
		return nil, fmt.Errorf("chamber artisan: %w", err)
	}
	ref, err := h.loadRefData(c)
	if err != nil {
		return nil, err
	}
	account, err := models.GetUser(ctx, h.db, a.UserID)
	if err != nil {
		return nil, fmt.Errorf("chamber artisan account: %w", err)
	}
	products, err := models.ListOwnProducts(ctx, h.db, a.ID)
	if err != nil {
		return nil, fmt.Errorf("chamber artisan products: %w", err)
	}
	page := h.newPage(c, "ChamberQueueTitle")
	page.Title = a.BusinessName
	data := chamberArtisanData{
		Artisan: a, Account: account, Kind: artisanKinds[a.Kind], StatusLabel: artisanStatusLabels[a.Status],
		CanDecide: a.Status == models.ArtisanPending, Action: "/chamber/artisans/" + strconv.FormatInt(a.ID, 10) + "/review",
	}
	data.Region, _ = ref.region(a.RegionCode)
	data.Craft, _ = ref.craft(a.CraftCode)
	for _, b := range []bioView{{"fr", "Label_bio_fr", a.BioFR}, {"ar", "Label_bio_ar", a.BioAR}, {"en", "Label_bio_en", a.BioEN}} {
		if b.Text != "" {
			data.Bios = append(data.Bios, b)
		}
	}
	data.Workshop = h.workshopPhoto(a.WorkshopPhotoKey, page.T("ShopWorkshopAlt", "Name", a.BusinessName))
	for _, p := range products {
		data.Products.Total++
		switch p.Status {
		case models.ProductPublished:
			data.Products.Published++
		case models.ProductDraft:
			data.Products.Drafts++
		case models.ProductArchived:
			data.Products.Archived++
		}
	}
	if a.Verified() {
		data.ShopURL = "/artisans/" + a.Slug
	}
	page.Data = data
	return page, nil
}

func (h *Handler) showChamberArtisan(c *fiber.Ctx) error {
	_, region, err := agentRegion(c)
	if err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	page, err := h.chamberArtisanPage(c, region, id)
	if err != nil {
		return err
	}
	page.Form = newForm()
	return h.render(c, fiber.StatusOK, tplChamberArtisan, page)
}

// reviewArtisan records the agent's decision: verify, or reject with a reason the artisan
// reads. A decision already taken (by this agent in another tab, or a colleague) is refused.
func (h *Handler) reviewArtisan(c *fiber.Ctx) error {
	agent, region, err := agentRegion(c)
	if err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	// Another region's artisan, or none: 404 before anything is validated.
	page, err := h.chamberArtisanPage(c, region, id)
	if err != nil {
		return err
	}
	var in reviewInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	page.Form = form
	if form.HasErrors() {
		return h.render(c, fiber.StatusUnprocessableEntity, tplChamberArtisan, page)
	}
	self := "/chamber/artisans/" + strconv.FormatInt(id, 10)
	_, err = models.ReviewArtisan(c.UserContext(), h.db, agent, id, in.Decision == "verify", in.Note)
	switch {
	case err == nil:
	case mergeValidation(form, err):
		return h.render(c, fiber.StatusUnprocessableEntity, tplChamberArtisan, page)
	case errors.Is(err, models.ErrInvalidState):
		webSessionOf(c).addFlash("error", "FlashReviewAlreadyDecided")
		return c.Redirect(self, fiber.StatusSeeOther)
	default:
		return fmt.Errorf("review artisan %d: %w", id, err)
	}
	msg := "FlashArtisanRejected"
	if in.Decision == "verify" {
		msg = "FlashArtisanVerified"
	}
	webSessionOf(c).addFlash("success", msg)
	return c.Redirect("/chamber/artisans", fiber.StatusSeeOther)
}
