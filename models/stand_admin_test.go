package models_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// faHall creates a fair (draft) with one hall of w × d centimetres.
func faHall(t *testing.T, db *gorm.DB, org models.User, w, d int) (models.Fair, models.Hall) {
	t.Helper()
	ctx := context.Background()
	f, err := models.CreateFair(ctx, db, org, faInput(dbtest.Name("Salon")))
	if err != nil {
		t.Fatal(err)
	}
	h, err := models.CreateHall(ctx, db, org, f.ID, models.HallInput{Name: "Hall A", WidthCm: w, DepthCm: d})
	if err != nil {
		t.Fatal(err)
	}
	return f, h
}

func faStand(hallID int64, code string, x, y, w, d int) models.StandInput {
	return models.StandInput{HallID: hallID, Code: code, Kind: models.StandStandard, XCm: x, YCm: y, WidthCm: w, DepthCm: d, PriceCents: 45000}
}

func faCount(t *testing.T, db *gorm.DB, fairID int64) int64 {
	t.Helper()
	var n int64
	if err := db.Model(&models.Stand{}).Where("fair_id = ?", fairID).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// faAssign gives a stand to an accepted application of a new artisan named name.
func faAssign(t *testing.T, db *gorm.DB, f models.Fair, s models.Stand, name string, n int) {
	t.Helper()
	ctx := context.Background()
	u, err := models.CreateUser(ctx, db, models.NewUser{Email: fmt.Sprintf("fa-artisan%d@example.ma", n), Name: name,
		Password: "tagine-au-citron-2026", Role: models.RoleArtisan})
	if err != nil {
		t.Fatal(err)
	}
	a, err := models.SaveArtisanProfile(ctx, db, u.ID, models.ArtisanProfileInput{
		BusinessName: name, Kind: "cooperative", RegionCode: "FM", CraftCode: "zellige", City: "Fès", BioFR: "Coopérative de maâlems.",
		RegistryNumber: fmt.Sprintf("FM-2021-%05d", n), CardNumber: fmt.Sprintf("FACARD%04d", n),
	})
	if err != nil {
		t.Fatalf("save profile: %v", err)
	}
	app := models.Application{FairID: f.ID, ArtisanID: a.ID, Status: models.AppAccepted, StandID: &s.ID, FeeState: models.FeeDue, FeeCents: s.PriceCents}
	if err := db.Create(&app).Error; err != nil {
		t.Fatalf("create application: %v", err)
	}
	if err := db.Model(&models.Stand{}).Where("id = ?", s.ID).Update("status", models.StandAssigned).Error; err != nil {
		t.Fatal(err)
	}
}

func TestParseMetres(t *testing.T) {
	tests := []struct {
		in       string
		cm       int
		negative bool
		ok       bool
	}{
		{"3", 300, false, true}, {"2.5", 250, false, true}, {"2,5", 250, false, true}, {" 12.75 ", 1275, false, true},
		{"0", 0, false, true}, {".5", 50, false, true}, {"0,05", 5, false, true},
		{"-2", 0, true, false}, {"-2,5", 0, true, false},
		{"", 0, false, false}, {"abc", 0, false, false}, {"2.555", 0, false, false}, {"1e3", 0, false, false},
		{"2.", 0, false, false}, {"1 000", 0, false, false}, {"2,5,0", 0, false, false}, {"+3", 0, false, false}, {"123456", 0, false, false},
	}
	for _, tt := range tests {
		cm, neg, ok := models.ParseMetres(tt.in)
		if cm != tt.cm || neg != tt.negative || ok != tt.ok {
			t.Errorf("ParseMetres(%q) = %d, %v, %v; want %d, %v, %v", tt.in, cm, neg, ok, tt.cm, tt.negative, tt.ok)
		}
	}
	for cm, want := range map[int]string{300: "3", 250: "2.5", 1275: "12.75", 5: "0.05", 0: "0"} {
		if got := models.FormatMetres(cm); got != want {
			t.Errorf("FormatMetres(%d) = %q, want %q", cm, got, want)
		}
	}
}

func TestCompareStandCodes(t *testing.T) {
	codes := []string{"B10", "A2", "B2", "A10", "A1", "B1", "C", "A01-2", "10", "9"}
	slices.SortFunc(codes, models.CompareStandCodes)
	want := []string{"9", "10", "A1", "A01-2", "A2", "A10", "B1", "B2", "B10", "C"}
	if !slices.Equal(codes, want) {
		t.Errorf("sorted codes %v, want %v", codes, want)
	}
	if got := []string{models.RowLetters(0), models.RowLetters(25), models.RowLetters(26), models.RowLetters(27)}; !slices.Equal(got, []string{"A", "Z", "AA", "AB"}) {
		t.Errorf("row letters %v", got)
	}
}

func TestHalls(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		org := faOrganizer(t, db)
		f, h := faHall(t, db, org, 2000, 1000)
		if _, err := models.CreateHall(ctx, db, org, f.ID, models.HallInput{Name: "Hall A", WidthCm: 1000, DepthCm: 1000}); faFields(t, err)["hall_name"] != "HallNameTaken" {
			t.Errorf("same hall name twice: %v", err)
		}
		if _, err := models.CreateHall(ctx, db, org, f.ID, models.HallInput{Name: "Mini", WidthCm: 50, DepthCm: 1000}); faFields(t, err)["hall_width"] != "HallSizeRange" {
			t.Errorf("a hall of half a metre: %v", err)
		}
		h2, err := models.CreateHall(ctx, db, org, f.ID, models.HallInput{Name: "Hall B", WidthCm: 1000, DepthCm: 1000})
		if err != nil || h2.Position != h.Position+1 {
			t.Fatalf("second hall: position %d, err %v", h2.Position, err)
		}
		if _, err := models.AddStand(ctx, db, org, f.ID, faStand(h.ID, "A1", 1500, 600, 300, 300)); err != nil {
			t.Fatal(err)
		}
		// The stand reaches 18 m × 9 m: the hall cannot shrink below that.
		for _, tt := range []struct {
			w, d  int
			field string
		}{{1700, 1000, "hall_width"}, {2000, 850, "hall_depth"}} {
			_, err := models.UpdateHall(ctx, db, org, f.ID, h.ID, models.HallInput{Name: "Hall A", WidthCm: tt.w, DepthCm: tt.d})
			if faFields(t, err)[tt.field] != "HallTooSmallForStands" {
				t.Errorf("shrink to %d × %d: %v", tt.w, tt.d, err)
			}
		}
		got, err := models.UpdateHall(ctx, db, org, f.ID, h.ID, models.HallInput{Name: "Hall Atlas", WidthCm: 1800, DepthCm: 900})
		if err != nil || got.Name != "Hall Atlas" || got.WidthCm != 1800 {
			t.Errorf("shrink to exactly the stands: %+v %v", got, err)
		}
		if _, err := models.UpdateHall(ctx, db, org, f.ID, h.ID, models.HallInput{Name: "Hall B", WidthCm: 1800, DepthCm: 900}); faFields(t, err)["hall_name"] != "HallNameTaken" {
			t.Errorf("rename to another hall's name: %v", err)
		}
		other, _ := faHall(t, db, org, 1000, 1000)
		if _, err := models.UpdateHall(ctx, db, org, other.ID, h.ID, models.HallInput{Name: "X", WidthCm: 1000, DepthCm: 1000}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a hall through another fair: %v, want ErrNotFound", err)
		}
		if n := len(faAudit(t, db, "hall.update")); n != 1 {
			t.Errorf("%d hall updates audited, want 1", n)
		}
	})
}

func TestAddAndUpdateStand(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		org := faOrganizer(t, db)
		f, h := faHall(t, db, org, 1000, 600)
		b1, err := models.AddStand(ctx, db, org, f.ID, faStand(h.ID, " b1 ", 0, 0, 300, 300))
		if err != nil || b1.Code != "B1" || b1.Status != models.StandAvailable {
			t.Fatalf("add B1: %+v %v", b1, err)
		}
		tests := []struct {
			name  string
			in    models.StandInput
			field string
			msg   string
		}{
			{"same code, other case", faStand(h.ID, "b1", 600, 0, 300, 300), "stand_code", "StandCodeTaken"},
			{"code with a space", faStand(h.ID, "B 2", 600, 0, 300, 300), "stand_code", "StandCodeInvalid"},
			{"code required", faStand(h.ID, "", 600, 0, 300, 300), "stand_code", "FieldRequired"},
			{"overlaps B1", faStand(h.ID, "B2", 250, 100, 300, 300), "stand_x", "StandOverlaps"},
			{"covers B1 entirely", faStand(h.ID, "B2", 0, 0, 1000, 600), "stand_x", "StandOverlaps"},
			{"leaves the hall sideways", faStand(h.ID, "B2", 800, 0, 300, 300), "stand_x", "StandOutsideHall"},
			{"leaves the hall at the back", faStand(h.ID, "B2", 600, 400, 300, 300), "stand_y", "StandOutsideHall"},
			{"negative position", faStand(h.ID, "B2", -10, 0, 300, 300), "stand_x", "StandNegative"},
			{"too narrow", faStand(h.ID, "B2", 600, 0, 20, 300), "stand_width", "StandSizeTooSmall"},
			{"unknown kind", models.StandInput{HallID: h.ID, Code: "B2", Kind: "yurt", XCm: 600, WidthCm: 300, DepthCm: 300}, "stand_kind", "FieldInvalidChoice"},
			{"negative price", models.StandInput{HallID: h.ID, Code: "B2", XCm: 600, WidthCm: 300, DepthCm: 300, PriceCents: -1}, "stand_price", "StandPriceInvalid"},
			{"hall of another fair", faStand(h.ID+999, "B2", 600, 0, 300, 300), "stand_hall", "FieldInvalidChoice"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := models.AddStand(ctx, db, org, f.ID, tt.in)
				if got := faFields(t, err)[tt.field]; got != tt.msg {
					t.Errorf("%s: %q, want %q (%v)", tt.field, got, tt.msg, err)
				}
			})
		}
		if n := faCount(t, db, f.ID); n != 1 {
			t.Fatalf("refused stands were saved: %d stands", n)
		}
		// Touching edges is fine: B2 starts where B1 ends.
		b2, err := models.AddStand(ctx, db, org, f.ID, faStand(h.ID, "B2", 300, 0, 300, 300))
		if err != nil {
			t.Fatalf("stand touching B1: %v", err)
		}
		// Moving B2 onto itself is no overlap; onto B1 is.
		if _, err := models.UpdateStand(ctx, db, org, f.ID, b2.ID, faStand(h.ID, "B2", 350, 0, 250, 300)); err != nil {
			t.Errorf("shrink B2 in place: %v", err)
		}
		if _, err := models.UpdateStand(ctx, db, org, f.ID, b2.ID, faStand(h.ID, "B2", 200, 0, 300, 300)); faFields(t, err)["stand_x"] != "StandOverlaps" {
			t.Errorf("move B2 onto B1: %v", err)
		}
		if _, err := models.UpdateStand(ctx, db, org, f.ID, b2.ID, faStand(h.ID, "B1", 350, 0, 250, 300)); faFields(t, err)["stand_code"] != "StandCodeTaken" {
			t.Errorf("rename B2 to B1: %v", err)
		}
		// An assigned stand keeps its status through an edit.
		faAssign(t, db, f, b2, "Coopérative Zellige Fès", 1)
		up, err := models.UpdateStand(ctx, db, org, f.ID, b2.ID, models.StandInput{HallID: h.ID, Code: "B2", Zone: "Zellige", Kind: models.StandCorner,
			XCm: 350, WidthCm: 250, DepthCm: 300, PriceCents: 60000})
		if err != nil || up.Status != models.StandAssigned || up.Kind != models.StandCorner {
			t.Errorf("edit an assigned stand: %+v %v", up, err)
		}
		if s, _ := models.GetStand(ctx, db, f.ID, b2.ID); s.Status != models.StandAssigned || s.Zone != "Zellige" || s.PriceCents != 60000 {
			t.Errorf("stored after edit: %+v", s)
		}
		// Archived fairs are read-only.
		if err := db.Model(&models.Fair{}).Where("id = ?", f.ID).Update("status", models.FairArchived).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := models.AddStand(ctx, db, org, f.ID, faStand(h.ID, "B9", 700, 0, 300, 300)); !errors.Is(err, models.ErrInvalidState) {
			t.Errorf("add to an archived fair: %v", err)
		}
	})
}

func TestSetStandStatusAndDelete(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		org := faOrganizer(t, db)
		f, h := faHall(t, db, org, 1000, 600)
		free, err := models.AddStand(ctx, db, org, f.ID, faStand(h.ID, "C1", 0, 0, 300, 300))
		if err != nil {
			t.Fatal(err)
		}
		taken, err := models.AddStand(ctx, db, org, f.ID, faStand(h.ID, "C2", 300, 0, 300, 300))
		if err != nil {
			t.Fatal(err)
		}
		faAssign(t, db, f, taken, "Atelier Cuir Marrakech", 2)
		for _, to := range []models.StandStatus{models.StandHeld, models.StandBlocked, models.StandAvailable} {
			s, err := models.SetStandStatus(ctx, db, org, f.ID, free.ID, to)
			if err != nil || s.Status != to {
				t.Errorf("free stand to %s: %v", to, err)
			}
		}
		if _, err := models.SetStandStatus(ctx, db, org, f.ID, free.ID, models.StandAssigned); !errors.Is(err, models.ErrInvalidState) {
			t.Errorf("assign by hand: %v, want ErrInvalidState", err)
		}
		for _, to := range models.OrganizerStandStatuses {
			if _, err := models.SetStandStatus(ctx, db, org, f.ID, taken.ID, to); !errors.Is(err, models.ErrInvalidState) {
				t.Errorf("assigned stand to %s: %v, want ErrInvalidState", to, err)
			}
		}
		if s, _ := models.GetStand(ctx, db, f.ID, taken.ID); s.Status != models.StandAssigned {
			t.Errorf("assigned stand became %s", s.Status)
		}
		if err := models.DeleteStand(ctx, db, org, f.ID, taken.ID); !errors.Is(err, models.ErrInvalidState) {
			t.Errorf("delete an assigned stand: %v, want ErrInvalidState", err)
		}
		if err := models.DeleteStand(ctx, db, org, f.ID, free.ID); err != nil {
			t.Errorf("delete a free stand: %v", err)
		}
		if err := models.DeleteStand(ctx, db, org, f.ID, free.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("delete twice: %v, want ErrNotFound", err)
		}
		if n := faCount(t, db, f.ID); n != 1 {
			t.Errorf("%d stands left, want the assigned one", n)
		}
		if n := len(faAudit(t, db, "stand.status")); n != 3 {
			t.Errorf("%d status changes audited, want 3", n)
		}
		if n := len(faAudit(t, db, "stand.delete")); n != 1 {
			t.Errorf("%d deletions audited, want 1", n)
		}
	})
}

func TestGenerateStandGrid(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		org := faOrganizer(t, db)
		f, h := faHall(t, db, org, 4000, 2000)
		spec := models.GridSpec{HallID: h.ID, Rows: 4, Cols: 10, WidthCm: 300, DepthCm: 300, AisleCm: 200, OriginXCm: 500, OriginYCm: 100,
			CodePattern: "b{n}", Zone: "Tapis", Kind: models.StandStandard, PriceCents: 45000}
		stands, err := models.GenerateStandGrid(ctx, db, org, f.ID, spec)
		if err != nil {
			t.Fatalf("grid: %v", err)
		}
		if len(stands) != 40 || faCount(t, db, f.ID) != 40 {
			t.Fatalf("grid made %d stands, want 4 × 10", len(stands))
		}
		last, err := models.GetStandByCode(ctx, db, f.ID, "B40")
		if err != nil {
			t.Fatal(err)
		}
		// Row 4, column 10: x = 5 + 9 × 3 m, y = 1 + 3 × (3 + 2) m.
		if last.XCm != 3200 || last.YCm != 1600 || last.Zone != "Tapis" || last.PriceCents != 45000 {
			t.Errorf("B40 at (%d, %d) zone %q price %d", last.XCm, last.YCm, last.Zone, last.PriceCents)
		}
		refused := []struct {
			name  string
			edit  func(*models.GridSpec)
			field string
			msg   string
		}{
			{"codes already used", func(g *models.GridSpec) { g.OriginYCm = 1900; g.Rows, g.Cols = 1, 2; g.DepthCm = 100 }, "grid_pattern", "GridCodeTaken"},
			{"overlaps the first grid", func(g *models.GridSpec) { g.CodePattern = "C{n}"; g.OriginXCm = 0 }, "grid", "GridOverlaps"},
			{"leaves the hall", func(g *models.GridSpec) { g.CodePattern = "D{n}"; g.OriginXCm = 1000; g.Cols = 11 }, "grid", "GridOutsideHall"},
			{"pattern without a number", func(g *models.GridSpec) { g.CodePattern = "E" }, "grid_pattern", "GridPatternInvalid"},
			{"pattern with a space", func(g *models.GridSpec) { g.CodePattern = "E {n}" }, "grid_pattern", "GridPatternInvalid"},
			{"too many", func(g *models.GridSpec) { g.Rows, g.Cols = 50, 50 }, "grid_cols", "GridTooMany"},
			{"no rows", func(g *models.GridSpec) { g.Rows = 0 }, "grid_rows", "GridCountRange"},
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				g := spec
				tt.edit(&g)
				_, err := models.GenerateStandGrid(ctx, db, org, f.ID, g)
				if got := faFields(t, err)[tt.field]; got != tt.msg {
					t.Errorf("%s: %q, want %q (%v)", tt.field, got, tt.msg, err)
				}
				if n := faCount(t, db, f.ID); n != 40 {
					t.Errorf("a refused grid saved stands: %d", n)
				}
			})
		}
		rc := models.GridSpec{HallID: h.ID, Rows: 2, Cols: 3, WidthCm: 150, DepthCm: 200, CodePattern: "K{row}{col}"}
		got, err := models.GenerateStandGrid(ctx, db, org, f.ID, rc)
		if err != nil {
			t.Fatalf("row/col grid: %v", err)
		}
		var codes []string
		for _, s := range got {
			codes = append(codes, s.Code)
		}
		if !slices.Equal(codes, []string{"KA1", "KA2", "KA3", "KB1", "KB2", "KB3"}) || got[3].YCm != 200 || got[2].XCm != 300 {
			t.Errorf("row/col codes %v, B1 at y %d", codes, got[3].YCm)
		}
	})
}

// csvOf builds an import file: the header then one line per stand.
func csvOf(lines ...string) string {
	return "code,zone,kind,x,y,width,depth,price_cents\n" + strings.Join(lines, "\n") + "\n"
}

// fortyStands is a valid file of 40 stands (4 rows of 10, 3 × 3 m, 2 m aisles).
func fortyStands() []string {
	var lines []string
	for i := range 40 {
		r, c := i/10, i%10
		lines = append(lines, fmt.Sprintf("A%d,Zellige,standard,%d,%d,3,3,45000", i+1, c*3, r*5))
	}
	return lines
}

func importErrorsOf(p models.StandsPreview) []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, fmt.Sprintf("%d:%s:%s", e.Line, e.Field, e.Message))
	}
	return out
}

func TestParseStandsCSV(t *testing.T) {
	t.Run("Excel in French: BOM, semicolons, decimal commas, CRLF", func(t *testing.T) {
		data := "\ufeffCode;Zone;Kind;X;Y;Width;Depth;Price_cents\r\nb1;Céramique;corner;0;0;2,5;3;45000\r\nB2;زليج;;2,5;0;2.5;3;0\r\n;;;;;;;\r\n"
		p, err := models.ParseStandsCSV(strings.NewReader(data))
		if err != nil || len(p.Errors) != 0 {
			t.Fatalf("errors %v %v", err, importErrorsOf(p))
		}
		if len(p.Rows) != 2 || p.Rows[0].Code != "B1" || p.Rows[0].WidthCm != 250 || p.Rows[0].Kind != models.StandCorner || p.Rows[0].Line != 2 {
			t.Errorf("row 1: %+v", p.Rows[0])
		}
		if r := p.Rows[1]; r.Zone != "زليج" || r.Kind != models.StandStandard || r.XCm != 250 || r.Line != 3 {
			t.Errorf("row 2 (Arabic zone, empty kind = standard): %+v", r)
		}
	})
	t.Run("columns in another order, extra columns of an export ignored", func(t *testing.T) {
		data := "hall,code,x,y,width,depth,price_cents,kind,zone,status\nHall A,B1,0,0,3,3,100,island,,available\n"
		p, _ := models.ParseStandsCSV(strings.NewReader(data))
		if len(p.Errors) != 0 || len(p.Rows) != 1 || p.Rows[0].Kind != models.StandIsland || !slices.Equal(p.Ignored, []string{"hall", "status"}) {
			t.Errorf("errors %v rows %+v ignored %v", importErrorsOf(p), p.Rows, p.Ignored)
		}
	})
	t.Run("every wrong line is reported with its line number and column", func(t *testing.T) {
		data := csvOf(
			"A1,,standard,0,0,3,3,100",  // line 2: fine
			"A2,,standard,3,0,3,3,100",  // line 3: fine (touches A1)
			"a1,,standard,20,0,3,3,100", // line 4: duplicate code of line 2
			"A4,,yurt,30,0,3,3,100",     // line 5: unknown kind
			"A5,,standard,-1,0,3,3,100", // line 6: negative x
			"A6,,standard,4,1,3,3,100",  // line 7: overlaps A2 (line 3)
			"A7,,standard,abc,0,3,3,100",
			"A8,,standard,40,0,3,3,-5",
			"A9,,standard,50,0,3,3,12.5",
			"A 10,,standard,60,0,3,3,100",
			"A11,,standard,70,0,,3,100",
		)
		p, err := models.ParseStandsCSV(strings.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"4:code:ImportDuplicateCode", "5:kind:ImportUnknownKind", "6:x:ImportNegative", "7:x:ImportOverlapLine",
			"8:x:ImportNotMetres", "9:price_cents:ImportNegative", "10:price_cents:ImportNotCents", "11:code:StandCodeInvalid",
			"12:width:ImportMissingValue",
		}
		if got := importErrorsOf(p); !slices.Equal(got, want) {
			t.Errorf("errors\n got %v\nwant %v", got, want)
		}
		if e := p.ErrorsAt(7); len(e) != 1 || e[0].Other != "A2" || e[0].OtherLine != 3 {
			t.Errorf("overlap names the other line: %+v", e)
		}
		if e := p.ErrorsAt(4); e[0].OtherLine != 2 {
			t.Errorf("duplicate names the first line: %+v", e)
		}
		if p.OK() {
			t.Error("a file with errors is OK")
		}
	})
	t.Run("file problems", func(t *testing.T) {
		tooMany := make([]string, models.MaxImportRows+1)
		for i := range tooMany {
			tooMany[i] = fmt.Sprintf("S%d,,standard,%d,0,1,1,0", i, i)
		}
		for _, tt := range []struct {
			name, data, want string
		}{
			{"empty", "", "0::ImportEmpty"},
			{"header only", "code,zone,kind,x,y,width,depth,price_cents\n", "0::ImportEmpty"},
			{"missing column", "code,zone,x,y,width,depth,price_cents\nA1,,0,0,3,3,0\n", "1:kind:ImportMissingColumn"},
			{"not UTF-8 (Windows-1252)", "code,zone,kind,x,y,width,depth,price_cents\nA1,C\xe9ramique,standard,0,0,3,3,0\n", "0::ImportNotUTF8"},
			{"broken quotes", "code,zone,kind,x,y,width,depth,price_cents\nA1,\"Zone,standard,0,0,3,3,0\n", "2::ImportBadQuotes"},
			{"more than the maximum of lines", csvOf(tooMany...), fmt.Sprintf("%d::ImportTooManyLines", models.MaxImportRows+2)},
			{"larger than 1 MB", csvOf("A1," + strings.Repeat("z", models.MaxImportBytes) + ",standard,0,0,3,3,0"), "0::ImportTooLarge"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				p, err := models.ParseStandsCSV(strings.NewReader(tt.data))
				if err != nil {
					t.Fatal(err)
				}
				if got := importErrorsOf(p); len(got) == 0 || got[0] != tt.want {
					t.Errorf("errors %v, want first %s", got, tt.want)
				}
			})
		}
	})
}

func TestImportStands(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		org := faOrganizer(t, db)
		f, h := faHall(t, db, org, 3000, 2000)

		bad := fortyStands()
		bad[5] = "A6,Zellige,premium,0,0,3,3,45000" // line 7: on top of A1
		p, _ := models.ParseStandsCSV(strings.NewReader(csvOf(bad...)))
		if got := importErrorsOf(p); !slices.Equal(got, []string{"7:x:ImportOverlapLine"}) {
			t.Fatalf("preview errors %v", got)
		}
		_, err := models.ImportStands(ctx, db, org, f.ID, h.ID, p.Rows)
		var ie *models.ImportErrors
		if !errors.As(err, &ie) || ie.Errors[0].Line != 7 {
			t.Fatalf("import of a wrong file: %v", err)
		}
		if n := faCount(t, db, f.ID); n != 0 {
			t.Fatalf("a refused import saved %d stands", n)
		}

		p, _ = models.ParseStandsCSV(strings.NewReader(csvOf(fortyStands()...)))
		if err := models.CheckStandRows(ctx, db, f.ID, h.ID, &p); err != nil || !p.OK() {
			t.Fatalf("check 40 stands: %v %v", err, importErrorsOf(p))
		}
		n, err := models.ImportStands(ctx, db, org, f.ID, h.ID, p.Rows)
		if err != nil || n != 40 || faCount(t, db, f.ID) != 40 {
			t.Fatalf("import 40 stands: %d %v", n, err)
		}
		if a := faAudit(t, db, "stands.import"); len(a) != 1 || !strings.Contains(a[0].After, `"count":40`) {
			t.Errorf("import audit: %+v", a)
		}

		// The same file again: every code is taken and every stand overlaps one already there.
		again, _ := models.ParseStandsCSV(strings.NewReader(csvOf(fortyStands()[:2]...)))
		if err := models.CheckStandRows(ctx, db, f.ID, h.ID, &again); err != nil {
			t.Fatal(err)
		}
		if got := importErrorsOf(again); !slices.Equal(got, []string{"2:code:StandCodeTaken", "2:x:ImportOverlapExisting", "3:code:StandCodeTaken", "3:x:ImportOverlapExisting"}) {
			t.Errorf("second import errors %v", got)
		}
		out, _ := models.ParseStandsCSV(strings.NewReader(csvOf("Z1,,standard,29,3,3,2,0", "Z2,,standard,0,19,3,3,0")))
		if err := models.CheckStandRows(ctx, db, f.ID, h.ID, &out); err != nil {
			t.Fatal(err)
		}
		if got := importErrorsOf(out); !slices.Equal(got, []string{"2:x:ImportOutsideHall", "3:y:ImportOutsideHall"}) {
			t.Errorf("outside the hall: %v", got)
		}
		if _, err := models.ImportStands(ctx, db, org, f.ID, h.ID, out.Rows); !errors.As(err, &ie) {
			t.Errorf("import outside the hall: %v", err)
		}
		if n := faCount(t, db, f.ID); n != 40 {
			t.Errorf("refused imports changed the stands: %d", n)
		}
	})
}

// TestConcurrentStandsNeverOverlap: organizers placing stands on the same spot at once (each
// with its own code) end with exactly one stand there.
func TestConcurrentStandsNeverOverlap(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		org := faOrganizer(t, db)
		f, h := faHall(t, db, org, 2000, 2000)
		const n = 16
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range n {
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, err := models.AddStand(ctx, db, org, f.ID, faStand(h.ID, fmt.Sprintf("P%d", i), 100+i*10, 100, 300, 300))
				errs <- err
			}()
			go func() {
				defer wg.Done()
				rows := []models.StandRow{{Line: 2, Code: fmt.Sprintf("Q%d", i), Kind: models.StandStandard, XCm: 150, YCm: 150, WidthCm: 300, DepthCm: 300}}
				_, err := models.ImportStands(ctx, db, org, f.ID, h.ID, rows)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			var ve *models.ValidationError
			var ie *models.ImportErrors
			if err != nil && !errors.As(err, &ve) && !errors.As(err, &ie) {
				t.Errorf("unexpected error: %v", err)
			}
		}
		stands, err := models.ListStands(ctx, db, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(stands) != 1 {
			t.Errorf("%d overlapping stands were saved, want exactly 1", len(stands))
		}
	})
}

func TestWriteStandsCSV(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		org := faOrganizer(t, db)
		f, h := faHall(t, db, org, 2000, 1000)
		for _, in := range []models.StandInput{
			faStand(h.ID, "B10", 600, 0, 250, 300),
			faStand(h.ID, "B2", 300, 0, 300, 300),
			{HallID: h.ID, Code: "B1", Zone: "=HYPERLINK(\"x\")", Kind: models.StandCorner, WidthCm: 300, DepthCm: 300, PriceCents: 45000},
		} {
			if _, err := models.AddStand(ctx, db, org, f.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		b2, _ := models.GetStandByCode(ctx, db, f.ID, "B2")
		faAssign(t, db, f, b2, "تعاونية الزليج الفاسي", 3)

		var buf bytes.Buffer
		if err := models.WriteStandsCSV(ctx, db, f.ID, &buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte("\xef\xbb\xbf")) {
			t.Fatal("the export does not start with the UTF-8 byte-order mark")
		}
		recs, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			models.StandsExportColumns,
			{"B1", "'=HYPERLINK(\"x\")", "corner", "Hall A", "0", "0", "3", "3", "45000", "available", ""},
			{"B2", "", "standard", "Hall A", "3", "0", "3", "3", "45000", "assigned", "تعاونية الزليج الفاسي"},
			{"B10", "", "standard", "Hall A", "6", "0", "2.5", "3", "45000", "available", ""},
		}
		if fmt.Sprint(recs) != fmt.Sprint(want) {
			t.Errorf("export\n got %q\nwant %q", recs, want)
		}
	})
}
