package handlers

// Organizers draw a fair through the back office: fair form, status buttons, halls, stands by
// form, grid and CSV import (preview first, all or nothing), stands CSV export; everyone else
// is refused. The public fair pages show what was drawn.

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// faSetup is an instance with a signed-in organizer and a draft fair with one 30 × 20 m hall.
type faSetup struct {
	a    *testApp
	c    *client
	org  models.User
	fair models.Fair
	hall models.Hall
}

func newFASetup(t *testing.T, db *gorm.DB) faSetup {
	t.Helper()
	a := newTestApp(t, db)
	org := a.mkUser("organisatrice@smap.example", models.RoleOrganizer)
	c := a.client()
	c.login("organisatrice@smap.example", testPassword)
	ctx := context.Background()
	f, err := models.CreateFair(ctx, a.db, org, models.FairInput{
		Name: "Souk Expo Bruxelles 2027", City: "Bruxelles", Country: "BE", Venue: "Brussels Expo", Address: "Place de Belgique 1",
		StartsOn: "2027-03-19", EndsOn: "2027-03-21", Timezone: "Europe/Brussels", FeePolicy: "stand_price",
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := models.CreateHall(ctx, a.db, org, f.ID, models.HallInput{Name: "Hall 5", WidthCm: 3000, DepthCm: 2000})
	if err != nil {
		t.Fatal(err)
	}
	return faSetup{a: a, c: c, org: org, fair: f, hall: h}
}

func (s faSetup) url(suffix string) string { return fairAdminURL(s.fair.ID) + suffix }

func (s faSetup) stands(t *testing.T) []models.Stand {
	t.Helper()
	out, err := models.ListStands(context.Background(), s.a.db, s.fair.ID)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// faPostCSV uploads a stands file to the import preview, as the upload form does.
func (c *client) faPostCSV(path, token string, hallID int64, data string) (*http.Response, string) {
	c.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("_csrf", token)
	_ = w.WriteField("import_hall", strconv.FormatInt(hallID, 10))
	fw, err := w.CreateFormFile("import_csv", "stands.csv")
	if err != nil {
		c.t.Fatal(err)
	}
	_, _ = fw.Write([]byte(data))
	_ = w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.do(req)
}

// faStandsFile is a valid import file of n stands (rows of 10, 3 × 3 m, 2 m aisles).
func faStandsFile(n int) []string {
	lines := []string{"code,zone,kind,x,y,width,depth,price_cents"}
	for i := range n {
		r, col := i/10, i%10
		lines = append(lines, fmt.Sprintf("B%d,Zellige,standard,%d,%d,3,3,45000", i+1, col*3, r*5))
	}
	return lines
}

var csvTextarea = regexp.MustCompile(`(?s)<textarea name="csv_text"[^>]*>(.*?)</textarea>`)

func TestFairAdminImportCSV(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		s := newFASetup(t, db)
		en := func(id string) string { return s.a.msg("en", id) }

		t.Run("40 stands: preview first, then saved on confirm", func(t *testing.T) {
			file := "\ufeff" + strings.Join(faStandsFile(40), "\r\n") + "\r\n"
			token := s.c.csrf(s.url("/stands/import"))
			resp, body := s.c.faPostCSV(s.url("/stands/import?lang=en"), token, s.hall.ID, file)
			text := pageText(body)
			if resp.StatusCode != http.StatusOK || !strings.Contains(text, "40 stands ready to be imported into “Hall 5”") {
				t.Fatalf("preview: %d %.600s", resp.StatusCode, text)
			}
			if n := len(s.stands(t)); n != 0 {
				t.Fatalf("the preview saved %d stands", n)
			}
			m := csvTextarea.FindStringSubmatch(body)
			if m == nil {
				t.Fatal("the preview carries no file to confirm")
			}
			resp, _ = s.c.post(s.url("/stands/import/confirm"), url.Values{"_csrf": {token}, "import_hall": {strconv.FormatInt(s.hall.ID, 10)},
				"csv_text": {pageText(m[1])}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("confirm: %d", resp.StatusCode)
			}
			page := s.c.follow(resp)
			if !strings.Contains(page, en("FlashStandsImported")) || !strings.Contains(page, "B40") {
				t.Errorf("after the import the page shows no confirmation or no stands")
			}
			stands := s.stands(t)
			if len(stands) != 40 {
				t.Fatalf("%d stands saved, want 40", len(stands))
			}
			b12, _ := models.GetStandByCode(context.Background(), db, s.fair.ID, "B12")
			if b12.XCm != 300 || b12.YCm != 500 || b12.PriceCents != 45000 || b12.HallID != s.hall.ID {
				t.Errorf("B12 saved as %+v", b12)
			}
		})

		t.Run("a wrong line 7 is reported by its number and nothing is saved", func(t *testing.T) {
			lines := faStandsFile(12)
			for i := range lines[1:] {
				lines[i+1] = strings.Replace(lines[i+1], "B", "C", 1)
				lines[i+1] = strings.Replace(lines[i+1], "Zellige", "Tapis", 1)
			}
			// Move the block below the first import (rows at 20 m are outside the 20 m hall, so
			// use a second hall).
			h2, err := models.CreateHall(context.Background(), db, s.org, s.fair.ID, models.HallInput{Name: "Hall 6", WidthCm: 3000, DepthCm: 2000})
			if err != nil {
				t.Fatal(err)
			}
			lines[6] = "C6,Tapis,yurt,15,0,3,3,45000" // line 7 of the file
			before := len(s.stands(t))
			token := s.c.csrf(s.url("/stands/import"))
			resp, body := s.c.faPostCSV(s.url("/stands/import?lang=en"), token, h2.ID, strings.Join(lines, "\n"))
			text := pageText(body)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("preview of a wrong file: %d", resp.StatusCode)
			}
			if !strings.Contains(text, "Line 7, column “kind”: Unknown kind “yurt”") {
				t.Errorf("the error does not name line 7 and its column: %.1500s", text)
			}
			if !strings.Contains(text, `id="line-7" class="is-bad"`) || !strings.Contains(text, en("FairAdminImportNothingSaved")) {
				t.Error("the preview does not highlight line 7 or say nothing was saved")
			}
			if csvTextarea.MatchString(body) {
				t.Error("a wrong file can be confirmed")
			}
			// Posting the wrong file to confirm anyway (a tampered form) saves nothing either.
			resp, body = s.c.post(s.url("/stands/import/confirm?lang=en"), url.Values{"_csrf": {token}, "import_hall": {strconv.FormatInt(h2.ID, 10)},
				"csv_text": {strings.Join(lines, "\n")}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(pageText(body), "Line 7") {
				t.Errorf("confirm of a wrong file: %d", resp.StatusCode)
			}
			if n := len(s.stands(t)); n != before {
				t.Errorf("a wrong file saved %d stands", n-before)
			}
		})

		t.Run("overlap with a stand already in the hall is refused at confirm", func(t *testing.T) {
			token := s.c.csrf(s.url("/stands/import"))
			file := "code,zone,kind,x,y,width,depth,price_cents\nZ1,,standard,1,1,2,2,0\n"
			resp, body := s.c.post(s.url("/stands/import/confirm?lang=en"), url.Values{"_csrf": {token}, "import_hall": {strconv.FormatInt(s.hall.ID, 10)}, "csv_text": {file}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(pageText(body), "Line 2, column “x”: Stand Z1 overlaps stand B1, already in the hall.") {
				t.Errorf("overlapping import: %d %.800s", resp.StatusCode, pageText(body))
			}
		})

		t.Run("a file too large is refused before reading", func(t *testing.T) {
			token := s.c.csrf(s.url("/stands/import"))
			big := strings.Repeat("x", models.MaxImportBytes+10)
			resp, body := s.c.faPostCSV(s.url("/stands/import"), token, s.hall.ID, big)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(pageText(body), en("ImportTooLarge")) {
				t.Errorf("big file: %d", resp.StatusCode)
			}
		})
	})
}

func TestFairAdminStandsByForm(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		s := newFASetup(t, db)
		fr := func(id string) string { return s.a.msg("fr", id) }
		hall := strconv.FormatInt(s.hall.ID, 10)
		form := func(code, x, y, w, d, price string) url.Values {
			return url.Values{"stand_hall": {hall}, "stand_code": {code}, "stand_zone": {"Cuir"}, "stand_kind": {"corner"},
				"stand_x": {x}, "stand_y": {y}, "stand_width": {w}, "stand_depth": {d}, "stand_price": {price}}
		}
		resp, body := s.c.post(s.url("/stands"), s.c.withToken(s.url(""), form("a1", "0", "0", "2,5", "3", "450,50")))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add stand: %d %.600s", resp.StatusCode, pageText(body))
		}
		a1, err := models.GetStandByCode(context.Background(), db, s.fair.ID, "A1")
		if err != nil || a1.WidthCm != 250 || a1.PriceCents != 45050 || a1.Kind != models.StandCorner {
			t.Fatalf("A1 saved as %+v (%v)", a1, err)
		}

		resp, body = s.c.post(s.url("/stands"), s.c.withToken(s.url(""), form("A2", "2", "1", "3", "3", "450")))
		text := pageText(body)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("overlapping stand: %d", resp.StatusCode)
		}
		if got, invalid := fieldErrorText(body, "stand_x"); !invalid || got != fr("StandOverlaps") {
			t.Errorf("overlap message next to x: %q (invalid %v)", got, invalid)
		}
		if inputValue(body, "stand_code") != "A2" || inputValue(body, "stand_width") != "3" {
			t.Error("the refused form lost what was typed")
		}
		if !strings.Contains(text, fr("FormHasErrors")) {
			t.Error("no error summary")
		}
		resp, body = s.c.post(s.url("/stands"), s.c.withToken(s.url(""), form("A3", "29", "0", "2", "2", "abc")))
		if got, _ := fieldErrorText(body, "stand_price"); resp.StatusCode != http.StatusUnprocessableEntity || got != fr("StandPriceInvalid") {
			t.Errorf("bad price: %d %q", resp.StatusCode, got)
		}
		if n := len(s.stands(t)); n != 1 {
			t.Fatalf("refused stands were saved: %d", n)
		}

		// Edit: the form comes pre-filled, and saving keeps the code unique.
		_, body = s.c.get(s.url(fmt.Sprintf("?edit=%d", a1.ID)))
		if inputValue(body, "stand_code") != "A1" || inputValue(body, "stand_width") != "2,5" || inputValue(body, "stand_price") != "450,50" {
			t.Errorf("edit form not pre-filled: code %q width %q price %q", inputValue(body, "stand_code"), inputValue(body, "stand_width"), inputValue(body, "stand_price"))
		}
		resp, _ = s.c.post(s.url(fmt.Sprintf("/stands/%d", a1.ID)), s.c.withToken(s.url(""), form("A1", "1", "0", "3", "3", "500")))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit stand: %d", resp.StatusCode)
		}
		if got, _ := models.GetStand(context.Background(), db, s.fair.ID, a1.ID); got.XCm != 100 || got.PriceCents != 50000 {
			t.Errorf("after edit: %+v", got)
		}

		// Status by hand, then delete.
		resp, _ = s.c.post(s.url(fmt.Sprintf("/stands/%d/status", a1.ID)), s.c.withToken(s.url(""), url.Values{"to": {"blocked"}}))
		if got, _ := models.GetStand(context.Background(), db, s.fair.ID, a1.ID); resp.StatusCode != http.StatusSeeOther || got.Status != models.StandBlocked {
			t.Errorf("block stand: %d %s", resp.StatusCode, got.Status)
		}
		resp, body = s.c.post(s.url(fmt.Sprintf("/stands/%d/status?lang=en", a1.ID)), s.c.withToken(s.url(""), url.Values{"to": {"assigned"}}))
		if resp.StatusCode != http.StatusConflict || !strings.Contains(pageText(body), s.a.msg("en", "FairAdminStandStatusByHand")) {
			t.Errorf("assign by hand: %d", resp.StatusCode)
		}
		resp, _ = s.c.post(s.url(fmt.Sprintf("/stands/%d/delete", a1.ID)), s.c.withToken(s.url(""), nil))
		if resp.StatusCode != http.StatusSeeOther || len(s.stands(t)) != 0 {
			t.Errorf("delete stand: %d, %d left", resp.StatusCode, len(s.stands(t)))
		}
	})
}

func TestFairAdminAssignedStandIsLocked(t *testing.T) {
	s := newFASetup(t, nil)
	db := s.a.db
	ctx := context.Background()
	st, err := models.AddStand(ctx, db, s.org, s.fair.ID, models.StandInput{HallID: s.hall.ID, Code: "C1", WidthCm: 300, DepthCm: 300, PriceCents: 1})
	if err != nil {
		t.Fatal(err)
	}
	name := "تعاونية الزربية الأمازيغية"
	faAssignStand(t, db, s.fair, st, name)
	_, body := s.c.get(s.url(""))
	if !strings.Contains(pageText(body), name) {
		t.Error("the stands table does not name the exhibitor of an assigned stand")
	}
	for _, path := range []string{fmt.Sprintf("/stands/%d/status", st.ID), fmt.Sprintf("/stands/%d/delete", st.ID)} {
		resp, body := s.c.post(s.url(path), s.c.withToken(s.url(""), url.Values{"to": {"available"}}))
		text := pageText(body)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(text, "C1") || !strings.Contains(text, `role="alert"`) {
			t.Errorf("POST %s on an assigned stand: %d", path, resp.StatusCode)
		}
	}
	if got, err := models.GetStand(ctx, db, s.fair.ID, st.ID); err != nil || got.Status != models.StandAssigned {
		t.Errorf("assigned stand changed: %+v %v", got, err)
	}
}

var faSeq atomic.Int64

// faAssignStand gives a stand to an accepted application of a new verified artisan.
func faAssignStand(t *testing.T, db *gorm.DB, f models.Fair, st models.Stand, name string) models.Artisan {
	t.Helper()
	ctx := context.Background()
	n := faSeq.Add(1)
	u, err := models.CreateUser(ctx, db, models.NewUser{Email: fmt.Sprintf("fa-art%d@example.ma", n), Name: name, Password: testPassword, Role: models.RoleArtisan})
	if err != nil {
		t.Fatal(err)
	}
	a, err := models.SaveArtisanProfile(ctx, db, u.ID, models.ArtisanProfileInput{BusinessName: name, Kind: "cooperative", RegionCode: "FM",
		CraftCode: "zellige", City: "Fès", BioFR: "Coopérative.", RegistryNumber: fmt.Sprintf("FM-2022-%05d", n), CardNumber: fmt.Sprintf("FAHCARD%05d", n)})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Model(&models.Artisan{}).Where("id = ?", a.ID).Update("status", models.ArtisanVerified).Error; err != nil {
		t.Fatal(err)
	}
	app := models.Application{FairID: f.ID, ArtisanID: a.ID, Status: models.AppAccepted, StandID: &st.ID, FeeState: models.FeeDue, FeeCents: st.PriceCents}
	if err := db.Create(&app).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Model(&models.Stand{}).Where("id = ?", st.ID).Update("status", models.StandAssigned).Error; err != nil {
		t.Fatal(err)
	}
	return a
}

func TestFairAdminGrid(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		s := newFASetup(t, db)
		grid := url.Values{"grid_hall": {strconv.FormatInt(s.hall.ID, 10)}, "grid_rows": {"3"}, "grid_cols": {"5"}, "grid_width": {"3"},
			"grid_depth": {"2,5"}, "grid_aisle": {"2"}, "grid_origin_x": {"1"}, "grid_origin_y": {"1"}, "grid_pattern": {"{row}{col}"},
			"grid_zone": {"Céramique"}, "grid_kind": {"standard"}, "grid_price": {"300"}}
		resp, body := s.c.post(s.url("/stands/grid"), s.c.withToken(s.url("/stands/grid"), grid))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("grid: %d %.800s", resp.StatusCode, pageText(body))
		}
		stands := s.stands(t)
		if len(stands) != 15 {
			t.Fatalf("grid made %d stands, want 3 × 5", len(stands))
		}
		c5, err := models.GetStandByCode(context.Background(), db, s.fair.ID, "C5")
		if err != nil || c5.XCm != 100+4*300 || c5.YCm != 100+2*(250+200) || c5.PriceCents != 30000 {
			t.Errorf("C5: %+v %v", c5, err)
		}
		// The same grid again overlaps itself: refused whole, with what it needs when too big.
		resp, body = s.c.post(s.url("/stands/grid"), s.c.withToken(s.url("/stands/grid"), grid))
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(pageText(body), s.a.msg("fr", "GridOverlaps")) || len(s.stands(t)) != 15 {
			t.Errorf("overlapping grid: %d, %d stands", resp.StatusCode, len(s.stands(t)))
		}
		grid.Set("grid_pattern", "X{n}")
		grid.Set("grid_cols", "12")
		grid.Set("grid_origin_y", "10")
		resp, body = s.c.post(s.url("/stands/grid"), s.c.withToken(s.url("/stands/grid"), grid))
		if got, _ := fieldErrorText(body, "grid"); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(pageText(body), "37\u00a0m × 21,5\u00a0m") {
			t.Errorf("grid outside the hall: %d %q %.600s", resp.StatusCode, got, pageText(body))
		}
		if len(s.stands(t)) != 15 {
			t.Error("a refused grid saved stands")
		}
	})
}

// TestFairAdminStatusViaHTTP: the buttons move a fair along its life; every other move is
// refused with the reason and changes nothing.
func TestFairAdminStatusViaHTTP(t *testing.T) {
	s := newFASetup(t, nil)
	en := func(id string) string { return s.a.msg("en", id) }
	allowed := map[models.FairStatus][]models.FairStatus{
		models.FairDraft: {models.FairOpen}, models.FairOpen: {models.FairClosed},
		models.FairClosed: {models.FairOpen, models.FairLive}, models.FairLive: {models.FairArchived},
	}
	for _, from := range models.FairStatuses {
		for _, to := range models.FairStatuses {
			ok := false
			for _, x := range allowed[from] {
				ok = ok || x == to
			}
			if err := s.a.db.Model(&models.Fair{}).Where("id = ?", s.fair.ID).Update("status", from).Error; err != nil {
				t.Fatal(err)
			}
			resp, body := s.c.post(s.url("/status?lang=en"), s.c.withToken(s.url(""), url.Values{"to": {string(to)}}))
			got, _ := models.GetFair(context.Background(), s.a.db, s.fair.ID)
			if ok {
				if resp.StatusCode != http.StatusSeeOther || got.Status != to {
					t.Errorf("%s → %s: %d, status %s", from, to, resp.StatusCode, got.Status)
				}
				continue
			}
			want := fmt.Sprintf("Not possible: this fair is “%s” and cannot move to “%s”. Nothing was changed.", en("FairStatus_"+string(from)), en("FairStatus_"+string(to)))
			if resp.StatusCode != http.StatusConflict || !strings.Contains(pageText(body), want) || got.Status != from {
				t.Errorf("%s → %s: %d, status %s, message shown %v", from, to, resp.StatusCode, got.Status, strings.Contains(pageText(body), want))
			}
		}
	}
	// The page offers only the allowed next moves.
	if err := s.a.db.Model(&models.Fair{}).Where("id = ?", s.fair.ID).Update("status", models.FairClosed).Error; err != nil {
		t.Fatal(err)
	}
	_, body := s.c.get(s.url(""))
	for status, want := range map[string]bool{"open": true, "live": true, "closed": false, "archived": false, "draft": false} {
		if got := strings.Contains(body, `name="to" value="`+status+`"`); got != want {
			t.Errorf("closed fair: button to %s shown = %v", status, got)
		}
	}
	resp, body := s.c.post(s.url("/status?lang=en"), s.c.withToken(s.url(""), url.Values{"to": {"cancelled"}}))
	if resp.StatusCode != http.StatusConflict || !strings.Contains(pageText(body), en("FairAdminStatusUnknown")) {
		t.Errorf("unknown status: %d", resp.StatusCode)
	}
}

func TestFairAdminCreateAndEditFair(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		a := newTestApp(t, db)
		a.mkUser("org@smap.example", models.RoleOrganizer)
		c := a.client()
		c.login("org@smap.example", testPassword)
		fr := func(id string) string { return a.msg("fr", id) }

		_, body := c.get("/admin/fairs")
		if !strings.Contains(pageText(body), fr("FairAdminNoFairTitle")) || !strings.Contains(body, `href="/admin/fairs/new"`) {
			t.Error("empty list does not teach how to create a fair")
		}
		_, body = c.get("/admin")
		if !strings.Contains(body, `href="/admin/fairs"`) {
			t.Error("the back-office home does not link to the fairs")
		}
		form := url.Values{"fair_name": {"Salon de Paris 2027"}, "fair_city": {"Paris"}, "fair_country": {"FR"}, "fair_venue": {"Paris Expo"},
			"fair_address": {"1 place de la Porte de Versailles"}, "fair_starts_on": {"2027-06-11"}, "fair_ends_on": {"2027-06-09"},
			"fair_timezone": {"Europe/Paris"}, "fair_opens_at": {"2027-03-01T09:00"}, "fair_closes_at": {"2027-04-30T18:00"},
			"fair_currency": {"EUR"}, "fair_fee_policy": {"stand_price"}, "fair_visitor_registration": {"1"}}
		resp, body := c.post("/admin/fairs/new", c.withToken("/admin/fairs/new", form))
		if got, invalid := fieldErrorText(body, "fair_ends_on"); resp.StatusCode != http.StatusUnprocessableEntity || !invalid || got != fr("FairEndsBeforeStarts") {
			t.Fatalf("wrong dates: %d %q", resp.StatusCode, got)
		}
		if inputValue(body, "fair_name") != "Salon de Paris 2027" || !strings.Contains(body, `id="f-fair_visitor_registration" name="fair_visitor_registration" value="1" checked`) {
			t.Error("the refused form lost what was typed")
		}
		form.Set("fair_ends_on", "2027-06-13")
		resp, _ = c.post("/admin/fairs/new", c.withToken("/admin/fairs/new", form))
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/fairs/") {
			t.Fatalf("create fair: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		page := c.follow(resp)
		if !strings.Contains(page, fr("FlashFairCreated")) || !strings.Contains(page, "Salon de Paris 2027") || !strings.Contains(page, fr("FairAdminNoHallTitle")) {
			t.Error("the new fair's page lacks the confirmation or the hall empty state")
		}
		f, err := models.GetPublicFair(context.Background(), db, "salon-de-paris-2027")
		if err == nil {
			t.Fatalf("a draft is public: %+v", f)
		}
		var stored models.Fair
		if err := db.Where("slug = ?", "salon-de-paris-2027").Take(&stored).Error; err != nil || !stored.VisitorRegistration || stored.Timezone != "Europe/Paris" {
			t.Fatalf("stored fair: %+v %v", stored, err)
		}
		self := fairAdminURL(stored.ID)

		// Hall by form, in metres with a comma.
		resp, _ = c.post(self+"/halls", c.withToken(self, url.Values{"hall_name": {"Pavillon 1"}, "hall_width": {"42,5"}, "hall_depth": {"20"}}))
		halls, _ := models.ListHalls(context.Background(), db, stored.ID)
		if resp.StatusCode != http.StatusSeeOther || len(halls) != 1 || halls[0].WidthCm != 4250 {
			t.Fatalf("add hall: %d %+v", resp.StatusCode, halls)
		}
		resp, body = c.post(self+"/halls", c.withToken(self, url.Values{"hall_name": {"Pavillon 1"}, "hall_width": {"abc"}, "hall_depth": {"20"}}))
		if got, _ := fieldErrorText(body, "hall_width"); resp.StatusCode != http.StatusUnprocessableEntity || got != fr("FieldMetresInvalid") {
			t.Errorf("hall width not a number: %d %q", resp.StatusCode, got)
		}
		resp, body = c.post(fmt.Sprintf("%s/halls/%d", self, halls[0].ID), c.withToken(self, url.Values{"hall_name": {"Pavillon Atlas"}, "hall_width": {"0,5"}, "hall_depth": {"20"}}))
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(pageText(body), fr("HallSizeRange")) ||
			!strings.Contains(body, fmt.Sprintf(`id="f-hall_width-%d" name="hall_width" type="text" value="0,5"`, halls[0].ID)) {
			t.Errorf("hall too small: %d", resp.StatusCode)
		}

		// Edit the fair; once open, the slug stays.
		form.Set("fair_venue", "Paris Expo Porte de Versailles")
		form.Set("fair_slug", "paris-2027")
		resp, _ = c.post(self, c.withToken(self, form))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit fair: %d", resp.StatusCode)
		}
		if got, _ := models.GetFair(context.Background(), db, stored.ID); got.Venue != "Paris Expo Porte de Versailles" || got.Slug != "paris-2027" {
			t.Errorf("after edit: %+v", got)
		}
		_, body = c.get("/admin/fairs")
		if !strings.Contains(pageText(body), "Salon de Paris 2027") || !strings.Contains(body, `href="`+self+`"`) || !strings.Contains(pageText(body), fr("FairStatus_draft")) {
			t.Error("the list does not show the fair with its status")
		}
	})
}

func TestFairAdminStandsExport(t *testing.T) {
	s := newFASetup(t, nil)
	ctx := context.Background()
	st, err := models.AddStand(ctx, s.a.db, s.org, s.fair.ID, models.StandInput{HallID: s.hall.ID, Code: "D1", Zone: "زليج", WidthCm: 300, DepthCm: 300, PriceCents: 45000})
	if err != nil {
		t.Fatal(err)
	}
	name := "تعاونية الزليج الفاسي"
	faAssignStand(t, s.a.db, s.fair, st, name)
	resp, body := s.c.get(s.url("/stands.csv"))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	if !strings.HasPrefix(body, "\ufeffcode,zone,kind,hall,x,y,width,depth,price_cents,status,artisan\n") {
		t.Errorf("export does not start with the BOM and the header: %q", body[:min(len(body), 80)])
	}
	if !strings.Contains(body, "D1,زليج,standard,Hall 5,0,0,3,3,45000,assigned,"+name+"\n") {
		t.Errorf("export line with Arabic intact not found: %q", body)
	}
}

func TestFairAdminOtherRolesRefused(t *testing.T) {
	s := newFASetup(t, nil)
	paths := []string{"/admin/fairs", "/admin/fairs/new", s.url(""), s.url("/stands/grid"), s.url("/stands/import"), s.url("/stands.csv")}
	for _, role := range []models.Role{models.RoleVisitor, models.RoleArtisan, models.RoleChamber} {
		email := "fa-" + string(role) + "@example.be"
		s.a.mkUser(email, role)
		c := s.a.client()
		c.login(email, testPassword)
		for _, p := range paths {
			if resp, _ := c.get(p); resp.StatusCode != http.StatusForbidden {
				t.Errorf("GET %s as %s: %d, want 403", p, role, resp.StatusCode)
			}
		}
		token := c.csrf("/account")
		resp, _ := c.faPostCSV(s.url("/stands/import/confirm"), token, s.hall.ID, strings.Join(faStandsFile(3), "\n"))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("import as %s: %d, want 403", role, resp.StatusCode)
		}
		resp, _ = c.post(s.url("/status"), url.Values{"_csrf": {token}, "to": {"open"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("open the fair as %s: %d, want 403", role, resp.StatusCode)
		}
	}
	if n := len(s.stands(t)); n != 0 {
		t.Errorf("refused roles saved %d stands", n)
	}
	if f, _ := models.GetFair(context.Background(), s.a.db, s.fair.ID); f.Status != models.FairDraft {
		t.Errorf("refused roles moved the fair to %s", f.Status)
	}
	if resp, _ := s.a.client().get("/admin/fairs"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("anonymous: %d, want the login redirect", resp.StatusCode)
	}
}

func TestPublicFairPage(t *testing.T) {
	s := newFASetup(t, dbtest.SQLite(t))
	ctx := context.Background()
	db := s.a.db
	fr := func(id string) string { return s.a.msg("fr", id) }
	// Open the fair with a window that includes now.
	now := time.Now().In(s.fair.Location())
	in := models.FairFormValues(s.fair)
	in.ApplicationsOpenAt = now.Add(-24 * time.Hour).Format(models.FairDateTimeLayout)
	in.ApplicationsCloseAt = now.Add(30 * 24 * time.Hour).Format(models.FairDateTimeLayout)
	if _, err := models.UpdateFair(ctx, db, s.org, s.fair.ID, in); err != nil {
		t.Fatal(err)
	}
	if _, err := models.SetFairStatus(ctx, db, s.org, s.fair.ID, models.FairOpen, time.Now()); err != nil {
		t.Fatal(err)
	}
	b10, _ := models.AddStand(ctx, db, s.org, s.fair.ID, models.StandInput{HallID: s.hall.ID, Code: "B10", WidthCm: 300, DepthCm: 300})
	b2, _ := models.AddStand(ctx, db, s.org, s.fair.ID, models.StandInput{HallID: s.hall.ID, Code: "B2", XCm: 300, WidthCm: 300, DepthCm: 300})
	zellige := faAssignStand(t, db, s.fair, b10, "Zellige Atelier Bennani")
	faAssignStand(t, db, s.fair, b2, "Coopérative Tissage Azrou")

	resp, body := s.a.client().get("/fairs/" + s.fair.Slug)
	text := pageText(body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("fair page: %d", resp.StatusCode)
	}
	for _, want := range []string{
		fr("FairArtisansCall"), `href="/studio/applications/new?fair=` + s.fair.Slug + `"`, `href="/signup?role=artisan"`,
		"Brussels Expo", "Place de Belgique 1", fr("FairExhibitors"), `href="/artisans/` + zellige.Slug + `"`,
		`href="/fairs/` + s.fair.Slug + `/stands/B10"`, `href="/fairs/` + s.fair.Slug + `/plan"`, "Zellige", "Fès-Meknès",
		"(heure locale, Europe/Brussels)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("fair page lacks %q", want)
		}
	}
	if i2, i10 := strings.Index(text, "Coopérative Tissage Azrou"), strings.Index(text, "Zellige Atelier Bennani"); i2 < 0 || i10 < i2 {
		t.Error("exhibitors are not in stand order (B2 before B10)")
	}
	// Once the window is over, no more apply link.
	if err := db.Model(&models.Fair{}).Where("id = ?", s.fair.ID).Update("applications_close_at", time.Now().Add(-time.Hour).UTC()).Error; err != nil {
		t.Fatal(err)
	}
	_, body = s.a.client().get("/fairs/" + s.fair.Slug)
	if strings.Contains(body, "/studio/applications/new") || strings.Contains(pageText(body), fr("FairArtisansCall")) {
		t.Error("the apply link is shown after the window closed")
	}
	// Organizers reach the back office from the public page.
	_, body = s.c.get("/fairs/" + s.fair.Slug)
	if !strings.Contains(body, `href="`+s.url("")+`"`) {
		t.Error("no link to the back office for the organizer")
	}
}
