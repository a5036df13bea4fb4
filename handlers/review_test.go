package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// rvSetup is a portal with a signed-in organizer and a fair whose applications the chamber
// has (mostly) reviewed, rows written straight to the tables.
type rvSetup struct {
	a    *testApp
	org  *client
	fair models.Fair
}

func newRvSetup(t *testing.T, db *gorm.DB) *rvSetup {
	t.Helper()
	a := newTestApp(t, db)
	a.mkUser("organisatrice@example.be", models.RoleOrganizer)
	org := a.client()
	org.login("organisatrice@example.be", testPassword)
	start := time.Now().AddDate(0, 3, 0).Truncate(24 * time.Hour)
	fair := models.Fair{Slug: dbtest.Name("salon"), Name: "Salon de Bruxelles 2027", City: "Bruxelles", Country: "BE",
		StartsOn: start, EndsOn: start.AddDate(0, 0, 2), Timezone: "Europe/Brussels", Status: models.FairClosed}
	if err := a.db.Create(&fair).Error; err != nil {
		t.Fatal(err)
	}
	return &rvSetup{a: a, org: org, fair: fair}
}

// app adds an artisan (account in locale) and its application in status.
func (s *rvSetup) app(t *testing.T, name, region string, status models.ApplicationStatus, locale string) models.Application {
	t.Helper()
	u := models.User{Email: dbtest.Name("artisan") + "@example.ma", Name: name, PasswordHash: "x", Role: models.RoleArtisan, Locale: locale}
	if err := s.a.db.Create(&u).Error; err != nil {
		t.Fatal(err)
	}
	art := models.Artisan{UserID: u.ID, Slug: dbtest.Name("atelier"), BusinessName: name, Kind: "cooperative",
		RegionCode: region, CraftCode: "carpets", City: "Azilal", Status: models.ArtisanVerified}
	if err := s.a.db.Create(&art).Error; err != nil {
		t.Fatal(err)
	}
	app := models.Application{FairID: s.fair.ID, ArtisanID: art.ID, Status: status, FeeState: models.FeeNone,
		Motivation: "Montrer nos tapis à la diaspora.", SubmittedAt: time.Now().Add(-72 * time.Hour)}
	if status != models.AppSubmitted {
		yes, rank := true, 1
		app.ChamberRecommended, app.ChamberRank = &yes, &rank
	}
	if err := s.a.db.Create(&app).Error; err != nil {
		t.Fatal(err)
	}
	return app
}

func (s *rvSetup) appURL(id int64) string { return reviewAppURL(s.fair.ID, id) }

func (s *rvSetup) status(t *testing.T, id int64) models.ApplicationStatus {
	t.Helper()
	var a models.Application
	if err := s.a.db.Where("id = ?", id).Take(&a).Error; err != nil {
		t.Fatal(err)
	}
	return a.Status
}

// decide posts a decision from the application's page.
func (s *rvSetup) decide(t *testing.T, id int64, decision, note string) (*http.Response, string) {
	t.Helper()
	token := s.org.csrf(s.appURL(id))
	return s.org.post(s.appURL(id)+"/decision", url.Values{"_csrf": {token}, "decision": {decision}, "note": {note}})
}

func TestReviewDecisionsOverHTTP(t *testing.T) {
	s := newRvSetup(t, nil)
	accept := s.app(t, "Coopérative Tifawin", "FM", models.AppChamberReviewed, "fr")
	wait := s.app(t, "Atelier Bennani", "MS", models.AppChamberReviewed, "fr")
	reject := s.app(t, "Dar Fekhar", "MS", models.AppChamberReviewed, "fr")
	early := s.app(t, "Atelier pas encore vu", "MS", models.AppSubmitted, "fr")
	beyond := s.app(t, "Tissage d'Azilal", "FM", models.AppChamberReviewed, "fr")

	_, body := s.org.get(fairAdminURL(s.fair.ID) + "/applications")
	for _, want := range []string{"Coopérative Tifawin", "Atelier pas encore vu", "Fès-Meknès", s.a.msg("fr", "ReviewStatsByRegion")} {
		if !strings.Contains(pageText(body), want) {
			t.Errorf("list page lacks %q", want)
		}
	}

	t.Run("accept", func(t *testing.T) {
		resp, _ := s.decide(t, accept.ID, "accept", "")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("accept: %d, want 303", resp.StatusCode)
		}
		if page := s.org.follow(resp); !strings.Contains(page, s.a.msg("fr", "FlashReviewAccepted")) {
			t.Errorf("no confirmation after accepting: %.300s", page)
		}
		if got := s.status(t, accept.ID); got != models.AppAccepted {
			t.Errorf("status %s, want accepted", got)
		}
	})
	t.Run("waitlist", func(t *testing.T) {
		resp, _ := s.decide(t, wait.ID, "waitlist", "Le hall est complet pour les tapis.")
		if resp.StatusCode != http.StatusSeeOther || s.status(t, wait.ID) != models.AppWaitlisted {
			t.Fatalf("waitlist: %d, status %s", resp.StatusCode, s.status(t, wait.ID))
		}
		_, page := s.org.get(fairAdminURL(s.fair.ID) + "/waitlist")
		if !strings.Contains(pageText(page), "Atelier Bennani") {
			t.Error("the waitlist page does not show the waitlisted artisan")
		}
	})
	t.Run("reject needs a reason, then takes it", func(t *testing.T) {
		resp, page := s.decide(t, reject.ID, "reject", "  ")
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(pageText(page), s.a.msg("fr", "DecisionNoteRequired")) {
			t.Fatalf("reject without a reason: %d, want 422 with the message next to the field", resp.StatusCode)
		}
		if got := s.status(t, reject.ID); got != models.AppChamberReviewed {
			t.Fatalf("refused rejection changed the status to %s", got)
		}
		resp, _ = s.decide(t, reject.ID, "reject", "Pièces hors du thème du salon.")
		if resp.StatusCode != http.StatusSeeOther || s.status(t, reject.ID) != models.AppRejected {
			t.Fatalf("reject: %d, status %s", resp.StatusCode, s.status(t, reject.ID))
		}
		_, page = s.org.get(s.appURL(reject.ID))
		if !strings.Contains(pageText(page), "Pièces hors du thème du salon.") {
			t.Error("the application page does not show the reason given")
		}
		if strings.Contains(page, `value="accept"`) || strings.Contains(page, `value="reject"`) {
			t.Error("a rejected application still offers decisions")
		}
	})
	t.Run("submitted: the chamber first", func(t *testing.T) {
		_, page := s.org.get(s.appURL(early.ID))
		if strings.Contains(page, `name="decision" value="accept"`) {
			t.Error("a submitted application offers an accept button")
		}
		resp, _ := s.decide(t, early.ID, "accept", "")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("accept a submitted application: %d, want 303 back with a message", resp.StatusCode)
		}
		if page := s.org.follow(resp); !strings.Contains(page, s.a.msg("fr", "ReviewRefusedNotReviewed")) {
			t.Errorf("no two-step message: %.400s", page)
		}
		if got := s.status(t, early.ID); got != models.AppSubmitted {
			t.Errorf("status %s, want still submitted", got)
		}
	})
	t.Run("beyond the quota", func(t *testing.T) {
		quotas := fairAdminURL(s.fair.ID) + "/quotas"
		token := s.org.csrf(quotas)
		resp, page := s.org.post(quotas, url.Values{"_csrf": {token}, "quota_FM": {"-2"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(pageText(page), s.a.msg("fr", "QuotaInvalid")) {
			t.Fatalf("negative quota: %d, want 422 with the message", resp.StatusCode)
		}
		resp, _ = s.org.post(quotas, url.Values{"_csrf": {token}, "quota_FM": {"1"}, "quota_MS": {""}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save quotas: %d", resp.StatusCode)
		}
		resp, _ = s.decide(t, beyond.ID, "accept", "")
		page = s.org.follow(resp)
		want := s.a.h.tr.localize("fr", "ReviewRefusedQuota", nil, map[string]any{"Region": "Fès-Meknès", "Quota": "1"})
		if !strings.Contains(page, want) {
			t.Errorf("quota refusal does not name the region and quota (%q): %.400s", want, page)
		}
		if got := s.status(t, beyond.ID); got != models.AppChamberReviewed {
			t.Errorf("status %s, want unchanged", got)
		}
	})
}

func TestReviewBulkReportsEachRefusal(t *testing.T) {
	s := newRvSetup(t, nil)
	var ids []string
	for i := range 3 {
		ids = append(ids, strconv.FormatInt(s.app(t, fmt.Sprintf("Atelier %d", i+1), "RSK", models.AppChamberReviewed, "fr").ID, 10))
	}
	early := s.app(t, "Atelier Sans Avis", "RSK", models.AppSubmitted, "fr")
	ids = append(ids, strconv.FormatInt(early.ID, 10))
	list := fairAdminURL(s.fair.ID) + "/applications"
	back := list + "?region=RSK"
	token := s.org.csrf(back)

	// A rejection without a reason is refused as a whole; the ticks are kept.
	resp, page := s.org.post(list+"/bulk", url.Values{"_csrf": {token}, "ids": ids, "decision": {"reject"}, "back": {back}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(pageText(page), s.a.msg("fr", "DecisionNoteRequired")) {
		t.Fatalf("bulk reject without a reason: %d, want 422 with the message", resp.StatusCode)
	}
	for _, id := range ids {
		if !strings.Contains(page, `value="`+id+`" id="sel-`+id+`" checked`) {
			t.Errorf("application %s is no longer ticked after the refusal", id)
		}
	}

	resp, _ = s.org.post(list+"/bulk", url.Values{"_csrf": {token}, "ids": ids, "decision": {"accept"}, "back": {back}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != back {
		t.Fatalf("bulk accept: %d to %q, want 303 back to the filtered list", resp.StatusCode, resp.Header.Get("Location"))
	}
	page = s.org.follow(resp)
	done := s.a.h.tr.localize("fr", "ReviewBulkAccepted", 3, nil)
	if !strings.Contains(page, done) || !strings.Contains(page, "Atelier Sans Avis") || !strings.Contains(page, s.a.msg("fr", "ReviewRefusedNotReviewed")) {
		t.Errorf("bulk result does not say %q and name the refused one with its reason: %.600s", done, page)
	}
	var accepted int64
	s.a.db.Model(&models.Application{}).Where("fair_id = ? AND status = ?", s.fair.ID, models.AppAccepted).Count(&accepted)
	if accepted != 3 || s.status(t, early.ID) != models.AppSubmitted {
		t.Errorf("accepted %d, submitted one is %s; want 3 accepted and the other untouched", accepted, s.status(t, early.ID))
	}

	// Nothing ticked: told, nothing changes.
	resp, _ = s.org.post(list+"/bulk", url.Values{"_csrf": {token}, "decision": {"accept"}, "back": {back}})
	if page := s.org.follow(resp); !strings.Contains(page, s.a.msg("fr", "ReviewBulkNoneSelected")) {
		t.Error("an empty bulk action is not explained")
	}
}

func TestReviewFilteredListAndDetail(t *testing.T) {
	s := newRvSetup(t, nil)
	fm := s.app(t, "Coopérative Tifawin", "FM", models.AppChamberReviewed, "fr")
	s.app(t, "Atelier Oriental", "ORI", models.AppChamberReviewed, "fr")
	_, body := s.org.get(fairAdminURL(s.fair.ID) + "/applications?region=FM&rec=yes")
	text := pageText(body)
	if !strings.Contains(text, "Coopérative Tifawin") || strings.Contains(text, "Atelier Oriental") {
		t.Errorf("region filter: %.500s", text)
	}
	_, body = s.org.get(fairAdminURL(s.fair.ID) + "/applications?q=zzz")
	if !strings.Contains(pageText(body), s.a.msg("fr", "ReviewNoMatch")) {
		t.Error("no empty state for a search without results")
	}
	_, body = s.org.get(s.appURL(fm.ID))
	for _, want := range []string{"Montrer nos tapis à la diaspora.", s.a.msg("fr", "ReviewDecisionAccept"), s.a.msg("fr", "ReviewDecisionWaitlist"), "Fès-Meknès", s.a.msg("fr", "ReviewRecYes")} {
		if !strings.Contains(pageText(body), want) {
			t.Errorf("application page lacks %q", want)
		}
	}
	if strings.Contains(body, `value="release"`) {
		t.Error("a reviewed application offers to release a place it does not hold")
	}
	// Another fair's id in the URL: 404.
	resp, _ := s.org.get(reviewAppURL(s.fair.ID+1, fm.ID))
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("application through another fair: %d, want 404", resp.StatusCode)
	}
}

func TestReviewFeeCoveredAndPaidOverHTTP(t *testing.T) {
	s := newRvSetup(t, nil)
	app := s.app(t, "Atelier Cuivre", "FM", models.AppAccepted, "fr")
	hall := models.Hall{FairID: s.fair.ID, Name: "Hall 1", WidthCm: 3000, DepthCm: 3000}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.a.db.Create(&hall).Error)
	stand := models.Stand{FairID: s.fair.ID, HallID: hall.ID, Code: "B12", Kind: models.StandStandard, WidthCm: 300, DepthCm: 300, PriceCents: 45000, Status: models.StandAvailable}
	must(s.a.db.Create(&stand).Error)
	var org models.User
	must(s.a.db.Where("email = ?", "organisatrice@example.be").Take(&org).Error)
	_, err := models.AssignStand(context.Background(), s.a.db, org, s.fair.ID, app.ID, stand.ID, time.Now())
	must(err)

	_, list := s.org.get(fairAdminURL(s.fair.ID) + "/applications")
	if !strings.Contains(pageText(list), "B12") || !strings.Contains(pageText(list), formatEuros("fr", 45000)) {
		t.Fatalf("the list does not show the stand and its fee: %.400s", pageText(list))
	}
	_, page := s.org.get(s.appURL(app.ID))
	if !strings.Contains(pageText(page), "B12") || !strings.Contains(pageText(page), formatEuros("fr", 45000)) {
		t.Fatalf("the page does not show the stand and its fee: %.400s", pageText(page))
	}
	token := s.org.csrf(s.appURL(app.ID))
	resp, page := s.org.post(s.appURL(app.ID)+"/fee-paid", url.Values{"_csrf": {token}, "fee_note": {""}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(pageText(page), s.a.msg("fr", "FeeNoteRequired")) {
		t.Fatalf("mark paid without a note: %d", resp.StatusCode)
	}
	resp, _ = s.org.post(s.appURL(app.ID)+"/fee-covered", url.Values{"_csrf": {token}, "covered": {"1"}})
	if page := s.org.follow(resp); !strings.Contains(page, s.a.msg("fr", "FlashFeeCovered")) {
		t.Error("no confirmation after covering the fee")
	}
	resp, _ = s.org.post(s.appURL(app.ID)+"/fee-covered", url.Values{"_csrf": {token}, "covered": {"0"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("uncover: %d", resp.StatusCode)
	}
	resp, _ = s.org.post(s.appURL(app.ID)+"/fee-paid", url.Values{"_csrf": {token}, "fee_note": {"Virement CIH 2027-044"}})
	if page := s.org.follow(resp); !strings.Contains(page, s.a.msg("fr", "FlashFeePaid")) || !strings.Contains(page, "Virement CIH 2027-044") {
		t.Errorf("after marking paid: %.500s", page)
	}
	var got models.Application
	must(s.a.db.Where("id = ?", app.ID).Take(&got).Error)
	if got.FeeState != models.FeePaid {
		t.Errorf("fee state %s, want fee_paid", got.FeeState)
	}
}

func TestReviewCSVHasBOMAndArabic(t *testing.T) {
	s := newRvSetup(t, nil)
	s.app(t, "تعاونية الأطلس للزرابي", "DT", models.AppChamberReviewed, "ar")
	s.app(t, "=cmd|' /C calc'!A0", "FM", models.AppSubmitted, "fr")
	resp, body := s.org.get(fairAdminURL(s.fair.ID) + "/applications.csv")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.HasPrefix(body, "\uFEFFid,artisan,region,craft,status,") {
		t.Errorf("the export does not start with the BOM and the header: %q", body[:min(len(body), 60)])
	}
	if !strings.Contains(body, "تعاونية الأطلس للزرابي,DT,carpets,chamber_reviewed,yes,1") {
		t.Errorf("the Arabic row is not intact: %s", body)
	}
	if !strings.Contains(body, "\n'=cmd|' /C calc'!A0,FM,") && !strings.Contains(body, ",'=cmd|' /C calc'!A0,FM,") {
		t.Errorf("a formula cell is not neutralised: %s", body)
	}
	if resp, _ := s.org.get(fairAdminURL(s.fair.ID+99) + "/applications.csv"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("export of an unknown fair: %d, want 404", resp.StatusCode)
	}
}

func TestOutboxPageShowsTheEmailInTheRecipientsLanguage(t *testing.T) {
	s := newRvSetup(t, nil)
	app := s.app(t, "تعاونية النسيج", "DT", models.AppChamberReviewed, "ar")
	if resp, _ := s.decide(t, app.ID, "waitlist", "القاعة ممتلئة حاليًا"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("waitlist: %d", resp.StatusCode)
	}
	_, body := s.org.get("/admin/outbox")
	text := pageText(body)
	subject := s.a.h.tr.localize("ar", "Email_application_waitlisted_subject", nil, map[string]any{"Fair": s.fair.Name})
	for _, want := range []string{subject, "مرحبًا تعاونية النسيج،", "القاعة ممتلئة حاليًا", s.a.msg("fr", "OutboxKept"), s.a.msg("fr", "OutboxKindWaitlisted")} {
		if !strings.Contains(text, want) {
			t.Errorf("outbox page lacks %q", want)
		}
	}
	if !strings.Contains(body, `lang="ar" dir="rtl"`) {
		t.Error("the Arabic e-mail is not marked lang=ar dir=rtl")
	}
}

func TestReviewRoutesRefuseOtherRoles(t *testing.T) {
	s := newRvSetup(t, nil)
	app := s.app(t, "Atelier Témoin", "FM", models.AppChamberReviewed, "fr")
	for _, role := range []models.Role{models.RoleChamber, models.RoleArtisan, models.RoleVisitor} {
		t.Run(string(role), func(t *testing.T) {
			email := "rv-" + string(role) + "@example.be"
			s.a.mkUser(email, role)
			c := s.a.client()
			c.login(email, testPassword)
			token := c.csrf("/account")
			for _, path := range []string{fairAdminURL(s.fair.ID) + "/applications", s.appURL(app.ID), "/admin/outbox",
				fairAdminURL(s.fair.ID) + "/applications.csv", fairAdminURL(s.fair.ID) + "/quotas", fairAdminURL(s.fair.ID) + "/waitlist"} {
				if resp, _ := c.get(path); resp.StatusCode != http.StatusForbidden {
					t.Errorf("GET %s as %s: %d, want 403", path, role, resp.StatusCode)
				}
			}
			resp, _ := c.post(s.appURL(app.ID)+"/decision", url.Values{"_csrf": {token}, "decision": {"accept"}})
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST decision as %s: %d, want 403", role, resp.StatusCode)
			}
			resp, _ = c.post(fairAdminURL(s.fair.ID)+"/applications/bulk", url.Values{"_csrf": {token}, "decision": {"accept"}, "ids": {strconv.FormatInt(app.ID, 10)}})
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST bulk as %s: %d, want 403", role, resp.StatusCode)
			}
			if got := s.status(t, app.ID); got != models.AppChamberReviewed {
				t.Fatalf("a %s changed the application to %s", role, got)
			}
		})
	}
}

func TestJanitorExpiresOffersWhoseDeadlinePassed(t *testing.T) {
	s := newRvSetup(t, nil)
	offered := s.app(t, "Atelier Hors Délai", "FM", models.AppOffered, "fr")
	next := s.app(t, "Atelier Suivant", "FM", models.AppWaitlisted, "fr")
	now := time.Date(2027, 2, 1, 12, 0, 0, 0, time.UTC)
	if err := s.a.db.Model(&models.Application{}).Where("id = ?", offered.ID).Update("offer_expires_at", now.Add(-time.Minute)).Error; err != nil {
		t.Fatal(err)
	}
	s.a.h.expireOffers(context.Background(), now.Add(-2*time.Minute)) // before the deadline: nothing
	if got := s.status(t, offered.ID); got != models.AppOffered {
		t.Fatalf("offer expired before its deadline: %s", got)
	}
	s.a.h.expireOffers(context.Background(), now)
	if got := s.status(t, offered.ID); got != models.AppOfferExpired {
		t.Errorf("offer after its deadline: %s, want offer_expired", got)
	}
	if got := s.status(t, next.ID); got != models.AppOffered {
		t.Errorf("next on the waitlist: %s, want offered", got)
	}
}
