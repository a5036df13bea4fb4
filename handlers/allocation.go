package handlers

// Stand allocation for organizers: the plan with every stand, click a stand to assign, move or
// free it, the accepted applications with their stands, and the auto-allocation proposal drawn
// on the plan with a one-line reason per assignment, applied or discarded as a whole.

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
)

type allocationRowView struct {
	models.AllocationRow
	Region    string
	Craft     string
	Wishes    string
	Fee       string
	ShopURL   string
	AppURL    string
	Highlight bool
}

type allocationStandOption struct {
	ID    int64
	Label string
}

type allocationProposalLine struct {
	StandCode      string
	Artisan        string
	Region         string
	Craft          string
	Reason         string
	CraftNeighbour bool
}

type allocationPanel struct {
	Stand    models.Stand
	Kind     string
	Size     string
	Price    string
	Status   string
	Occupant *allocationRowView
}

type allocationData struct {
	Fair         models.Fair
	AdminURL     string
	ReviewURL    string
	PlanURL      string
	Action       string
	Plan         PlanView
	Legend       []planLegendItem
	Rows         []allocationRowView
	Unassigned   int
	Assigned     int
	FreeStands   []allocationStandOption
	Panel        *allocationPanel
	HasProposal  bool
	ProposalAt   string
	Proposal     []allocationProposalLine
	Unplaced     []string
	CanPropose   bool
	SelectedCode string
}

func allocationURL(f models.Fair) string {
	return fairAdminURL(f.ID) + "/allocation"
}

func (h *Handler) showAllocation(c *fiber.Ctx) error {
	f, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	plan, err := models.LoadFairPlan(ctx, h.db, f)
	if err != nil {
		return fmt.Errorf("allocation plan: %w", err)
	}
	rows, err := models.ListAllocationRows(ctx, h.db, f.ID)
	if err != nil {
		return err
	}
	ref, err := h.loadRefData(c)
	if err != nil {
		return err
	}
	page := h.newPage(c, "AllocationTitle")
	page.Title = page.T("AllocationPageTitle", "Fair", f.Name)
	base := allocationURL(f)
	data := allocationData{
		Fair: f, AdminURL: fairAdminURL(f.ID), PlanURL: planURL(f), Action: base,
		ReviewURL: fairAdminURL(f.ID) + "/applications",
	}
	selected := models.NormalizeStandCode(c.Query("stand"))

	views := make(map[int64]*allocationRowView, len(rows))
	for _, r := range rows {
		v := allocationRowView{AllocationRow: r, ShopURL: "/artisans/" + url.PathEscape(r.ArtisanSlug),
			AppURL: data.ReviewURL + "/" + strconv.FormatInt(r.ApplicationID, 10)}
		if reg, ok := ref.region(r.RegionCode); ok {
			v.Region = reg.Name(page.Lang)
		}
		if cr, ok := ref.craft(r.CraftCode); ok {
			v.Craft = cr.Name(page.Lang)
		}
		v.Wishes = allocationWishes(page, r.PreferredKind, r.PreferredZone, r.PreferredSizeM2)
		if r.StandID != nil {
			v.Fee = page.T("AllocationFee_" + string(r.FeeState))
			data.Assigned++
		} else {
			data.Unassigned++
		}
		v.Highlight = r.StandCode != nil && *r.StandCode == selected
		data.Rows = append(data.Rows, v)
	}
	for i := range data.Rows {
		views[data.Rows[i].ApplicationID] = &data.Rows[i]
	}

	// The pending proposal, if any, drawn over the plan.
	proposed := map[int64]models.AllocAssignment{}
	proposal, at, err := models.GetAllocationProposal(ctx, h.db, f.ID)
	switch {
	case err == nil:
		data.HasProposal = true
		data.ProposalAt = page.Date(at)
		for _, a := range proposal.Assignments {
			proposed[a.StandID] = a
			line := allocationProposalLine{StandCode: a.StandCode, Reason: page.T("AllocReason_" + string(a.Reason)), CraftNeighbour: a.CraftNeighbour}
			if v, ok := views[a.ApplicationID]; ok {
				line.Artisan, line.Region, line.Craft = v.ArtisanName, v.Region, v.Craft
			}
			data.Proposal = append(data.Proposal, line)
		}
		for _, id := range proposal.Unplaced {
			if v, ok := views[id]; ok {
				data.Unplaced = append(data.Unplaced, v.ArtisanName)
			}
		}
	case errors.Is(err, models.ErrNotFound):
	default:
		return err
	}

	for _, hall := range plan.Halls {
		var stands []PlanStand
		for _, s := range plan.HallStands(hall.ID) {
			occ, occupied := plan.Occupants[s.ID]
			ps := statusStand(page, ref, f, s, occ, occupied)
			ps.Href = base + "?stand=" + url.QueryEscape(s.Code) + "#stand-panel"
			if a, ok := proposed[s.ID]; ok {
				name := ""
				if v, ok := views[a.ApplicationID]; ok {
					name = v.ArtisanName
				}
				ps.Class, ps.Pattern, ps.Label = "status-proposed", "", name
				ps.Sublabel = page.T("AllocReason_" + string(a.Reason))
				ps.Title = page.T("AllocationProposedStand", "Code", s.Code, "Name", name, "Reason", ps.Sublabel)
			}
			if s.Code == selected {
				ps.Class += " plan-selected"
			}
			stands = append(stands, ps)
		}
		data.Plan.Halls = append(data.Plan.Halls, newPlanHall(page, hall, stands))
	}
	counts := plan.CountByStatus()
	for _, st := range models.StandStatuses {
		look := planStatusLook[st]
		data.Legend = append(data.Legend, planLegendItem{Class: look.Class, Pattern: look.Pattern,
			Label: page.T("PlanStatus_" + string(st)), Count: counts[st]})
	}
	if data.HasProposal {
		data.Legend = append(data.Legend, planLegendItem{Class: "status-proposed",
			Label: page.T("AllocationLegendProposed"), Count: len(data.Proposal)})
	}

	for _, s := range plan.Stands {
		if s.Status == models.StandAvailable || s.Status == models.StandHeld {
			label := page.T("AllocationStandOption", "Code", s.Code, "Kind", page.T("AllocKind_"+string(s.Kind)),
				"Size", strconv.Itoa(s.AreaM2()))
			data.FreeStands = append(data.FreeStands, allocationStandOption{ID: s.ID, Label: label})
		}
		if s.Code == selected {
			panel := &allocationPanel{Stand: s, Kind: page.T("AllocKind_" + string(s.Kind)), Size: strconv.Itoa(s.AreaM2()),
				Price: page.Euros(s.PriceCents), Status: page.T("PlanStatus_" + string(s.Status))}
			if occ, ok := plan.Occupants[s.ID]; ok {
				panel.Occupant = views[occ.ApplicationID]
			}
			data.Panel = panel
			data.SelectedCode = s.Code
		}
	}
	data.CanPropose = data.Unassigned > 0 && len(data.FreeStands) > 0
	page.Data = data
	return h.render(c, fiber.StatusOK, tplAdminAllocation, page)
}

// allocationWishes sums up what the artisan asked for, in one line.
func allocationWishes(p *Page, kind, zone string, sizeM2 int) string {
	wish := p.T("AllocationWishAny")
	if kind != "" {
		wish = p.T("AllocKind_" + kind)
	}
	if sizeM2 > 0 {
		wish += " · " + p.T("AllocationWishSize", "Size", strconv.Itoa(sizeM2))
	}
	if zone != "" {
		wish += " · " + p.T("AllocationWishZone", "Zone", zone)
	}
	return wish
}

type assignInput struct {
	ApplicationID int64  `form:"application_id"`
	StandID       int64  `form:"stand_id"`
	Back          string `form:"back_stand"`
}

// allocationBack returns to the page, on the stand the organizer was looking at.
func allocationBack(c *fiber.Ctx, f models.Fair, standCode string) error {
	target := allocationURL(f)
	if code := models.NormalizeStandCode(standCode); code != "" && models.ValidStandCode(code) {
		target += "?stand=" + url.QueryEscape(code) + "#stand-panel"
	}
	return c.Redirect(target, fiber.StatusSeeOther)
}

func (h *Handler) assignStand(c *fiber.Ctx) error {
	f, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	var in assignInput
	if err := c.BodyParser(&in); err != nil || in.ApplicationID <= 0 || in.StandID <= 0 {
		webSessionOf(c).addFlash("error", "AllocationChooseBoth")
		return allocationBack(c, f, in.Back)
	}
	ws := webSessionOf(c)
	app, err := models.AssignStand(c.UserContext(), h.db, *currentUser(c), f.ID, in.ApplicationID, in.StandID, time.Now().UTC())
	switch {
	case err == nil:
		code := h.standCode(c, app.StandID)
		ws.addFlashArgs("success", "FlashStandAssigned", "Code", code)
		return allocationBack(c, f, code)
	case errors.Is(err, models.ErrStandTaken):
		ws.addFlash("error", "FlashStandTaken")
	case errors.Is(err, models.ErrStandBlocked):
		ws.addFlash("error", "FlashStandBlocked")
	case errors.Is(err, models.ErrInvalidState):
		ws.addFlash("error", "FlashAssignNotAccepted")
	case errors.Is(err, models.ErrNotFound):
		ws.addFlash("error", "FlashAssignNotFound")
	case errors.Is(err, models.ErrConflict):
		ws.addFlash("error", "FlashAssignChanged")
	default:
		return fmt.Errorf("assign stand: %w", err)
	}
	return allocationBack(c, f, in.Back)
}

// standCode names a stand for a message ("" when unknown).
func (h *Handler) standCode(c *fiber.Ctx, id *int64) string {
	if id == nil {
		return ""
	}
	var s models.Stand
	if err := h.db.WithContext(c.UserContext()).Select("code").Where("id = ?", *id).Take(&s).Error; err != nil {
		return ""
	}
	return s.Code
}

func (h *Handler) unassignStand(c *fiber.Ctx) error {
	f, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	var in assignInput
	if err := c.BodyParser(&in); err != nil || in.ApplicationID <= 0 {
		webSessionOf(c).addFlash("error", "AllocationChooseBoth")
		return allocationBack(c, f, in.Back)
	}
	ws := webSessionOf(c)
	_, err = models.UnassignStand(c.UserContext(), h.db, *currentUser(c), f.ID, in.ApplicationID, time.Now().UTC())
	switch {
	case err == nil:
		ws.addFlash("success", "FlashStandFreed")
	case errors.Is(err, models.ErrInvalidState), errors.Is(err, models.ErrNotFound), errors.Is(err, models.ErrConflict):
		ws.addFlash("error", "FlashAssignChanged")
	default:
		return fmt.Errorf("unassign stand: %w", err)
	}
	return allocationBack(c, f, in.Back)
}

func (h *Handler) proposeAllocation(c *fiber.Ctx) error {
	f, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	p, err := models.ProposeFairAllocation(c.UserContext(), h.db, *currentUser(c), f.ID, time.Now().UTC())
	if err != nil {
		return fmt.Errorf("propose allocation: %w", err)
	}
	webSessionOf(c).addFlashArgs("info", "FlashProposalReady",
		"Assigned", strconv.Itoa(len(p.Assignments)), "Unplaced", strconv.Itoa(len(p.Unplaced)))
	return c.Redirect(allocationURL(f)+"#proposal", fiber.StatusSeeOther)
}

func (h *Handler) applyAllocation(c *fiber.Ctx) error {
	f, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	out, err := models.ApplyAllocationProposal(c.UserContext(), h.db, *currentUser(c), f.ID, time.Now().UTC())
	ws := webSessionOf(c)
	switch {
	case err == nil:
		ws.addFlashArgs("success", "FlashProposalApplied", "Applied", strconv.Itoa(out.Applied), "Skipped", strconv.Itoa(len(out.Skipped)))
	case errors.Is(err, models.ErrNotFound):
		ws.addFlash("error", "FlashNoProposal")
	default:
		return fmt.Errorf("apply allocation: %w", err)
	}
	return c.Redirect(allocationURL(f), fiber.StatusSeeOther)
}

func (h *Handler) discardAllocation(c *fiber.Ctx) error {
	f, err := h.loadAdminFair(c)
	if err != nil {
		return err
	}
	err = models.DiscardAllocationProposal(c.UserContext(), h.db, *currentUser(c), f.ID)
	ws := webSessionOf(c)
	switch {
	case err == nil:
		ws.addFlash("success", "FlashProposalDiscarded")
	case errors.Is(err, models.ErrNotFound):
		ws.addFlash("error", "FlashNoProposal")
	default:
		return fmt.Errorf("discard allocation: %w", err)
	}
	return c.Redirect(allocationURL(f), fiber.StatusSeeOther)
}
