package handlers

import (
	"fmt"
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

func (h *Handler) showFairs(c *fiber.Ctx) error {
	upcoming, past, err := models.ListPublicFairs(c.UserContext(), h.db, time.Now())
	if err != nil {
		return fmt.Errorf("list fairs: %w", err)
	}
	page := h.newPage(c, "FairsTitle")
	page.Data = fairsData{Upcoming: upcoming, Past: past}
	return h.render(c, fiber.StatusOK, tplFairs, page)
}

type fairData struct {
	Fair models.Fair
	Past bool
}

func (h *Handler) showFair(c *fiber.Ctx) error {
	slug := utils.CopyString(c.Params("slug"))
	f, err := models.GetPublicFair(c.UserContext(), h.db, slug)
	if err != nil {
		return fmt.Errorf("show fair: %w", err)
	}
	page := h.newPage(c, "FairsTitle")
	page.Title = f.Name
	page.Data = fairData{Fair: f, Past: f.Status == models.FairArchived || f.Past(time.Now())}
	return h.render(c, fiber.StatusOK, tplFair, page)
}
