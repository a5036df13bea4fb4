package models

// Halls and stands as organizers draw them: by form, by a generated grid, by CSV import (with a
// preview and line-numbered errors, all or nothing), and the stands CSV export. Stands never
// overlap and never leave their hall: every write locks the hall row (PostgreSQL) — SQLite
// serialises writers already — then checks against the stands of the hall before saving.

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Bounds of what organizers may draw.
const (
	// MinStandSideCm is the smallest stand side (half a metre: a pillar or a kiosk).
	MinStandSideCm = 50
	// MaxStandPriceCents caps a stand's price (100 000 €), a guard against typos.
	MaxStandPriceCents = 100_000_00
	// MaxGridStands caps one generated grid.
	MaxGridStands = 2000
	// MaxImportRows and MaxImportBytes bound a stands CSV file.
	MaxImportRows  = 2000
	MaxImportBytes = 1 << 20
)

// standCodeRe: upper-case letters, digits and dashes, up to 16 characters — codes are part of
// URLs (/fairs/{slug}/stands/{code}) and printed on signs.
var standCodeRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{0,15}$`)

// ValidStandCode tells whether a normalised code is acceptable.
func ValidStandCode(code string) bool { return standCodeRe.MatchString(code) }

// ParseMetres reads a length typed in metres — "3", "2.5", "2,5", "12.75" — into whole
// centimetres. More than two decimals, signs, exponents or other text are refused; a
// negative value is reported by negative=true (ok=false) so callers can say so.
func ParseMetres(s string) (cm int, negative, ok bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") {
		if _, _, ok := ParseMetres(s[1:]); ok {
			return 0, true, false
		}
		return 0, false, false
	}
	s = strings.Replace(s, ",", ".", 1)
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && hasDot {
		intPart = "0"
	}
	if intPart == "" || len(intPart) > 5 || len(frac) > 2 || (hasDot && frac == "") {
		return 0, false, false
	}
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return 0, false, false
		}
	}
	m, _ := strconv.Atoi(intPart)
	c := 0
	if frac != "" {
		c, _ = strconv.Atoi(frac)
		if len(frac) == 1 {
			c *= 10
		}
	}
	return m*100 + c, false, true
}

// FormatMetres writes centimetres as metres with a dot and no useless zeros: 250 → "2.5".
func FormatMetres(cm int) string {
	s := strconv.Itoa(cm / 100)
	if r := cm % 100; r != 0 {
		frac := fmt.Sprintf("%02d", r)
		s += "." + strings.TrimRight(frac, "0")
	}
	return s
}

// CompareStandCodes orders codes as people read them: "B2" before "B10", letters first.
func CompareStandCodes(a, b string) int {
	for a != "" && b != "" {
		da, db := digitPrefixLen(a), digitPrefixLen(b)
		switch {
		case da > 0 && db > 0:
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := len(na) - len(nb); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
		default:
			if a[0] != b[0] {
				return int(a[0]) - int(b[0])
			}
			a, b = a[1:], b[1:]
		}
	}
	return len(a) - len(b)
}

func digitPrefixLen(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// ---- Halls ----

// HallInput is a hall as the organizer defines it (sizes already converted to centimetres).
type HallInput struct {
	Name             string
	WidthCm, DepthCm int
}

func (in HallInput) validate() map[string]string {
	f := map[string]string{}
	textField(f, "hall_name", in.Name, 60)
	if in.WidthCm < 100 || in.WidthCm > 100000 {
		f["hall_width"] = "HallSizeRange"
	}
	if in.DepthCm < 100 || in.DepthCm > 100000 {
		f["hall_depth"] = "HallSizeRange"
	}
	return f
}

// editableFair loads a fair whose halls and stands may change: not archived.
func editableFair(ctx context.Context, db *gorm.DB, fairID int64) (Fair, error) {
	f, err := GetFair(ctx, db, fairID)
	if err != nil {
		return Fair{}, err
	}
	if f.Status == FairArchived {
		return Fair{}, fmt.Errorf("change archived fair %d: %w", fairID, ErrInvalidState)
	}
	return f, nil
}

// lockHall loads a hall of the fair inside tx and, on PostgreSQL, locks its row until the
// transaction ends, so two organizers placing stands in the same hall check overlaps one after
// the other. SQLite transactions begin IMMEDIATE (one writer at a time) and need no lock.
func lockHall(ctx context.Context, tx *gorm.DB, fairID, hallID int64) (Hall, error) {
	q := tx.WithContext(ctx)
	if Dialect(tx) == DialectPostgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var h Hall
	if err := q.Where("id = ? AND fair_id = ?", hallID, fairID).Take(&h).Error; err != nil {
		return Hall{}, fmt.Errorf("lock hall %d of fair %d: %w", hallID, fairID, translateError(err))
	}
	return h, nil
}

func hallConflict(err error) error {
	if errors.Is(err, ErrConflict) {
		return fieldError("hall_name", "HallNameTaken")
	}
	return err
}

// check lets only organizers through and validates the (trimmed) input.
func (in *HallInput) check(organizer User) error {
	if err := requireOrganizer(organizer); err != nil {
		return err
	}
	in.Name = strings.TrimSpace(in.Name)
	if f := in.validate(); len(f) > 0 {
		return &ValidationError{Fields: f}
	}
	return nil
}

// hallNameFree refuses a name another hall of the fair (not exceptID) already has: a clear
// message next to the field rather than the unique index's conflict.
func hallNameFree(ctx context.Context, tx *gorm.DB, fairID int64, name string, exceptID int64) error {
	var n int64
	if err := tx.WithContext(ctx).Model(&Hall{}).Where("fair_id = ? AND name = ? AND id <> ?", fairID, name, exceptID).Count(&n).Error; err != nil {
		return fmt.Errorf("check hall name: %w", translateError(err))
	}
	if n > 0 {
		return fieldError("hall_name", "HallNameTaken")
	}
	return nil
}

// CreateHall adds a hall at the end of the fair's plan.
func CreateHall(ctx context.Context, db *gorm.DB, organizer User, fairID int64, in HallInput) (Hall, error) {
	if err := in.check(organizer); err != nil {
		return Hall{}, err
	}
	var h Hall
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := editableFair(ctx, tx, fairID); err != nil {
			return err
		}
		if err := hallNameFree(ctx, tx, fairID, in.Name, 0); err != nil {
			return err
		}
		var last struct{ P *int }
		if err := tx.WithContext(ctx).Model(&Hall{}).Select("max(position) AS p").Where("fair_id = ?", fairID).Scan(&last).Error; err != nil {
			return fmt.Errorf("last hall position: %w", translateError(err))
		}
		h = Hall{FairID: fairID, Name: in.Name, WidthCm: in.WidthCm, DepthCm: in.DepthCm}
		if last.P != nil {
			h.Position = *last.P + 1
		}
		if err := tx.WithContext(ctx).Create(&h).Error; err != nil {
			return hallConflict(fmt.Errorf("create hall: %w", translateError(err)))
		}
		return RecordAudit(ctx, tx, organizer.ID, "hall.create", "hall", h.ID, nil, h)
	})
	if err != nil {
		return Hall{}, err
	}
	return h, nil
}

// UpdateHall renames or resizes a hall. A hall may shrink only while every stand still fits.
func UpdateHall(ctx context.Context, db *gorm.DB, organizer User, fairID, hallID int64, in HallInput) (Hall, error) {
	if err := in.check(organizer); err != nil {
		return Hall{}, err
	}
	var saved Hall
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := editableFair(ctx, tx, fairID); err != nil {
			return err
		}
		before, err := lockHall(ctx, tx, fairID, hallID)
		if err != nil {
			return err
		}
		if err := hallNameFree(ctx, tx, fairID, in.Name, hallID); err != nil {
			return err
		}
		var need struct{ W, D *int }
		if err := tx.WithContext(ctx).Model(&Stand{}).Select("max(x_cm + width_cm) AS w, max(y_cm + depth_cm) AS d").
			Where("hall_id = ?", hallID).Scan(&need).Error; err != nil {
			return fmt.Errorf("measure stands of hall %d: %w", hallID, translateError(err))
		}
		fields := map[string]string{}
		if need.W != nil && *need.W > in.WidthCm {
			fields["hall_width"] = "HallTooSmallForStands"
		}
		if need.D != nil && *need.D > in.DepthCm {
			fields["hall_depth"] = "HallTooSmallForStands"
		}
		if len(fields) > 0 {
			return &ValidationError{Fields: fields}
		}
		res := tx.WithContext(ctx).Model(&Hall{}).Where("id = ? AND fair_id = ?", hallID, fairID).
			Updates(map[string]any{"name": in.Name, "width_cm": in.WidthCm, "depth_cm": in.DepthCm})
		if res.Error != nil {
			return hallConflict(fmt.Errorf("update hall %d: %w", hallID, translateError(res.Error)))
		}
		saved = before
		saved.Name, saved.WidthCm, saved.DepthCm = in.Name, in.WidthCm, in.DepthCm
		return RecordAudit(ctx, tx, organizer.ID, "hall.update", "hall", hallID, before, saved)
	})
	if err != nil {
		return Hall{}, err
	}
	return saved, nil
}

// ---- Stands ----

// StandInput is a stand as the organizer defines it (metres and euros already converted).
type StandInput struct {
	HallID                     int64
	Code, Zone                 string
	Kind                       StandKind
	XCm, YCm, WidthCm, DepthCm int
	PriceCents                 int64
}

func (in *StandInput) normalize() {
	in.Code = NormalizeStandCode(in.Code)
	in.Zone = strings.TrimSpace(in.Zone)
	if in.Kind == "" {
		in.Kind = StandStandard
	}
}

// standFields checks one stand against the rules and its hall; keys are the form's fields.
func standFields(in StandInput, hall Hall) map[string]string {
	f := map[string]string{}
	switch {
	case in.Code == "":
		f["stand_code"] = "FieldRequired"
	case !ValidStandCode(in.Code):
		f["stand_code"] = "StandCodeInvalid"
	}
	if utf8.RuneCountInString(in.Zone) > 40 {
		f["stand_zone"] = "FieldTooLong"
	}
	if !ValidStandKind(string(in.Kind)) {
		f["stand_kind"] = "FieldInvalidChoice"
	}
	if in.XCm < 0 {
		f["stand_x"] = "StandNegative"
	}
	if in.YCm < 0 {
		f["stand_y"] = "StandNegative"
	}
	if in.WidthCm < MinStandSideCm {
		f["stand_width"] = "StandSizeTooSmall"
	}
	if in.DepthCm < MinStandSideCm {
		f["stand_depth"] = "StandSizeTooSmall"
	}
	if in.PriceCents < 0 || in.PriceCents > MaxStandPriceCents {
		f["stand_price"] = "StandPriceInvalid"
	}
	if len(f) == 0 {
		if in.XCm+in.WidthCm > hall.WidthCm {
			f["stand_x"] = "StandOutsideHall"
		}
		if in.YCm+in.DepthCm > hall.DepthCm {
			f["stand_y"] = "StandOutsideHall"
		}
	}
	return f
}

// hallStands loads the stands of a hall (for overlap checks), without exceptID.
func hallStands(ctx context.Context, db *gorm.DB, hallID, exceptID int64) ([]Stand, error) {
	var out []Stand
	if err := db.WithContext(ctx).Where("hall_id = ? AND id <> ?", hallID, exceptID).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list stands of hall %d: %w", hallID, translateError(err))
	}
	return out, nil
}

// firstOverlap returns the first stand of others that s overlaps.
func firstOverlap(s Stand, others []Stand) (Stand, bool) {
	for _, o := range others {
		if s.Overlaps(o) {
			return o, true
		}
	}
	return Stand{}, false
}

// codeTaken tells whether another stand of the fair (not exceptID) has code.
func codeTaken(ctx context.Context, db *gorm.DB, fairID int64, code string, exceptID int64) (bool, error) {
	var n int64
	if err := db.WithContext(ctx).Model(&Stand{}).Where("fair_id = ? AND code = ? AND id <> ?", fairID, code, exceptID).Count(&n).Error; err != nil {
		return false, fmt.Errorf("check stand code: %w", translateError(err))
	}
	return n > 0, nil
}

func standCodeConflict(err error) error {
	if errors.Is(err, ErrConflict) {
		return fieldError("stand_code", "StandCodeTaken")
	}
	return err
}

// placeStand validates in against its (locked) hall and the hall's other stands.
func placeStand(ctx context.Context, tx *gorm.DB, fairID, standID int64, in StandInput) (Stand, error) {
	hall, err := lockHall(ctx, tx, fairID, in.HallID)
	if errors.Is(err, ErrNotFound) {
		return Stand{}, fieldError("stand_hall", "FieldInvalidChoice")
	}
	if err != nil {
		return Stand{}, err
	}
	if f := standFields(in, hall); len(f) > 0 {
		return Stand{}, &ValidationError{Fields: f}
	}
	taken, err := codeTaken(ctx, tx, fairID, in.Code, standID)
	if err != nil {
		return Stand{}, err
	}
	if taken {
		return Stand{}, fieldError("stand_code", "StandCodeTaken")
	}
	s := Stand{ID: standID, FairID: fairID, HallID: hall.ID, Code: in.Code, Zone: in.Zone, Kind: in.Kind,
		XCm: in.XCm, YCm: in.YCm, WidthCm: in.WidthCm, DepthCm: in.DepthCm, PriceCents: in.PriceCents}
	others, err := hallStands(ctx, tx, hall.ID, standID)
	if err != nil {
		return Stand{}, err
	}
	if _, ok := firstOverlap(s, others); ok {
		return Stand{}, fieldError("stand_x", "StandOverlaps")
	}
	return s, nil
}

// AddStand places one stand in a hall of the fair, available.
func AddStand(ctx context.Context, db *gorm.DB, organizer User, fairID int64, in StandInput) (Stand, error) {
	if err := requireOrganizer(organizer); err != nil {
		return Stand{}, err
	}
	in.normalize()
	var s Stand
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := editableFair(ctx, tx, fairID); err != nil {
			return err
		}
		var err error
		if s, err = placeStand(ctx, tx, fairID, 0, in); err != nil {
			return err
		}
		s.Status = StandAvailable
		if err := tx.WithContext(ctx).Create(&s).Error; err != nil {
			return standCodeConflict(fmt.Errorf("create stand: %w", translateError(err)))
		}
		return RecordAudit(ctx, tx, organizer.ID, "stand.create", "stand", s.ID, nil, s)
	})
	if err != nil {
		return Stand{}, err
	}
	return s, nil
}

// GetStand loads a stand of a fair by id.
func GetStand(ctx context.Context, db *gorm.DB, fairID, standID int64) (Stand, error) {
	var s Stand
	if err := db.WithContext(ctx).Where("id = ? AND fair_id = ?", standID, fairID).Take(&s).Error; err != nil {
		return Stand{}, fmt.Errorf("get stand %d of fair %d: %w", standID, fairID, translateError(err))
	}
	return s, nil
}

// UpdateStand moves, resizes, renames or reprices a stand, with the checks of AddStand. Its
// status stays as it is: an assigned stand stays assigned to its exhibitor.
func UpdateStand(ctx context.Context, db *gorm.DB, organizer User, fairID, standID int64, in StandInput) (Stand, error) {
	if err := requireOrganizer(organizer); err != nil {
		return Stand{}, err
	}
	in.normalize()
	var saved Stand
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := editableFair(ctx, tx, fairID); err != nil {
			return err
		}
		before, err := GetStand(ctx, tx, fairID, standID)
		if err != nil {
			return err
		}
		s, err := placeStand(ctx, tx, fairID, standID, in)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		res := tx.WithContext(ctx).Model(&Stand{}).Where("id = ? AND fair_id = ?", standID, fairID).Updates(map[string]any{
			"hall_id": s.HallID, "code": s.Code, "zone": s.Zone, "kind": s.Kind, "x_cm": s.XCm, "y_cm": s.YCm,
			"width_cm": s.WidthCm, "depth_cm": s.DepthCm, "price_cents": s.PriceCents, "updated_at": now,
		})
		if res.Error != nil {
			return standCodeConflict(fmt.Errorf("update stand %d: %w", standID, translateError(res.Error)))
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("update stand %d: %w", standID, ErrNotFound)
		}
		saved = s
		saved.Status, saved.CreatedAt, saved.UpdatedAt = before.Status, before.CreatedAt, now
		return RecordAudit(ctx, tx, organizer.ID, "stand.update", "stand", standID, before, saved)
	})
	if err != nil {
		return Stand{}, err
	}
	return saved, nil
}

// OrganizerStandStatuses are the statuses an organizer sets by hand; "assigned" belongs to the
// allocation of applications.
var OrganizerStandStatuses = []StandStatus{StandAvailable, StandHeld, StandBlocked}

// SetStandStatus makes a stand available, held back or blocked. An assigned stand is left
// alone (ErrInvalidState): it is released through its application, never here.
func SetStandStatus(ctx context.Context, db *gorm.DB, organizer User, fairID, standID int64, to StandStatus) (Stand, error) {
	if err := requireOrganizer(organizer); err != nil {
		return Stand{}, err
	}
	if !slices.Contains(OrganizerStandStatuses, to) {
		return Stand{}, fmt.Errorf("set stand %d to %q: %w", standID, to, ErrInvalidState)
	}
	var saved Stand
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := editableFair(ctx, tx, fairID); err != nil {
			return err
		}
		before, err := GetStand(ctx, tx, fairID, standID)
		if err != nil {
			return err
		}
		res := tx.WithContext(ctx).Model(&Stand{}).Where("id = ? AND fair_id = ? AND status <> ?", standID, fairID, StandAssigned).
			Updates(map[string]any{"status": to, "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return fmt.Errorf("set stand %d status: %w", standID, translateError(res.Error))
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("set stand %d from %s to %s: %w", standID, before.Status, to, ErrInvalidState)
		}
		saved = before
		saved.Status = to
		return RecordAudit(ctx, tx, organizer.ID, "stand.status", "stand", standID,
			map[string]any{"code": before.Code, "status": before.Status}, map[string]any{"code": before.Code, "status": to})
	})
	if err != nil {
		return Stand{}, err
	}
	return saved, nil
}

// DeleteStand removes a stand nobody holds: not assigned, and no application points to it.
func DeleteStand(ctx context.Context, db *gorm.DB, organizer User, fairID, standID int64) error {
	if err := requireOrganizer(organizer); err != nil {
		return err
	}
	return WithTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := editableFair(ctx, tx, fairID); err != nil {
			return err
		}
		before, err := GetStand(ctx, tx, fairID, standID)
		if err != nil {
			return err
		}
		res := tx.WithContext(ctx).Where("id = ? AND fair_id = ? AND status <> ?", standID, fairID, StandAssigned).
			Where("NOT EXISTS (SELECT 1 FROM applications ap WHERE ap.stand_id = stands.id)").Delete(&Stand{})
		if res.Error != nil {
			return fmt.Errorf("delete stand %d: %w", standID, translateError(res.Error))
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("delete stand %d (%s): %w", standID, before.Status, ErrInvalidState)
		}
		return RecordAudit(ctx, tx, organizer.ID, "stand.delete", "stand", standID, before, nil)
	})
}

// ---- Grid ----

// GridSpec describes a block of stands: Rows × Cols stands of one size, side by side in each
// row, rows separated by an aisle, starting at the origin (all in centimetres). CodePattern
// names them: "{n}" numbers them 1, 2, 3… row after row; "{row}" is the row letter (A, B, …,
// Z, AA…) and "{col}" the column number — "B{n}" gives B1…B40, "{row}{col}" gives A1…D10.
type GridSpec struct {
	HallID               int64
	Rows, Cols           int
	WidthCm, DepthCm     int
	AisleCm              int
	OriginXCm, OriginYCm int
	CodePattern          string
	Zone                 string
	Kind                 StandKind
	PriceCents           int64
}

// RowLetters names row i (0-based): A…Z, AA, AB…
func RowLetters(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// GridSize is the floor a grid needs, from the hall's corner: origin plus the block.
func (g GridSpec) GridSize() (widthCm, depthCm int) {
	w := g.OriginXCm + g.Cols*g.WidthCm
	d := g.OriginYCm + g.Rows*g.DepthCm
	if g.Rows > 1 {
		d += (g.Rows - 1) * g.AisleCm
	}
	return w, d
}

func (g *GridSpec) normalize() {
	g.CodePattern = strings.ToUpper(strings.TrimSpace(g.CodePattern))
	g.CodePattern = strings.NewReplacer("{N}", "{n}", "{ROW}", "{row}", "{COL}", "{col}").Replace(g.CodePattern)
	g.Zone = strings.TrimSpace(g.Zone)
	if g.Kind == "" {
		g.Kind = StandStandard
	}
}

// stands lays the grid out (without checking it against the hall).
func (g GridSpec) stands(fairID int64) []Stand {
	out := make([]Stand, 0, g.Rows*g.Cols)
	n := 0
	for r := range g.Rows {
		for c := range g.Cols {
			n++
			code := strings.NewReplacer("{n}", strconv.Itoa(n), "{row}", RowLetters(r), "{col}", strconv.Itoa(c+1)).Replace(g.CodePattern)
			out = append(out, Stand{
				FairID: fairID, HallID: g.HallID, Code: code, Zone: g.Zone, Kind: g.Kind,
				XCm: g.OriginXCm + c*g.WidthCm, YCm: g.OriginYCm + r*(g.DepthCm+g.AisleCm),
				WidthCm: g.WidthCm, DepthCm: g.DepthCm, PriceCents: g.PriceCents, Status: StandAvailable,
			})
		}
	}
	return out
}

func (g GridSpec) validate() map[string]string {
	f := map[string]string{}
	if g.Rows < 1 || g.Rows > 100 {
		f["grid_rows"] = "GridCountRange"
	}
	if g.Cols < 1 || g.Cols > 100 {
		f["grid_cols"] = "GridCountRange"
	}
	if len(f) == 0 && g.Rows*g.Cols > MaxGridStands {
		f["grid_cols"] = "GridTooMany"
	}
	if g.WidthCm < MinStandSideCm {
		f["grid_width"] = "StandSizeTooSmall"
	}
	if g.DepthCm < MinStandSideCm {
		f["grid_depth"] = "StandSizeTooSmall"
	}
	if g.AisleCm < 0 {
		f["grid_aisle"] = "StandNegative"
	}
	if g.OriginXCm < 0 {
		f["grid_origin_x"] = "StandNegative"
	}
	if g.OriginYCm < 0 {
		f["grid_origin_y"] = "StandNegative"
	}
	hasN := strings.Contains(g.CodePattern, "{n}")
	hasRC := strings.Contains(g.CodePattern, "{row}") && strings.Contains(g.CodePattern, "{col}")
	if !hasN && !hasRC {
		f["grid_pattern"] = "GridPatternInvalid"
	}
	if utf8.RuneCountInString(g.Zone) > 40 {
		f["grid_zone"] = "FieldTooLong"
	}
	if !ValidStandKind(string(g.Kind)) {
		f["grid_kind"] = "FieldInvalidChoice"
	}
	if g.PriceCents < 0 || g.PriceCents > MaxStandPriceCents {
		f["grid_price"] = "StandPriceInvalid"
	}
	return f
}

// GenerateStandGrid creates every stand of the grid, or none: a grid that leaves the hall,
// overlaps a stand already there, or reuses a code of the fair is refused whole.
func GenerateStandGrid(ctx context.Context, db *gorm.DB, organizer User, fairID int64, g GridSpec) ([]Stand, error) {
	if err := requireOrganizer(organizer); err != nil {
		return nil, err
	}
	g.normalize()
	if f := g.validate(); len(f) > 0 {
		return nil, &ValidationError{Fields: f}
	}
	stands := g.stands(fairID)
	for _, s := range stands {
		if !ValidStandCode(s.Code) {
			return nil, fieldError("grid_pattern", "GridPatternInvalid")
		}
	}
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := editableFair(ctx, tx, fairID); err != nil {
			return err
		}
		hall, err := lockHall(ctx, tx, fairID, g.HallID)
		if errors.Is(err, ErrNotFound) {
			return fieldError("grid_hall", "FieldInvalidChoice")
		}
		if err != nil {
			return err
		}
		if w, d := g.GridSize(); w > hall.WidthCm || d > hall.DepthCm {
			return fieldError("grid", "GridOutsideHall")
		}
		existing, err := hallStands(ctx, tx, hall.ID, 0)
		if err != nil {
			return err
		}
		for _, s := range stands {
			if _, ok := firstOverlap(s, existing); ok {
				return fieldError("grid", "GridOverlaps")
			}
		}
		codes := make([]string, len(stands))
		for i, s := range stands {
			codes[i] = s.Code
		}
		var n int64
		if err := tx.WithContext(ctx).Model(&Stand{}).Where("fair_id = ? AND code IN ?", fairID, codes).Count(&n).Error; err != nil {
			return fmt.Errorf("check grid codes: %w", translateError(err))
		}
		if n > 0 {
			return fieldError("grid_pattern", "GridCodeTaken")
		}
		if err := tx.WithContext(ctx).CreateInBatches(&stands, 200).Error; err != nil {
			err = fmt.Errorf("create grid stands: %w", translateError(err))
			if errors.Is(err, ErrConflict) {
				return fieldError("grid_pattern", "GridCodeTaken")
			}
			return err
		}
		return RecordAudit(ctx, tx, organizer.ID, "stands.grid", "hall", hall.ID, nil,
			map[string]any{"spec": g, "count": len(stands), "first": codes[0], "last": codes[len(codes)-1]})
	})
	if err != nil {
		return nil, err
	}
	return stands, nil
}

// ---- CSV import ----

// StandsCSVColumns is the header of a stands import file; x, y, width and depth are metres
// ("2.5" or "2,5"), price_cents whole cents.
var StandsCSVColumns = []string{"code", "zone", "kind", "x", "y", "width", "depth", "price_cents"}

// StandRow is one data line of an import file, as read.
type StandRow struct {
	Line int // line number in the file (the header is line 1)
	// Cells are the texts as typed, in StandsCSVColumns order (for the preview).
	Cells      []string
	Code, Zone string
	Kind       StandKind
	XCm, YCm   int
	WidthCm    int
	DepthCm    int
	PriceCents int64
	// parsed is false when a number could not be read: the line is left out of overlap checks.
	parsed bool
}

// ImportError is one problem of an import file: its line (0 = the whole file), the column, a
// message id, the value concerned and, for duplicates and overlaps, the other stand's code and
// line (OtherLine 0 = a stand already in the hall).
type ImportError struct {
	Line      int
	Field     string
	Message   string
	Value     string
	Other     string
	OtherLine int
}

// ImportErrors is the refusal of an import: nothing was saved.
type ImportErrors struct{ Errors []ImportError }

func (e *ImportErrors) Error() string {
	if len(e.Errors) == 0 {
		return "import stands: refused"
	}
	f := e.Errors[0]
	return fmt.Sprintf("import stands: %d errors, first at line %d (%s): %s", len(e.Errors), f.Line, f.Field, f.Message)
}

// StandsPreview is an import file read and checked, before anything is saved.
type StandsPreview struct {
	Rows   []StandRow
	Errors []ImportError
	// Ignored lists the header's columns the import does not use (e.g. from an export).
	Ignored []string
}

// ErrorsAt returns the errors of one line.
func (p StandsPreview) ErrorsAt(line int) []ImportError {
	var out []ImportError
	for _, e := range p.Errors {
		if e.Line == line {
			out = append(out, e)
		}
	}
	return out
}

// FileErrors returns the errors about the whole file (line 0 or the header).
func (p StandsPreview) FileErrors() []ImportError {
	var out []ImportError
	for _, e := range p.Errors {
		if e.Line <= 1 {
			out = append(out, e)
		}
	}
	return out
}

// OK tells whether the file can be imported as it is.
func (p StandsPreview) OK() bool { return len(p.Errors) == 0 && len(p.Rows) > 0 }

// sortErrors orders errors by line, then by column.
func sortErrors(errs []ImportError) {
	col := func(f string) int {
		if i := slices.Index(StandsCSVColumns, f); i >= 0 {
			return i
		}
		return len(StandsCSVColumns)
	}
	slices.SortStableFunc(errs, func(a, b ImportError) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return col(a.Field) - col(b.Field)
	})
}

// detectComma picks the separator from the header line: ";" (Excel in French) or ",".
func detectComma(data []byte) rune {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	if bytes.Count(line, []byte(";")) > bytes.Count(line, []byte(",")) {
		return ';'
	}
	return ','
}

// ParseStandsCSV reads a stands file (UTF-8, BOM tolerated, "," or ";" separated) and checks
// what the file alone can tell: columns, numbers, kinds, negative values, duplicate codes and
// stands of two lines that overlap. CheckStandRows adds the checks against a hall. The error
// is only for a failing reader; every problem of the file is in the preview's Errors.
func ParseStandsCSV(r io.Reader) (StandsPreview, error) {
	var p StandsPreview
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return p, fmt.Errorf("read stands csv: %w", err)
	}
	if len(data) > MaxImportBytes {
		p.Errors = append(p.Errors, ImportError{Message: "ImportTooLarge"})
		return p, nil
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		p.Errors = append(p.Errors, ImportError{Message: "ImportNotUTF8"})
		return p, nil
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = detectComma(data)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		p.Errors = append(p.Errors, ImportError{Message: "ImportEmpty"})
		return p, nil
	}
	if err != nil {
		p.Errors = append(p.Errors, csvSyntaxError(err))
		return p, nil
	}
	headerLine, _ := cr.FieldPos(0)
	index := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if slices.Contains(StandsCSVColumns, name) {
			if _, dup := index[name]; !dup {
				index[name] = i
			}
		} else if name != "" {
			p.Ignored = append(p.Ignored, name)
		}
	}
	for _, c := range StandsCSVColumns {
		if _, ok := index[c]; !ok {
			p.Errors = append(p.Errors, ImportError{Line: headerLine, Field: c, Message: "ImportMissingColumn", Value: c})
		}
	}
	if len(p.Errors) > 0 {
		p.Ignored = nil
		return p, nil
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			p.Errors = append(p.Errors, csvSyntaxError(err))
			break
		}
		line, _ := cr.FieldPos(0)
		if blankRecord(rec) {
			continue
		}
		if len(p.Rows) == MaxImportRows {
			p.Errors = append(p.Errors, ImportError{Line: line, Message: "ImportTooManyLines", Value: strconv.Itoa(MaxImportRows)})
			break
		}
		row, errs := parseStandRecord(line, rec, index)
		p.Rows = append(p.Rows, row)
		p.Errors = append(p.Errors, errs...)
	}
	if len(p.Rows) == 0 && len(p.Errors) == 0 {
		p.Errors = append(p.Errors, ImportError{Message: "ImportEmpty"})
	}
	p.Errors = append(p.Errors, fileRowErrors(p.Rows)...)
	sortErrors(p.Errors)
	return p, nil
}

func csvSyntaxError(err error) ImportError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return ImportError{Line: pe.StartLine, Message: "ImportBadQuotes"}
	}
	return ImportError{Message: "ImportBadQuotes"}
}

func blankRecord(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// parseStandRecord reads one data line; the errors are about cells that cannot be read.
func parseStandRecord(line int, rec []string, index map[string]int) (StandRow, []ImportError) {
	row := StandRow{Line: line, Cells: make([]string, len(StandsCSVColumns)), parsed: true}
	for i, c := range StandsCSVColumns {
		if j := index[c]; j < len(rec) {
			row.Cells[i] = strings.TrimSpace(rec[j])
		}
	}
	cell := func(name string) string { return row.Cells[slices.Index(StandsCSVColumns, name)] }
	var errs []ImportError
	bad := func(field, msg string) {
		errs = append(errs, ImportError{Line: line, Field: field, Message: msg, Value: cell(field)})
	}
	row.Code = NormalizeStandCode(cell("code"))
	row.Zone = cell("zone")
	row.Kind = StandKind(strings.ToLower(cell("kind")))
	if row.Kind == "" {
		row.Kind = StandStandard
	}
	for _, m := range []struct {
		name string
		dst  *int
	}{{"x", &row.XCm}, {"y", &row.YCm}, {"width", &row.WidthCm}, {"depth", &row.DepthCm}} {
		v := cell(m.name)
		cm, negative, ok := ParseMetres(v)
		switch {
		case v == "":
			bad(m.name, "ImportMissingValue")
			row.parsed = false
		case negative:
			bad(m.name, "ImportNegative")
			row.parsed = false
		case !ok:
			bad(m.name, "ImportNotMetres")
			row.parsed = false
		default:
			*m.dst = cm
		}
	}
	if price := cell("price_cents"); price == "" {
		bad("price_cents", "ImportMissingValue")
	} else {
		n, err := strconv.ParseInt(price, 10, 64)
		switch {
		case err == nil && n < 0:
			bad("price_cents", "ImportNegative")
		case err != nil:
			bad("price_cents", "ImportNotCents")
		default:
			row.PriceCents = n
		}
	}
	return row, errs
}

// fileRowErrors checks the rows' values and the rows against each other: codes, kinds, sizes,
// prices, duplicate codes, overlapping lines (every row is meant for the same hall).
func fileRowErrors(rows []StandRow) []ImportError {
	var errs []ImportError
	firstLine := map[string]int{}
	for i, r := range rows {
		add := func(field, msg, value string) {
			errs = append(errs, ImportError{Line: r.Line, Field: field, Message: msg, Value: value})
		}
		switch {
		case r.Code == "":
			add("code", "ImportMissingValue", "")
		case !ValidStandCode(r.Code):
			add("code", "StandCodeInvalid", r.Cells[0])
		default:
			if first, dup := firstLine[r.Code]; dup {
				errs = append(errs, ImportError{Line: r.Line, Field: "code", Message: "ImportDuplicateCode", Value: r.Code, Other: r.Code, OtherLine: first})
			} else {
				firstLine[r.Code] = r.Line
			}
		}
		if utf8.RuneCountInString(r.Zone) > 40 {
			add("zone", "FieldTooLong", r.Zone)
		}
		if !ValidStandKind(string(r.Kind)) {
			add("kind", "ImportUnknownKind", string(r.Kind))
		}
		if r.parsed {
			if r.XCm < 0 {
				add("x", "ImportNegative", FormatMetres(r.XCm))
			}
			if r.YCm < 0 {
				add("y", "ImportNegative", FormatMetres(r.YCm))
			}
			if r.WidthCm < MinStandSideCm {
				add("width", "StandSizeTooSmall", FormatMetres(r.WidthCm))
			}
			if r.DepthCm < MinStandSideCm {
				add("depth", "StandSizeTooSmall", FormatMetres(r.DepthCm))
			}
		}
		if r.PriceCents < 0 {
			add("price_cents", "ImportNegative", strconv.FormatInt(r.PriceCents, 10))
		} else if r.PriceCents > MaxStandPriceCents {
			add("price_cents", "StandPriceInvalid", strconv.FormatInt(r.PriceCents, 10))
		}
		if !r.parsed || r.WidthCm <= 0 || r.DepthCm <= 0 {
			continue
		}
		for _, o := range rows[:i] {
			if o.parsed && rowStand(r).Overlaps(rowStand(o)) {
				errs = append(errs, ImportError{Line: r.Line, Field: "x", Message: "ImportOverlapLine", Value: r.Code, Other: o.Code, OtherLine: o.Line})
				break
			}
		}
	}
	return errs
}

func rowStand(r StandRow) Stand {
	return Stand{Code: r.Code, Zone: r.Zone, Kind: r.Kind, XCm: r.XCm, YCm: r.YCm, WidthCm: r.WidthCm, DepthCm: r.DepthCm,
		PriceCents: r.PriceCents, Status: StandAvailable}
}

// hallRowErrors checks rows against the hall and what is already drawn in the fair: inside the
// hall, no overlap with the hall's stands, no code the fair already uses.
func hallRowErrors(rows []StandRow, hall Hall, inHall []Stand, fairCodes map[string]bool) []ImportError {
	var errs []ImportError
	for _, r := range rows {
		if fairCodes[r.Code] {
			errs = append(errs, ImportError{Line: r.Line, Field: "code", Message: "StandCodeTaken", Value: r.Code})
		}
		if !r.parsed || r.WidthCm <= 0 || r.DepthCm <= 0 {
			continue
		}
		s := rowStand(r)
		s.HallID = hall.ID
		if s.XCm+s.WidthCm > hall.WidthCm {
			errs = append(errs, ImportError{Line: r.Line, Field: "x", Message: "ImportOutsideHall", Value: r.Code})
		} else if s.YCm+s.DepthCm > hall.DepthCm {
			errs = append(errs, ImportError{Line: r.Line, Field: "y", Message: "ImportOutsideHall", Value: r.Code})
		}
		if o, ok := firstOverlap(s, inHall); ok {
			errs = append(errs, ImportError{Line: r.Line, Field: "x", Message: "ImportOverlapExisting", Value: r.Code, Other: o.Code})
		}
	}
	return errs
}

// importContext loads what hallRowErrors compares with: the hall's stands and the fair's codes.
func importContext(ctx context.Context, db *gorm.DB, fairID, hallID int64) ([]Stand, map[string]bool, error) {
	inHall, err := hallStands(ctx, db, hallID, 0)
	if err != nil {
		return nil, nil, err
	}
	var codes []string
	if err := db.WithContext(ctx).Model(&Stand{}).Where("fair_id = ?", fairID).Pluck("code", &codes).Error; err != nil {
		return nil, nil, fmt.Errorf("list stand codes of fair %d: %w", fairID, translateError(err))
	}
	set := make(map[string]bool, len(codes))
	for _, c := range codes {
		set[c] = true
	}
	return inHall, set, nil
}

// CheckStandRows adds to a preview the errors against a hall of the fair (outside the hall,
// overlapping a stand already drawn, code already used in the fair). It saves nothing.
func CheckStandRows(ctx context.Context, db *gorm.DB, fairID, hallID int64, p *StandsPreview) error {
	hall, err := GetHall(ctx, db, fairID, hallID)
	if err != nil {
		return err
	}
	inHall, codes, err := importContext(ctx, db, fairID, hallID)
	if err != nil {
		return err
	}
	p.Errors = append(p.Errors, hallRowErrors(p.Rows, hall, inHall, codes)...)
	sortErrors(p.Errors)
	return nil
}

// ImportStands saves the rows as stands of one hall, all in one transaction, after checking
// them again against the hall as it is now (locked): any error and nothing is saved
// (*ImportErrors lists why).
func ImportStands(ctx context.Context, db *gorm.DB, organizer User, fairID, hallID int64, rows []StandRow) (int, error) {
	if err := requireOrganizer(organizer); err != nil {
		return 0, err
	}
	if len(rows) == 0 {
		return 0, &ImportErrors{Errors: []ImportError{{Message: "ImportEmpty"}}}
	}
	if len(rows) > MaxImportRows {
		return 0, &ImportErrors{Errors: []ImportError{{Line: rows[MaxImportRows].Line, Message: "ImportTooManyLines", Value: strconv.Itoa(MaxImportRows)}}}
	}
	rows = slices.Clone(rows)
	for i := range rows {
		rows[i].Code = NormalizeStandCode(rows[i].Code)
		rows[i].Zone = strings.TrimSpace(rows[i].Zone)
		rows[i].parsed = true
		if len(rows[i].Cells) != len(StandsCSVColumns) {
			rows[i].Cells = []string{rows[i].Code, rows[i].Zone, string(rows[i].Kind), "", "", "", "", ""}
		}
	}
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := editableFair(ctx, tx, fairID); err != nil {
			return err
		}
		hall, err := lockHall(ctx, tx, fairID, hallID)
		if err != nil {
			return err
		}
		inHall, codes, err := importContext(ctx, tx, fairID, hallID)
		if err != nil {
			return err
		}
		errs := append(fileRowErrors(rows), hallRowErrors(rows, hall, inHall, codes)...)
		if len(errs) > 0 {
			sortErrors(errs)
			return &ImportErrors{Errors: errs}
		}
		stands := make([]Stand, len(rows))
		codesList := make([]string, len(rows))
		for i, r := range rows {
			stands[i] = rowStand(r)
			stands[i].FairID, stands[i].HallID = fairID, hall.ID
			codesList[i] = r.Code
		}
		if err := tx.WithContext(ctx).CreateInBatches(&stands, 200).Error; err != nil {
			err = fmt.Errorf("import stands: %w", translateError(err))
			if errors.Is(err, ErrConflict) {
				// A colleague used one of the codes in another hall meanwhile.
				return &ImportErrors{Errors: []ImportError{{Message: "ImportCodeTakenMeanwhile"}}}
			}
			return err
		}
		return RecordAudit(ctx, tx, organizer.ID, "stands.import", "hall", hall.ID, nil,
			map[string]any{"count": len(stands), "codes": codesList})
	})
	if err != nil {
		var ie *ImportErrors
		if errors.As(err, &ie) {
			return 0, ie
		}
		return 0, err
	}
	return len(rows), nil
}

// ---- Listing and export ----

// StandsExportColumns is the header of the stands CSV export.
var StandsExportColumns = []string{"code", "zone", "kind", "hall", "x", "y", "width", "depth", "price_cents", "status", "artisan"}

// csvSafe keeps a text cell from being read as a formula by a spreadsheet (CSV injection):
// a cell starting with = + - @ or a control character gets a leading apostrophe.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteStandsCSV writes the fair's stands, hall by hall and in code order, as UTF-8 CSV with a
// byte-order mark (so Excel shows Arabic names), metres with a dot, the exhibitor's name on
// assigned stands.
func WriteStandsCSV(ctx context.Context, db *gorm.DB, fairID int64, w io.Writer) error {
	type line struct {
		Stand
		HallName     string
		HallPosition int
		Artisan      string
	}
	var rows []line
	err := db.WithContext(ctx).Table("stands AS s").
		Select("s.*, h.name AS hall_name, h.position AS hall_position, ar.business_name AS artisan").
		Joins("JOIN halls h ON h.id = s.hall_id").
		Joins("LEFT JOIN applications ap ON ap.stand_id = s.id").
		Joins("LEFT JOIN artisans ar ON ar.id = ap.artisan_id").
		Where("s.fair_id = ?", fairID).Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("export stands of fair %d: %w", fairID, translateError(err))
	}
	slices.SortFunc(rows, func(a, b line) int {
		if a.HallPosition != b.HallPosition {
			return a.HallPosition - b.HallPosition
		}
		if a.HallID != b.HallID {
			return int(a.HallID - b.HallID)
		}
		return CompareStandCodes(a.Code, b.Code)
	})
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("export stands: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(StandsExportColumns); err != nil {
		return fmt.Errorf("export stands: %w", err)
	}
	for _, r := range rows {
		rec := []string{
			r.Code, csvSafe(r.Zone), string(r.Kind), csvSafe(r.HallName),
			FormatMetres(r.XCm), FormatMetres(r.YCm), FormatMetres(r.WidthCm), FormatMetres(r.DepthCm),
			strconv.FormatInt(r.PriceCents, 10), string(r.Status), csvSafe(r.Artisan),
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("export stands: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export stands: %w", err)
	}
	return nil
}
