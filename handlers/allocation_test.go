package handlers

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

type allocFixture struct {
	Fair   models.Fair
	Stands []models.Stand
	Apps   []models.Application
	Names  []string
}

// newAllocFixture writes a published fair with one hall of stands in a row and accepted
// applications of verified artisans straight to the tables.
func newAllocFixture(t *testing.T, db *gorm.DB, stands, apps int) allocFixture {
	t.Helper()
	var fx allocFixture
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	fx.Fair = models.Fair{Slug: dbtest.Name("salon"), Name: "Salon d'essai", City: "Bruxelles", Country: "BE",
		StartsOn: time.Date(2027, 3, 19, 0, 0, 0, 0, time.UTC), EndsOn: time.Date(2027, 3, 21, 0, 0, 0, 0, time.UTC),
		Timezone: "Europe/Brussels", Status: models.FairClosed}
	check(db.Create(&fx.Fair).Error)
	hall := models.Hall{FairID: fx.Fair.ID, Name: "Hall 1", WidthCm: 4000, DepthCm: 2000}
	check(db.Create(&hall).Error)
	for i := 0; i < stands; i++ {
		s := models.Stand{FairID: fx.Fair.ID, HallID: hall.ID, Code: fmt.Sprintf("B%d", i+1), Kind: models.StandStandard,
			XCm: (i % 12) * 300, YCm: (i / 12) * 600, WidthCm: 300, DepthCm: 300, PriceCents: 45000, Status: models.StandAvailable}
		check(db.Create(&s).Error)
		fx.Stands = append(fx.Stands, s)
	}
	crafts := []string{"zellige", "carpets", "pottery", "wood"}
	for i := 0; i < apps; i++ {
		u := models.User{Email: dbtest.Name("artisan") + "@souk.test", Name: "Artisan", PasswordHash: "x", Role: models.RoleArtisan, Locale: "fr"}
		check(db.Create(&u).Error)
		name := fmt.Sprintf("Atelier Numéro %d", i+1)
		a := models.Artisan{UserID: u.ID, Slug: dbtest.Name("atelier"), BusinessName: name, Kind: "individual",
			RegionCode: []string{"FM", "MS", "RSK"}[i%3], CraftCode: crafts[i%len(crafts)], City: "Fès", Status: models.ArtisanVerified}
		check(db.Create(&a).Error)
		app := models.Application{FairID: fx.Fair.ID, ArtisanID: a.ID, Status: models.AppAccepted, FeeState: models.FeeNone,
			SubmittedAt: time.Date(2026, 10, 1, 0, 0, i, 0, time.UTC)}
		check(db.Create(&app).Error)
		fx.Apps = append(fx.Apps, app)
		fx.Names = append(fx.Names, name)
	}
	return fx
}

func TestAllocationByHandAndByProposal(t *testing.T) {
	a := newTestApp(t, nil)
	fx := newAllocFixture(t, a.db, 6, 4)
	a.mkUser("org@souk.test", models.RoleOrganizer)
	c := a.client()
	c.login("org@souk.test", testPassword)
	base := "/admin/fairs/" + strconv.FormatInt(fx.Fair.ID, 10) + "/allocation"

	resp, body := c.get(base)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", base, resp.StatusCode)
	}
	for _, want := range []string{`data-stand-code="B1"`, `data-stand-code="B6"`, fx.Names[0], "Sans stand", "Proposer une attribution"} {
		if !strings.Contains(body, want) {
			t.Errorf("allocation page lacks %q", want)
		}
	}

	// Click stand B1 on the plan: the panel offers to assign it.
	_, body = c.get(base + "?stand=B1")
	if !strings.Contains(body, `id="stand-panel"`) || !strings.Contains(body, "Attribuer à") {
		t.Fatalf("stand panel missing after clicking B1")
	}
	token := c.csrf(base)
	resp, _ = c.post(base+"/assign", url.Values{"_csrf": {token}, "application_id": {strconv.FormatInt(fx.Apps[0].ID, 10)},
		"stand_id": {strconv.FormatInt(fx.Stands[0].ID, 10)}, "back_stand": {"B1"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "stand=B1") {
		t.Fatalf("assign: %d → %q, want 303 back to the stand", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = c.get(base + "?stand=B1")
	if !strings.Contains(body, "Stand B1 attribué") || !strings.Contains(body, "Attribué à") {
		t.Fatalf("after assigning: no confirmation or occupant in the panel")
	}

	// A second organizer (same form, stale page) assigns B1 to someone else: clear refusal.
	resp, _ = c.post(base+"/assign", url.Values{"_csrf": {token}, "application_id": {strconv.FormatInt(fx.Apps[1].ID, 10)},
		"stand_id": {strconv.FormatInt(fx.Stands[0].ID, 10)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second assign: status %d, want 303", resp.StatusCode)
	}
	_, body = c.get(base)
	if !strings.Contains(body, "vient d&#39;être attribué à un autre exposant") {
		t.Fatalf("second assignment of B1 is not refused with a clear message")
	}
	var holders int64
	if err := a.db.Model(&models.Application{}).Where("stand_id = ?", fx.Stands[0].ID).Count(&holders).Error; err != nil || holders != 1 {
		t.Fatalf("B1 held by %d applications (%v), want 1", holders, err)
	}

	// Auto-allocation: proposed on the plan with reasons, then applied.
	resp, _ = c.post(base+"/propose", url.Values{"_csrf": {token}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("propose: %d", resp.StatusCode)
	}
	_, body = c.get(base)
	if !strings.Contains(body, "Proposition prête : 3 placement(s)") || !strings.Contains(body, "status-proposed") ||
		!strings.Contains(body, "sans préférence : premier stand libre") {
		t.Fatalf("proposal not shown on the page with its reasons")
	}
	if _, _, err := models.GetAllocationProposal(t.Context(), a.db, fx.Fair.ID); err != nil {
		t.Fatalf("proposal not stored: %v", err)
	}
	resp, _ = c.post(base+"/apply", url.Values{"_csrf": {token}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	_, body = c.get(base)
	if !strings.Contains(body, "Proposition appliquée : 3 stand(s) attribué(s), 0 ignoré(s)") {
		t.Fatalf("no confirmation after applying the proposal")
	}
	var assigned int64
	if err := a.db.Model(&models.Application{}).Where("fair_id = ? AND stand_id IS NOT NULL", fx.Fair.ID).Count(&assigned).Error; err != nil || assigned != 4 {
		t.Fatalf("%d applications with a stand after applying (%v), want 4", assigned, err)
	}

	// Unassign from the table frees the stand.
	resp, _ = c.post(base+"/unassign", url.Values{"_csrf": {token}, "application_id": {strconv.FormatInt(fx.Apps[0].ID, 10)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unassign: %d", resp.StatusCode)
	}
	var st models.Stand
	if err := a.db.Where("id = ?", fx.Stands[0].ID).Take(&st).Error; err != nil || st.Status != models.StandAvailable {
		t.Fatalf("B1 after unassign: %s (%v), want available", st.Status, err)
	}

	// Nobody but organizers reaches the page.
	for _, role := range []models.Role{models.RoleArtisan, models.RoleChamber, models.RoleVisitor} {
		email := string(role) + "@souk.test"
		a.mkUser(email, role)
		other := a.client()
		other.login(email, testPassword)
		if resp, _ := other.get(base); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s GET allocation: %d, want 403", role, resp.StatusCode)
		}
	}
}

// TestConcurrentAssignmentsFromTwoInstances: 50 assignments of the same stand, each for another
// accepted application, sent at once through two app instances sharing PostgreSQL → exactly
// one assignment; every other request is answered with a redirect (no 500).
func TestConcurrentAssignmentsFromTwoInstances(t *testing.T) {
	db := dbtest.Postgres(t)
	a, b := newTestApp(t, db), newTestApp(t, db)
	fx := newAllocFixture(t, db, 1, 50)
	a.mkUser("org@souk.test", models.RoleOrganizer)
	c := a.client()
	c.login("org@souk.test", testPassword)
	allocPath := "/admin/fairs/" + strconv.FormatInt(fx.Fair.ID, 10) + "/allocation"
	token := c.csrf(allocPath)
	cookies := c.jar.Cookies(base)

	statuses := make([]int, len(fx.Apps))
	errs := make([]error, len(fx.Apps))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, app := range fx.Apps {
		inst := a
		if i%2 == 1 {
			inst = b
		}
		wg.Add(1)
		go func(i int, appID int64, inst *testApp) {
			defer wg.Done()
			form := url.Values{"_csrf": {token}, "application_id": {strconv.FormatInt(appID, 10)},
				"stand_id": {strconv.FormatInt(fx.Stands[0].ID, 10)}}
			req := httptest.NewRequest(http.MethodPost, allocPath+"/assign", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for _, ck := range cookies {
				req.AddCookie(ck)
			}
			<-start
			resp, err := inst.app.Test(req, 60_000)
			if err != nil {
				errs[i] = err
				return
			}
			statuses[i] = resp.StatusCode
			_ = resp.Body.Close()
		}(i, app.ID, inst)
	}
	close(start)
	wg.Wait()
	for i := range statuses {
		if errs[i] != nil || statuses[i] != http.StatusSeeOther {
			t.Errorf("request %d: status %d, error %v; want 303", i, statuses[i], errs[i])
		}
	}
	var holders, audits int64
	if err := db.Model(&models.Application{}).Where("stand_id = ?", fx.Stands[0].ID).Count(&holders).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Model(&models.AuditEntry{}).Where("action = ?", "application.assign_stand").Count(&audits).Error; err != nil {
		t.Fatal(err)
	}
	if holders != 1 || audits != 1 {
		t.Fatalf("%d applications hold the stand and %d assignments were recorded, want exactly 1 and 1", holders, audits)
	}
}
