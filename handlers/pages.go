package handlers

import (
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/soukexpo/souk/models"
)

type regionCount struct {
	Region    models.Region
	Artisans  int
	FilterURL string
}

type homeData struct {
	NextFair *models.Fair
	Crafts   []models.Craft
	Regions  []regionCount
}

func (h *Handler) showHome(c *fiber.Ctx) error {
	ctx := c.UserContext()
	upcoming, _, err := models.ListPublicFairs(ctx, h.db, time.Now())
	if err != nil {
		return fmt.Errorf("home fairs: %w", err)
	}
	crafts, err := models.ListCrafts(ctx, h.db)
	if err != nil {
		return fmt.Errorf("home crafts: %w", err)
	}
	regions, err := h.regionCounts(c)
	if err != nil {
		return err
	}
	data := homeData{Crafts: crafts, Regions: regions}
	if len(upcoming) > 0 {
		data.NextFair = &upcoming[0]
	}
	page := h.newPage(c, "HomeTitle")
	page.Data = data
	return h.render(c, fiber.StatusOK, tplHome, page)
}

func (h *Handler) regionCounts(c *fiber.Ctx) ([]regionCount, error) {
	regions, err := models.ListRegions(c.UserContext(), h.db)
	if err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	counts, err := models.CountVerifiedArtisansByRegion(c.UserContext(), h.db)
	if err != nil {
		return nil, err
	}
	out := make([]regionCount, len(regions))
	for i, r := range regions {
		out[i] = regionCount{Region: r, Artisans: counts[r.Code], FilterURL: "/products?region=" + r.Code}
	}
	return out, nil
}

type fairsData struct {
	Upcoming []models.Fair
	Past     []models.Fair
}

// showFairs lists the published editions: upcoming (or running) first, soonest first, then
// the past and archived ones, latest first.
func (h *Handler) showFairs(c *fiber.Ctx) error {
	upcoming, past, err := models.ListPublicFairs(c.UserContext(), h.db, time.Now())
	if err != nil {
		return fmt.Errorf("list fairs: %w", err)
	}
	page := h.newPage(c, "FairsTitle")
	page.Data = fairsData{Upcoming: upcoming, Past: past}
	return h.render(c, fiber.StatusOK, tplFairs, page)
}

// exhibitorView is one line of a fair's list of exhibitors.
type exhibitorView struct {
	Name      string
	ShopURL   string
	Craft     string
	Region    string
	Stand     string
	StandURL  string
	Hall      string
	ShowHalls bool
}

type fairData struct {
	Fair       models.Fair
	Past       bool
	Window     string // the application window, in the page's language ("" when unbounded)
	Accepting  bool   // artisans may apply now
	NotYetOpen string // the window opens later: when
	ApplyURL   string
	SignupURL  string
	AdminURL   string // organizers: the fair's back-office page
	PlanURL    string // "" while no stand is drawn
	Exhibitors []exhibitorView
	TimeZone   string
}

// showFair is a fair's public page: dates, venue, the application call while it is open, the
// exhibitors with their stands, and the plan.
func (h *Handler) showFair(c *fiber.Ctx) error {
	ctx := c.UserContext()
	slug := utils.CopyString(c.Params("slug"))
	f, err := models.GetPublicFair(ctx, h.db, slug)
	if err != nil {
		return fmt.Errorf("show fair: %w", err)
	}
	plan, err := models.LoadFairPlan(ctx, h.db, f)
	if err != nil {
		return fmt.Errorf("show fair %q: %w", slug, err)
	}
	ref, err := h.loadRefData(c)
	if err != nil {
		return err
	}
	now := time.Now()
	page := h.newPage(c, "FairsTitle")
	page.Title = f.Name
	data := fairData{Fair: f, Past: f.Status == models.FairArchived || f.Past(now), Window: fairWindow(page, f),
		Accepting: f.AcceptsApplications(now), TimeZone: f.Timezone}
	if data.Accepting {
		data.ApplyURL = "/studio/applications/new?fair=" + url.QueryEscape(f.Slug)
		if page.User == nil {
			data.SignupURL = "/signup?role=artisan"
		}
	} else if f.Status == models.FairOpen && f.ApplicationsOpenAt != nil && now.Before(*f.ApplicationsOpenAt) {
		data.NotYetOpen = localDateTime(page, *f.ApplicationsOpenAt, f.Location())
	}
	if page.HasRole(string(models.RoleOrganizer)) {
		data.AdminURL = fairAdminURL(f.ID)
	}
	if len(plan.Stands) > 0 {
		data.PlanURL = "/fairs/" + f.Slug + "/plan"
	}
	halls := map[int64]string{}
	for _, hl := range plan.Halls {
		halls[hl.ID] = hl.Name
	}
	for _, s := range plan.Stands { // in code order
		o, ok := plan.Occupants[s.ID]
		if !ok || !o.Verified() {
			continue
		}
		v := exhibitorView{Name: o.BusinessName, ShopURL: "/artisans/" + o.ArtisanSlug, Stand: s.Code,
			StandURL: "/fairs/" + f.Slug + "/stands/" + url.PathEscape(s.Code), Hall: halls[s.HallID], ShowHalls: len(plan.Halls) > 1}
		if cr, ok := ref.craft(o.CraftCode); ok {
			v.Craft = cr.Name(page.Lang)
		}
		if r, ok := ref.region(o.RegionCode); ok {
			v.Region = r.Name(page.Lang)
		}
		data.Exhibitors = append(data.Exhibitors, v)
	}
	slices.SortStableFunc(data.Exhibitors, func(a, b exhibitorView) int { return models.CompareStandCodes(a.Stand, b.Stand) })
	page.Data = data
	return h.render(c, fiber.StatusOK, tplFair, page)
}
