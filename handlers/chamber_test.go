package handlers

// Chamber agents verify the artisans of their own region: the queue, the review page and the
// decision (conditional on the artisan still pending, written to the audit log in the same
// transaction), on SQLite and PostgreSQL.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/soukexpo/souk/models"
	"gorm.io/gorm"
)

func chamberPath(a models.Artisan) string { return "/chamber/artisans/" + strconv.FormatInt(a.ID, 10) }

// auditFor lists the audit entries about one artisan.
func auditFor(t *testing.T, db *gorm.DB, artisanID int64) []models.AuditEntry {
	t.Helper()
	all, err := models.ListAudit(context.Background(), db, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []models.AuditEntry
	for _, e := range all {
		if e.Subject == "artisan" && e.SubjectID == artisanID {
			out = append(out, e)
		}
	}
	return out
}

func artisanStatus(t *testing.T, db *gorm.DB, a models.Artisan) models.Artisan {
	t.Helper()
	got, err := models.GetArtisanByUser(context.Background(), db, a.UserID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestChamberReview(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newFixtures(t, db)
		pendingA := f.artisan(artisanSpec{business: "Dinanderie Fassia", region: "FM", craft: "copper", status: models.ArtisanPending})
		pendingB := f.artisan(artisanSpec{business: "Babouches de Meknès", region: "FM", craft: "babouches", city: "Meknès", status: models.ArtisanPending})
		otherRegion := f.artisan(artisanSpec{business: "Tadelakt Marrakech", region: "MS", craft: "tadelakt", city: "Marrakech", status: models.ArtisanPending})
		verified := f.artisan(artisanSpec{business: "Zellige Fès Verified", region: "FM", craft: "zellige", status: models.ArtisanVerified})
		draft := f.artisan(artisanSpec{business: "Atelier Brouillon", region: "FM", craft: "wood", status: models.ArtisanDraft})
		f.product(pendingA, models.ProductInput{TitleFR: "Plateau en cuivre"}, 1, false)
		f.product(pendingA, models.ProductInput{TitleFR: "Lanterne en cuivre"}, 1, true)

		a := newTestApp(t, db)
		agent := a.client()
		a.mkUser("agent-fm@example.ma", models.RoleChamber) // mkUser attaches chamber agents to FM
		agent.login("agent-fm@example.ma", testPassword)

		// The queue: FM's pending artisans only, oldest submission first, with their numbers.
		resp, body := agent.get("/chamber/artisans")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("queue: %d", resp.StatusCode)
		}
		text := pageText(body)
		for _, want := range []string{"Dinanderie Fassia", "Babouches de Meknès", *pendingA.RegistryNumber, *pendingB.CardNumber, "Dinanderie",
			chamberFM(t, db), chamberPath(pendingA)} {
			if !strings.Contains(text, want) {
				t.Errorf("queue lacks %q", want)
			}
		}
		for _, not := range []string{"Tadelakt Marrakech", "Zellige Fès Verified", "Atelier Brouillon"} {
			if strings.Contains(text, not) {
				t.Errorf("queue shows %q", not)
			}
		}
		if strings.Index(text, "Dinanderie Fassia") > strings.Index(text, "Babouches de Meknès") {
			t.Error("queue is not oldest first")
		}
		_, body = agent.get("/chamber/artisans?status=verified")
		if text := pageText(body); !strings.Contains(text, "Zellige Fès Verified") || strings.Contains(text, "Dinanderie Fassia") {
			t.Error("verified tab: want the verified FM artisan only")
		}
		_, body = agent.get("/chamber/artisans?status=" + url.QueryEscape("pending' OR 1=1--"))
		if !strings.Contains(pageText(body), "Dinanderie Fassia") {
			t.Error("unknown status does not fall back to the queue")
		}

		// The review page: everything the agent checks.
		resp, body = agent.get(chamberPath(pendingA))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("review page: %d", resp.StatusCode)
		}
		text = pageText(body)
		for _, want := range []string{*pendingA.RegistryNumber, *pendingA.CardNumber, "Atelier familial depuis trois générations.",
			"Maître Dinanderie Fassia", pendingA.City, `name="decision" value="verify"`, `name="decision" value="reject"`, `name="note"`} {
			if !strings.Contains(text, want) {
				t.Errorf("review page lacks %q", want)
			}
		}
		if !strings.Contains(body, `<span class="stat-n"><bdi>2</bdi></span><span class="stat-label">au total`) ||
			!strings.Contains(body, `<span class="stat-n"><bdi>1</bdi></span><span class="stat-label">brouillons`) {
			t.Errorf("product counts (1 draft, 1 published) missing: %s", grepLines(body, "stat-n"))
		}
		token := csrfField.FindStringSubmatch(body)[1]

		// Another region's artisan does not exist for this agent, neither to read nor to decide.
		if resp, _ := agent.get(chamberPath(otherRegion)); resp.StatusCode != http.StatusNotFound {
			t.Errorf("MS artisan page for the FM agent: %d, want 404", resp.StatusCode)
		}
		for _, form := range []url.Values{{"decision": {"verify"}}, {"decision": {"reject"}}, {"decision": {"reject"}, "note": {"x"}}} {
			form.Set("_csrf", token)
			if resp, _ := agent.post(chamberPath(otherRegion)+"/review", form); resp.StatusCode != http.StatusNotFound {
				t.Errorf("deciding on the MS artisan: %d, want 404", resp.StatusCode)
			}
		}
		if got := artisanStatus(t, db, otherRegion); got.Status != models.ArtisanPending || len(auditFor(t, db, otherRegion.ID)) != 0 {
			t.Errorf("MS artisan changed: %s", got.Status)
		}
		if resp, _ := agent.get("/chamber/artisans/abc"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("non-numeric id: %d", resp.StatusCode)
		}

		// Verify A: status, verified date, one audit entry with before and after.
		resp, _ = agent.post(chamberPath(pendingA)+"/review", url.Values{"_csrf": {token}, "decision": {"verify"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/chamber/artisans" {
			t.Fatalf("verify: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		got := artisanStatus(t, db, pendingA)
		if got.Status != models.ArtisanVerified || got.VerifiedAt == nil {
			t.Errorf("after verify: %s, verified at %v", got.Status, got.VerifiedAt)
		}
		entries := auditFor(t, db, pendingA.ID)
		if len(entries) != 1 || entries[0].Action != "artisan.verify" || entries[0].ActorID == nil {
			t.Fatalf("audit after verify: %+v", entries)
		}
		var before, after map[string]any
		if json.Unmarshal([]byte(entries[0].Before), &before) != nil || json.Unmarshal([]byte(entries[0].After), &after) != nil ||
			before["status"] != "pending" || after["status"] != "verified" {
			t.Errorf("audit before/after: %s → %s", entries[0].Before, entries[0].After)
		}
		_, body = agent.get("/chamber/artisans")
		if text := pageText(body); !strings.Contains(text, a.msg("fr", "FlashArtisanVerified")) || strings.Contains(text, "Dinanderie Fassia") {
			t.Error("after verify: want the success message and A gone from the queue")
		}
		// Now public: the shop answers.
		if resp, _ := a.client().get("/artisans/" + got.Slug); resp.StatusCode != http.StatusOK {
			t.Errorf("verified artisan's shop: %d", resp.StatusCode)
		}

		// Reject B without a reason: 422 with the field error, nothing changes.
		audits := countRows(t, db, "audit_entries")
		resp, body = agent.post(chamberPath(pendingB)+"/review", url.Values{"_csrf": {token}, "decision": {"reject"}, "note": {"   "}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("reject without a note: %d, want 422", resp.StatusCode)
		}
		noteErr := regexp.MustCompile(`<textarea[^>]*id="f-note"[^>]*aria-invalid="true"[^>]*></textarea>\s*<p class="field-error" id="e-note">([^<]*)</p>`)
		if m := noteErr.FindStringSubmatch(body); m == nil || pageText(m[1]) != a.msg("fr", "ReviewReasonRequired") {
			t.Errorf("note field error missing next to the field: %s", grepLines(body, "note"))
		}
		if !strings.Contains(body, `class="error-summary"`) {
			t.Error("no error summary at the top of the form")
		}
		if artisanStatus(t, db, pendingB).Status != models.ArtisanPending || countRows(t, db, "audit_entries") != audits {
			t.Error("a refused decision changed rows")
		}
		// A decision that is not one of the two.
		resp, _ = agent.post(chamberPath(pendingB)+"/review", url.Values{"_csrf": {token}, "decision": {"approve"}, "note": {"ok"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || artisanStatus(t, db, pendingB).Status != models.ArtisanPending {
			t.Errorf("decision=approve: %d", resp.StatusCode)
		}
		// With a reason: rejected, the reason kept for the artisan.
		reason := "La carte professionnelle a expiré : envoyez la nouvelle."
		resp, _ = agent.post(chamberPath(pendingB)+"/review", url.Values{"_csrf": {token}, "decision": {"reject"}, "note": {reason}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("reject with a note: %d", resp.StatusCode)
		}
		if got := artisanStatus(t, db, pendingB); got.Status != models.ArtisanRejected || got.ReviewNote != reason {
			t.Errorf("after reject: %s %q", got.Status, got.ReviewNote)
		}
		if e := auditFor(t, db, pendingB.ID); len(e) != 1 || e[0].Action != "artisan.reject" || !strings.Contains(e[0].After, "rejected") {
			t.Errorf("audit after reject: %+v", e)
		}

		// A second decision on A is refused: no change, no second audit entry.
		resp, _ = agent.post(chamberPath(pendingA)+"/review", url.Values{"_csrf": {token}, "decision": {"reject"}, "note": {"Changement d'avis"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != chamberPath(pendingA) {
			t.Fatalf("second decision: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body = agent.get(chamberPath(pendingA))
		if text := pageText(body); !strings.Contains(text, a.msg("fr", "FlashReviewAlreadyDecided")) || strings.Contains(body, `name="decision"`) {
			t.Error("second decision: want the 'already decided' message and no decision form")
		}
		if got := artisanStatus(t, db, pendingA); got.Status != models.ArtisanVerified || len(auditFor(t, db, pendingA.ID)) != 1 {
			t.Errorf("second decision changed A: %s, %d audit entries", got.Status, len(auditFor(t, db, pendingA.ID)))
		}
		// A draft (never submitted) cannot be decided either.
		resp, _ = agent.post(chamberPath(draft)+"/review", url.Values{"_csrf": {token}, "decision": {"verify"}})
		if resp.StatusCode != http.StatusSeeOther || artisanStatus(t, db, draft).Status != models.ArtisanDraft {
			t.Errorf("deciding on a draft: %d", resp.StatusCode)
		}
		// The rejected tab shows B with its state.
		_, body = agent.get("/chamber/artisans?status=rejected")
		if !strings.Contains(pageText(body), "Babouches de Meknès") {
			t.Error("rejected tab lacks B")
		}
		_ = verified
	})
}

func TestChamberAccess(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newFixtures(t, db)
		pending := f.artisan(artisanSpec{business: "Vannerie de Fès", region: "FM", craft: "basketry", status: models.ArtisanPending})
		a := newTestApp(t, db)
		if resp, _ := a.client().get("/chamber/artisans"); resp.StatusCode != http.StatusSeeOther ||
			!strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("anonymous queue: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		for _, role := range []models.Role{models.RoleVisitor, models.RoleArtisan, models.RoleOrganizer} {
			email := "no-chamber-" + string(role) + "@example.be"
			a.mkUser(email, role)
			c := a.client()
			c.login(email, testPassword)
			token := c.csrf("/account")
			for _, path := range []string{"/chamber/artisans", chamberPath(pending)} {
				if resp, _ := c.get(path); resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s GET %s: %d, want 403", role, path, resp.StatusCode)
				}
			}
			resp, _ := c.post(chamberPath(pending)+"/review", url.Values{"_csrf": {token}, "decision": {"verify"}})
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s POST review: %d, want 403", role, resp.StatusCode)
			}
		}
		if got := artisanStatus(t, db, pending); got.Status != models.ArtisanPending || len(auditFor(t, db, pending.ID)) != 0 {
			t.Errorf("refused roles changed the artisan: %s", got.Status)
		}
		// The agent of another region sees an empty queue and cannot open the artisan.
		u, err := models.CreateUser(context.Background(), db, models.NewUser{Email: "agent-ms@example.ma", Name: "Agent MS",
			Password: testPassword, Role: models.RoleChamber, RegionCode: "MS"})
		if err != nil {
			t.Fatal(err)
		}
		c := a.client()
		c.login(u.Email, testPassword)
		_, body := c.get("/chamber/artisans")
		if strings.Contains(body, "Vannerie de Fès") || !strings.Contains(pageText(body), a.msg("fr", "ChamberQueueEmpty")) {
			t.Error("MS agent's queue shows the FM artisan or lacks the empty state")
		}
		if resp, _ := c.get(chamberPath(pending)); resp.StatusCode != http.StatusNotFound {
			t.Errorf("MS agent on an FM artisan: %d, want 404", resp.StatusCode)
		}
	})
}
