package handlers

import (
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
	"gorm.io/gorm"
)

type adminHomeData struct {
	Counts []roleCount
}

type roleCount struct {
	Role models.Role
	N    int
}

func (h *Handler) showAdminHome(c *fiber.Ctx) error {
	byRole, err := models.CountUsersByRole(c.UserContext(), h.db)
	if err != nil {
		return fmt.Errorf("admin counts: %w", err)
	}
	counts := make([]roleCount, 0, len(models.Roles))
	for _, r := range models.Roles {
		counts = append(counts, roleCount{Role: r, N: byRole[r]})
	}
	page := h.newPage(c, "AdminTitle")
	page.Data = adminHomeData{Counts: counts}
	return h.render(c, fiber.StatusOK, tplAdminHome, page)
}

type chamberAgentRow struct {
	User   models.User
	Region models.Region
}

type chamberAgentsData struct {
	Agents  []chamberAgentRow
	Regions []models.Region
}

type chamberAgentInput struct {
	Name     string `form:"name" validate:"required,max=120"`
	Email    string `form:"email" validate:"required,email,max=254"`
	Region   string `form:"region" validate:"required,max=8"`
	Password string `form:"password" validate:"required"`
}

func (h *Handler) chamberAgentsData(c *fiber.Ctx) (chamberAgentsData, error) {
	regions, err := models.ListRegions(c.UserContext(), h.db)
	if err != nil {
		return chamberAgentsData{}, fmt.Errorf("list regions: %w", err)
	}
	byCode := make(map[string]models.Region, len(regions))
	for _, r := range regions {
		byCode[r.Code] = r
	}
	agents, err := models.ListUsersByRole(c.UserContext(), h.db, models.RoleChamber)
	if err != nil {
		return chamberAgentsData{}, fmt.Errorf("list chamber agents: %w", err)
	}
	data := chamberAgentsData{Regions: regions}
	for _, a := range agents {
		row := chamberAgentRow{User: a}
		if a.RegionCode != nil {
			row.Region = byCode[*a.RegionCode]
		}
		data.Agents = append(data.Agents, row)
	}
	return data, nil
}

func (h *Handler) showChamberAgents(c *fiber.Ctx) error {
	data, err := h.chamberAgentsData(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "ChamberAgentsTitle")
	page.Form = newForm()
	page.Data = data
	return h.render(c, fiber.StatusOK, tplChamberAgents, page)
}

// createChamberAgent opens an account for a chamber's staff member; only organizers do this,
// and the decision goes to the audit log in the same transaction.
func (h *Handler) createChamberAgent(c *fiber.Ctx) error {
	var in chamberAgentInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	data, err := h.chamberAgentsData(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "ChamberAgentsTitle")
	page.Form = form
	page.Data = data
	if form.HasErrors() {
		return h.render(c, fiber.StatusUnprocessableEntity, tplChamberAgents, page)
	}
	actor := currentUser(c)
	ctx := c.UserContext()
	err = models.WithTx(ctx, h.db, func(tx *gorm.DB) error {
		if _, err := models.GetRegion(ctx, tx, in.Region); err != nil {
			return &models.ValidationError{Fields: map[string]string{"region": "RegionRequired"}}
		}
		u, err := models.CreateUser(ctx, tx, models.NewUser{
			Email: in.Email, Name: in.Name, Password: in.Password, Role: models.RoleChamber, RegionCode: in.Region,
		})
		if err != nil {
			return err
		}
		return models.RecordAudit(ctx, tx, actor.ID, "chamber_agent.create", "user", u.ID, nil,
			map[string]any{"email": u.Email, "name": u.Name, "region": in.Region})
	})
	if err != nil {
		if mergeValidation(form, err) {
			return h.render(c, fiber.StatusUnprocessableEntity, tplChamberAgents, page)
		}
		return fmt.Errorf("create chamber agent: %w", err)
	}
	webSessionOf(c).addFlash("success", "FlashChamberAgentCreated")
	return c.Redirect("/admin/chamber-agents", fiber.StatusSeeOther)
}
