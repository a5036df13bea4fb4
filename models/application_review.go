package models

// The organizers' side of booth applications: decisions after the chamber's review (accept,
// waitlist, reject, release), region quotas, the ordered waitlist, offers that expire, booth
// fees marked covered or paid, the list with its counts per region and craft, and the CSV
// export. Every decision is a conditional update in a transaction with its audit entry and the
// e-mail to the artisan.

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Decision is what organizers decide about an application.
type Decision string

// The organizers' decisions.
const (
	DecisionAccept   Decision = "accept"
	DecisionWaitlist Decision = "waitlist"
	DecisionReject   Decision = "reject"
	// DecisionRelease takes the place back from an accepted exhibitor; the first on the
	// waitlist is offered it.
	DecisionRelease Decision = "release"
)

// Decisions lists the decisions in the order pages show them.
var Decisions = []Decision{DecisionAccept, DecisionWaitlist, DecisionReject, DecisionRelease}

// DecisionNoteMax bounds the reason given to the artisan, in characters.
const DecisionNoteMax = 1000

// FeeNoteMax bounds the note recorded with a manual payment, in characters.
const FeeNoteMax = 500

// ApplicationsPerPage is the page size of the organizers' application list.
const ApplicationsPerPage = 50

// decisionRule says from which statuses a decision may be taken, where it leads, which
// e-mail the artisan gets and whether a reason is required.
type decisionRule struct {
	from      []ApplicationStatus
	to        ApplicationStatus
	notice    string
	needsNote bool
}

var decisionRules = map[Decision]decisionRule{
	DecisionAccept:   {from: []ApplicationStatus{AppChamberReviewed, AppWaitlisted}, to: AppAccepted, notice: NoticeApplicationAccepted},
	DecisionWaitlist: {from: []ApplicationStatus{AppChamberReviewed}, to: AppWaitlisted, notice: NoticeApplicationWaitlist, needsNote: true},
	DecisionReject:   {from: []ApplicationStatus{AppChamberReviewed, AppWaitlisted}, to: AppRejected, notice: NoticeApplicationRejected, needsNote: true},
	DecisionRelease:  {from: []ApplicationStatus{AppAccepted}, to: AppReleased, notice: NoticeApplicationReleased, needsNote: true},
}

// ValidDecision tells whether d is one of the organizers' decisions.
func ValidDecision(d string) bool {
	_, ok := decisionRules[Decision(d)]
	return ok
}

// DecisionNeedsNote tells whether the decision must carry a reason for the artisan.
func DecisionNeedsNote(d Decision) bool { return decisionRules[d].needsNote }

// AllowedDecisions lists the decisions organizers may take on an application in status s
// (none before the chamber has reviewed it).
func AllowedDecisions(s ApplicationStatus) []Decision {
	var out []Decision
	for _, d := range Decisions {
		if slices.Contains(decisionRules[d].from, s) {
			out = append(out, d)
		}
	}
	return out
}

// ErrNotChamberReviewed is returned when organizers decide on an application the chamber has
// not reviewed yet: the review goes in two steps, the region's chamber first.
var ErrNotChamberReviewed = fmt.Errorf("the chamber has not reviewed the application yet: %w", ErrInvalidState)

// QuotaReachedError is returned when accepting one more exhibitor of a region would exceed the
// region's quota for the fair. It wraps ErrInvalidState.
type QuotaReachedError struct {
	RegionCode string
	Quota      int
}

// Error says which region's quota is reached.
func (e *QuotaReachedError) Error() string {
	return fmt.Sprintf("quota of region %s reached (%d places): %v", e.RegionCode, e.Quota, ErrInvalidState)
}

// Unwrap makes errors.Is(err, ErrInvalidState) true.
func (e *QuotaReachedError) Unwrap() error { return ErrInvalidState }

// RefusalMessage names, as a message id, why a decision was refused; ok is false when err is
// not a refusal (the database failed, …).
func RefusalMessage(err error) (id string, ok bool) {
	var ve *ValidationError
	var qe *QuotaReachedError
	switch {
	case err == nil:
		return "", false
	case errors.As(err, &ve):
		for _, k := range []string{"note", "decision"} { // the fields of a decision, in order
			if m, has := ve.Fields[k]; has {
				return m, true
			}
		}
		return "FieldInvalid", true
	case errors.As(err, &qe):
		return "ReviewRefusedQuota", true
	case errors.Is(err, ErrNotChamberReviewed):
		return "ReviewRefusedNotReviewed", true
	case errors.Is(err, ErrNotFound):
		return "ReviewRefusedNotFound", true
	case errors.Is(err, ErrInvalidState):
		return "ReviewRefusedState", true
	case errors.Is(err, ErrConflict):
		return "ReviewRefusedChanged", true
	}
	return "", false
}

// validateDecision checks the decision and its reason before anything is read.
func validateDecision(d Decision, note string) error {
	rule, ok := decisionRules[d]
	if !ok {
		return fieldError("decision", "FieldInvalidChoice")
	}
	switch {
	case rule.needsNote && note == "":
		return &ValidationError{Fields: map[string]string{"note": "DecisionNoteRequired"}}
	case utf8.RuneCountInString(note) > DecisionNoteMax:
		return fieldError("note", "FieldTooLong")
	}
	return nil
}

// lockFair loads the fair and, on PostgreSQL, locks its row until the transaction ends, so
// decisions that count (quotas, waitlist positions) run one after the other per fair. NO KEY
// UPDATE is the FOR UPDATE that still lets artisans insert applications referencing the fair
// meanwhile. SQLite transactions take the write lock when they begin (_txlock=immediate):
// already serialized.
func lockFair(ctx context.Context, tx *gorm.DB, fairID int64) (Fair, error) {
	var f Fair
	err := tx.WithContext(ctx).Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("id = ?", fairID).Take(&f).Error
	if err != nil {
		return Fair{}, fmt.Errorf("lock fair %d: %w", fairID, translateError(err))
	}
	return f, nil
}

// (requireOrganizer is shared with the fair administration: models/fair_admin.go.)

// DecideApplication records an organizer's decision on an application of the fair:
// accept (from chamber_reviewed or waitlisted, within the region's quota), waitlist (from
// chamber_reviewed, appended at the end of the fair's waitlist), reject (from chamber_reviewed
// or waitlisted), release (from accepted: the stand is freed and the place offered to the first
// on the waitlist, in the same transaction). Reject, waitlist and release need a reason, which
// the artisan reads. A submitted application is refused with ErrNotChamberReviewed, any other
// wrong state with ErrInvalidState, and nothing changes.
func DecideApplication(ctx context.Context, db *gorm.DB, organizer User, fairID, appID int64, d Decision, note string, now time.Time) (Application, error) {
	if err := requireOrganizer(organizer); err != nil {
		return Application{}, err
	}
	note = strings.TrimSpace(note)
	if err := validateDecision(d, note); err != nil {
		return Application{}, err
	}
	rule := decisionRules[d]
	var after Application
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		fair, err := lockFair(ctx, tx, fairID)
		if err != nil {
			return err
		}
		before, err := getFairApplication(ctx, tx, fairID, appID)
		if err != nil {
			return err
		}
		if !slices.Contains(rule.from, before.Status) {
			if before.Status == AppSubmitted {
				return fmt.Errorf("%s application %d: %w", d, appID, ErrNotChamberReviewed)
			}
			return fmt.Errorf("%s application %d in state %s: %w", d, appID, before.Status, ErrInvalidState)
		}
		cols := map[string]any{"status": rule.to, "decision_note": note, "decided_by": organizer.ID, "decided_at": now, "updated_at": now}
		switch d {
		case DecisionAccept:
			if err := checkRegionQuota(ctx, tx, fairID, before.ArtisanID); err != nil {
				return err
			}
			cols["waitlist_position"] = nil
		case DecisionWaitlist:
			pos, err := nextWaitlistPosition(ctx, tx, fairID)
			if err != nil {
				return err
			}
			cols["waitlist_position"] = pos
		case DecisionReject:
			cols["waitlist_position"] = nil
		case DecisionRelease:
			// A stand belongs to an accepted application only: free it first.
			if _, err := ReleaseApplicationStand(ctx, tx, appID, now); err != nil {
				return err
			}
		}
		res := tx.WithContext(ctx).Model(&Application{}).
			Where("id = ? AND fair_id = ? AND status IN ?", appID, fairID, rule.from).Updates(cols)
		if res.Error != nil {
			return fmt.Errorf("%s application %d: %w", d, appID, translateError(res.Error))
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("application %d changed meanwhile: %w", appID, ErrConflict)
		}
		if after, err = getFairApplication(ctx, tx, fairID, appID); err != nil {
			return err
		}
		if err := RecordAudit(ctx, tx, organizer.ID, "application."+string(d), "application", appID,
			map[string]any{"status": before.Status, "waitlist_position": before.WaitlistPosition, "stand_id": before.StandID},
			map[string]any{"status": after.Status, "note": note, "waitlist_position": after.WaitlistPosition}); err != nil {
			return err
		}
		params := map[string]string{"fair": fair.Name, "note": note}
		if after.WaitlistPosition != nil {
			params["position"] = strconv.Itoa(*after.WaitlistPosition)
		}
		if err := notifyArtisan(ctx, tx, after.ArtisanID, rule.notice, params); err != nil {
			return err
		}
		if d == DecisionRelease {
			if _, err := OfferNextWaitlisted(ctx, tx, organizer.ID, fairID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Application{}, err
	}
	return after, nil
}

// artisanRegion reads the region an artisan belongs to.
func artisanRegion(ctx context.Context, tx *gorm.DB, artisanID int64) (string, error) {
	var a Artisan
	if err := tx.WithContext(ctx).Select("id", "region_code").Where("id = ?", artisanID).Take(&a).Error; err != nil {
		return "", fmt.Errorf("region of artisan %d: %w", artisanID, translateError(err))
	}
	return a.RegionCode, nil
}

// placesTaken are the statuses that hold a place of a region's quota.
var placesTaken = []ApplicationStatus{AppAccepted, AppOffered}

// checkRegionQuota refuses one more accepted exhibitor of the artisan's region when the fair's
// quota for it is reached (accepted and offered places count). Call it under lockFair.
func checkRegionQuota(ctx context.Context, tx *gorm.DB, fairID, artisanID int64) error {
	region, err := artisanRegion(ctx, tx, artisanID)
	if err != nil {
		return err
	}
	var quotas []FairRegionQuota
	if err := tx.WithContext(ctx).Where("fair_id = ? AND region_code = ?", fairID, region).Limit(1).Find(&quotas).Error; err != nil {
		return fmt.Errorf("read quota of %s: %w", region, translateError(err))
	}
	if len(quotas) == 0 {
		return nil
	}
	var taken int64
	err = tx.WithContext(ctx).Table("applications a").Joins("JOIN artisans ar ON ar.id = a.artisan_id").
		Where("a.fair_id = ? AND ar.region_code = ? AND a.status IN ?", fairID, region, placesTaken).Count(&taken).Error
	if err != nil {
		return fmt.Errorf("count accepted of %s: %w", region, translateError(err))
	}
	if taken >= int64(quotas[0].Quota) {
		return &QuotaReachedError{RegionCode: region, Quota: quotas[0].Quota}
	}
	return nil
}

// nextWaitlistPosition is one more than the last position of the fair's waitlist. Call it
// under lockFair so two waitlisted applications never share a position.
func nextWaitlistPosition(ctx context.Context, tx *gorm.DB, fairID int64) (int, error) {
	var last sql.NullInt64
	err := tx.WithContext(ctx).Model(&Application{}).Select("MAX(waitlist_position)").
		Where("fair_id = ? AND status = ?", fairID, AppWaitlisted).Row().Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("last waitlist position of fair %d: %w", fairID, translateError(err))
	}
	return int(last.Int64) + 1, nil
}

// BulkResult reports a bulk decision: the applications decided, and for each refused one the
// message id of the reason.
type BulkResult struct {
	Done    []int64
	Refused map[int64]string
}

// BulkDecideMax bounds the applications of one bulk action.
const BulkDecideMax = 500

// BulkDecide applies one decision to several applications, each in its own transaction, so a
// refusal (wrong state, quota reached) leaves the others decided. A bad decision or a missing
// reason refuses the whole action (ValidationError); a database failure stops it and returns
// what was done so far with the error.
func BulkDecide(ctx context.Context, db *gorm.DB, organizer User, fairID int64, appIDs []int64, d Decision, note string, now time.Time) (BulkResult, error) {
	res := BulkResult{Refused: map[int64]string{}}
	if err := requireOrganizer(organizer); err != nil {
		return res, err
	}
	note = strings.TrimSpace(note)
	if err := validateDecision(d, note); err != nil {
		return res, err
	}
	seen := map[int64]bool{}
	for _, id := range appIDs {
		if id <= 0 || seen[id] {
			continue
		}
		seen[id] = true
		if len(seen) > BulkDecideMax {
			return res, fmt.Errorf("bulk decision on more than %d applications: %w", BulkDecideMax, ErrInvalidState)
		}
		_, err := DecideApplication(ctx, db, organizer, fairID, id, d, note, now)
		if err == nil {
			res.Done = append(res.Done, id)
			continue
		}
		msg, refused := RefusalMessage(err)
		if !refused {
			return res, err
		}
		res.Refused[id] = msg
	}
	return res, nil
}

// ApplicationFilter narrows the organizers' application list.
type ApplicationFilter struct {
	Region string
	Craft  string
	Status ApplicationStatus
	// Recommended is the chamber's opinion: "yes", "no", "pending" (not reviewed yet) or ""
	// (any).
	Recommended string
	// Q searches the artisan's business name.
	Q    string
	Page int
}

// FairApplicationRow is one line of the organizers' application list.
type FairApplicationRow struct {
	ID                 int64
	ArtisanID          int64
	ArtisanName        string
	ArtisanSlug        string
	ArtisanStatus      ArtisanStatus
	RegionCode         string
	CraftCode          string
	Status             ApplicationStatus
	ChamberRecommended *bool
	ChamberRank        *int
	StandID            *int64
	StandCode          *string
	FeeState           FeeState
	FeeCents           int64
	FeeCovered         bool
	NeedsFunding       bool
	WaitlistPosition   *int
	OfferExpiresAt     *time.Time
	DecisionNote       string
	SubmittedAt        time.Time
}

const fairApplicationColumns = "a.id, a.artisan_id, ar.business_name AS artisan_name, ar.slug AS artisan_slug, " +
	"ar.status AS artisan_status, ar.region_code, ar.craft_code, " +
	"a.status, a.chamber_recommended, a.chamber_rank, a.stand_id, s.code AS stand_code, a.fee_state, a.fee_cents, " +
	"a.fee_covered, a.needs_chamber_funding AS needs_funding, a.waitlist_position, a.offer_expires_at, " +
	"a.decision_note, a.submitted_at"

// listOrder: region (official order), then the chamber's rank (unranked last), then submission.
const listOrder = "COALESCE(r.sort_order, 999), ar.region_code, CASE WHEN a.chamber_rank IS NULL THEN 1 ELSE 0 END, " +
	"a.chamber_rank, a.submitted_at, a.id"

func fairApplicationsQuery(ctx context.Context, db *gorm.DB, fairID int64) *gorm.DB {
	return db.WithContext(ctx).Table("applications a").
		Joins("JOIN artisans ar ON ar.id = a.artisan_id").
		Joins("LEFT JOIN regions r ON r.code = ar.region_code").
		Joins("LEFT JOIN stands s ON s.id = a.stand_id").
		Where("a.fair_id = ?", fairID)
}

// likePattern escapes LIKE's wildcards in what the user typed.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// ListFairApplications returns one page (ApplicationsPerPage) of the fair's applications
// matching f, ordered by region, chamber rank and submission, with the total count.
func ListFairApplications(ctx context.Context, db *gorm.DB, fairID int64, f ApplicationFilter) ([]FairApplicationRow, int64, error) {
	q := fairApplicationsQuery(ctx, db, fairID)
	if f.Region != "" {
		q = q.Where("ar.region_code = ?", f.Region)
	}
	if f.Craft != "" {
		q = q.Where("ar.craft_code = ?", f.Craft)
	}
	if f.Status != "" {
		q = q.Where("a.status = ?", f.Status)
	}
	switch f.Recommended {
	case "yes":
		q = q.Where("a.chamber_recommended = ?", true)
	case "no":
		q = q.Where("a.chamber_recommended = ?", false)
	case "pending":
		q = q.Where("a.chamber_recommended IS NULL")
	}
	if s := strings.TrimSpace(f.Q); s != "" {
		q = q.Where(`LOWER(ar.business_name) LIKE ? ESCAPE '\'`, likePattern(s))
	}
	var total int64
	if err := q.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count applications of fair %d: %w", fairID, translateError(err))
	}
	page := max(f.Page, 1)
	var rows []FairApplicationRow
	err := q.Select(fairApplicationColumns).Order(listOrder).
		Limit(ApplicationsPerPage).Offset((page - 1) * ApplicationsPerPage).Scan(&rows).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list applications of fair %d: %w", fairID, translateError(err))
	}
	return rows, total, nil
}

// FairApplicationRowsByID returns the fair's applications among ids (others are left out).
func FairApplicationRowsByID(ctx context.Context, db *gorm.DB, fairID int64, ids []int64) ([]FairApplicationRow, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []FairApplicationRow
	err := fairApplicationsQuery(ctx, db, fairID).Where("a.id IN ?", ids).Select(fairApplicationColumns).Order(listOrder).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("applications %v of fair %d: %w", ids, fairID, translateError(err))
	}
	return rows, nil
}

// ReviewApplication is everything the organizers' page of one application shows.
type ReviewApplication struct {
	Application Application
	Artisan     Artisan
	Email       string
	StandCode   string
	Products    []Product
}

// GetReviewApplication loads an application of the fair with its artisan, stand and products.
func GetReviewApplication(ctx context.Context, db *gorm.DB, fairID, appID int64) (ReviewApplication, error) {
	var out ReviewApplication
	app, err := getFairApplication(ctx, db, fairID, appID)
	if err != nil {
		return out, err
	}
	out.Application = app
	if err := db.WithContext(ctx).Where("id = ?", app.ArtisanID).Take(&out.Artisan).Error; err != nil {
		return out, fmt.Errorf("artisan of application %d: %w", appID, translateError(err))
	}
	var u User
	if err := db.WithContext(ctx).Select("id", "email").Where("id = ?", out.Artisan.UserID).Take(&u).Error; err != nil {
		return out, fmt.Errorf("account of application %d: %w", appID, translateError(err))
	}
	out.Email = u.Email
	if app.StandID != nil {
		var s Stand
		if err := db.WithContext(ctx).Select("id", "code").Where("id = ?", *app.StandID).Take(&s).Error; err != nil {
			return out, fmt.Errorf("stand of application %d: %w", appID, translateError(err))
		}
		out.StandCode = s.Code
	}
	err = db.WithContext(ctx).Joins("JOIN application_products ap ON ap.product_id = products.id").
		Where("ap.application_id = ?", appID).Order("products.id").Find(&out.Products).Error
	if err != nil {
		return out, fmt.Errorf("products of application %d: %w", appID, translateError(err))
	}
	return out, nil
}

// HistoryEntry is one audit line about an application, with the name of who acted.
type HistoryEntry struct {
	AuditEntry
	ActorName string
}

// ApplicationHistory returns the audit log of an application, oldest first.
func ApplicationHistory(ctx context.Context, db *gorm.DB, appID int64) ([]HistoryEntry, error) {
	var out []HistoryEntry
	err := db.WithContext(ctx).Table("audit_entries e").
		Select("e.*, COALESCE(u.name, '') AS actor_name").
		Joins("LEFT JOIN users u ON u.id = e.actor_id").
		Where("e.subject = ? AND e.subject_id = ?", "application", appID).
		Order("e.id").Limit(200).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("history of application %d: %w", appID, translateError(err))
	}
	return out, nil
}

// ApplicationStat counts a fair's applications for one region or craft.
type ApplicationStat struct {
	Code string
	// Applied counts every application but withdrawn ones.
	Applied     int
	Recommended int
	// Accepted counts accepted exhibitors and places offered from the waitlist.
	Accepted   int
	Waitlisted int
	// Quota is the region's quota (nil: none; always nil for crafts).
	Quota *int
}

// ApplicationStats are a fair's counts per region (all 12, in official order) and per craft
// (those with applications), and the totals.
type ApplicationStats struct {
	Regions []ApplicationStat
	Crafts  []ApplicationStat
	Total   ApplicationStat
}

const statSums = "COALESCE(SUM(CASE WHEN x.status IS NOT NULL AND x.status <> 'withdrawn' THEN 1 ELSE 0 END), 0) AS applied, " +
	"COALESCE(SUM(CASE WHEN x.status <> 'withdrawn' AND x.chamber_recommended = ? THEN 1 ELSE 0 END), 0) AS recommended, " +
	"COALESCE(SUM(CASE WHEN x.status IN ('accepted', 'offered') THEN 1 ELSE 0 END), 0) AS accepted, " +
	"COALESCE(SUM(CASE WHEN x.status = 'waitlisted' THEN 1 ELSE 0 END), 0) AS waitlisted"

const statApplications = "(SELECT ar.region_code, ar.craft_code, a.status, a.chamber_recommended " +
	"FROM applications a JOIN artisans ar ON ar.id = a.artisan_id WHERE a.fair_id = ?) x"

// FairApplicationStats counts the fair's applications per region and per craft in two
// GROUP BY queries.
func FairApplicationStats(ctx context.Context, db *gorm.DB, fairID int64) (ApplicationStats, error) {
	var out ApplicationStats
	err := db.WithContext(ctx).Raw("SELECT r.code AS code, q.quota AS quota, "+statSums+
		" FROM regions r LEFT JOIN "+statApplications+" ON x.region_code = r.code"+
		" LEFT JOIN fair_region_quotas q ON q.fair_id = ? AND q.region_code = r.code"+
		" GROUP BY r.code, r.sort_order, q.quota ORDER BY r.sort_order, r.code",
		true, fairID, fairID).Scan(&out.Regions).Error
	if err != nil {
		return out, fmt.Errorf("application counts per region of fair %d: %w", fairID, translateError(err))
	}
	err = db.WithContext(ctx).Raw("SELECT x.craft_code AS code, "+statSums+
		" FROM "+statApplications+" LEFT JOIN crafts c ON c.code = x.craft_code"+
		" GROUP BY x.craft_code, c.sort_order ORDER BY COALESCE(c.sort_order, 999), x.craft_code",
		true, fairID).Scan(&out.Crafts).Error
	if err != nil {
		return out, fmt.Errorf("application counts per craft of fair %d: %w", fairID, translateError(err))
	}
	for _, r := range out.Regions {
		out.Total.Applied += r.Applied
		out.Total.Recommended += r.Recommended
		out.Total.Accepted += r.Accepted
		out.Total.Waitlisted += r.Waitlisted
	}
	return out, nil
}

// ListRegionQuotas returns the fair's quotas by region code.
func ListRegionQuotas(ctx context.Context, db *gorm.DB, fairID int64) (map[string]int, error) {
	var rows []FairRegionQuota
	if err := db.WithContext(ctx).Where("fair_id = ?", fairID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("quotas of fair %d: %w", fairID, translateError(err))
	}
	out := make(map[string]int, len(rows))
	for _, q := range rows {
		out[q.RegionCode] = q.Quota
	}
	return out, nil
}

// QuotaMax bounds a region's quota (no hall holds more stands).
const QuotaMax = 10000

// SetRegionQuotas replaces the fair's quotas: a region in the map gets its quota, a region
// left out has none. A negative quota or an unknown region is a ValidationError keyed
// "quota_<region code>".
func SetRegionQuotas(ctx context.Context, db *gorm.DB, organizer User, fairID int64, quotas map[string]int) error {
	if err := requireOrganizer(organizer); err != nil {
		return err
	}
	return WithTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := lockFair(ctx, tx, fairID); err != nil {
			return err
		}
		regions, err := ListRegions(ctx, tx)
		if err != nil {
			return err
		}
		known := map[string]bool{}
		for _, r := range regions {
			known[r.Code] = true
		}
		fields := map[string]string{}
		for code, n := range quotas {
			switch {
			case !known[code]:
				fields["quota_"+code] = "FieldInvalidChoice"
			case n < 0 || n > QuotaMax:
				fields["quota_"+code] = "QuotaInvalid"
			}
		}
		if len(fields) > 0 {
			return &ValidationError{Fields: fields}
		}
		before, err := ListRegionQuotas(ctx, tx, fairID)
		if err != nil {
			return err
		}
		if err := tx.WithContext(ctx).Where("fair_id = ?", fairID).Delete(&FairRegionQuota{}).Error; err != nil {
			return fmt.Errorf("clear quotas of fair %d: %w", fairID, translateError(err))
		}
		rows := make([]FairRegionQuota, 0, len(quotas))
		for _, r := range regions { // official order: stable inserts
			if n, ok := quotas[r.Code]; ok {
				rows = append(rows, FairRegionQuota{FairID: fairID, RegionCode: r.Code, Quota: n})
			}
		}
		if len(rows) > 0 {
			if err := tx.WithContext(ctx).Create(&rows).Error; err != nil {
				return fmt.Errorf("save quotas of fair %d: %w", fairID, translateError(err))
			}
		}
		return RecordAudit(ctx, tx, organizer.ID, "fair.set_quotas", "fair", fairID, before, quotas)
	})
}

// waitlistOrder is the order in which the waitlist is offered places (as OfferNextWaitlisted).
const waitlistOrder = "CASE WHEN a.waitlist_position IS NULL THEN 1 ELSE 0 END, a.waitlist_position, a.decided_at, a.id"

// ListWaitlist returns the fair's waitlisted applications, first in line first.
func ListWaitlist(ctx context.Context, db *gorm.DB, fairID int64) ([]FairApplicationRow, error) {
	var rows []FairApplicationRow
	err := fairApplicationsQuery(ctx, db, fairID).Where("a.status = ?", AppWaitlisted).
		Select(fairApplicationColumns).Order(waitlistOrder).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("waitlist of fair %d: %w", fairID, translateError(err))
	}
	return rows, nil
}

// Waitlist moves.
const (
	MoveUp   = "up"
	MoveDown = "down"
)

// MoveWaitlistEntry swaps a waitlisted application with its neighbour (up: towards the head
// of the line). The whole line is renumbered 1…n in the same transaction so positions stay
// unique even if older rows shared one. Moving the first up or the last down changes nothing.
func MoveWaitlistEntry(ctx context.Context, db *gorm.DB, organizer User, fairID, appID int64, direction string, now time.Time) error {
	if err := requireOrganizer(organizer); err != nil {
		return err
	}
	if direction != MoveUp && direction != MoveDown {
		return fmt.Errorf("move waitlist entry %q: %w", direction, ErrInvalidState)
	}
	return WithTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := lockFair(ctx, tx, fairID); err != nil {
			return err
		}
		app, err := getFairApplication(ctx, tx, fairID, appID)
		if err != nil {
			return err
		}
		if app.Status != AppWaitlisted {
			return fmt.Errorf("move application %d in state %s: %w", appID, app.Status, ErrInvalidState)
		}
		var line []Application
		err = tx.WithContext(ctx).Table("applications a").Select("a.id, a.waitlist_position").
			Where("a.fair_id = ? AND a.status = ?", fairID, AppWaitlisted).Order(waitlistOrder).Scan(&line).Error
		if err != nil {
			return fmt.Errorf("read waitlist of fair %d: %w", fairID, translateError(err))
		}
		i := slices.IndexFunc(line, func(a Application) bool { return a.ID == appID })
		j := i - 1
		if direction == MoveDown {
			j = i + 1
		}
		if i < 0 || j < 0 || j >= len(line) {
			return nil
		}
		line[i], line[j] = line[j], line[i]
		for k, a := range line {
			pos := k + 1
			if a.WaitlistPosition != nil && *a.WaitlistPosition == pos {
				continue
			}
			res := tx.WithContext(ctx).Model(&Application{}).Where("id = ? AND status = ?", a.ID, AppWaitlisted).
				Updates(map[string]any{"waitlist_position": pos, "updated_at": now})
			if res.Error != nil {
				return fmt.Errorf("renumber waitlist of fair %d: %w", fairID, translateError(res.Error))
			}
			if res.RowsAffected != 1 {
				return fmt.Errorf("application %d left the waitlist meanwhile: %w", a.ID, ErrConflict)
			}
		}
		return RecordAudit(ctx, tx, organizer.ID, "application.waitlist_move", "application", appID,
			map[string]any{"position": i + 1}, map[string]any{"position": j + 1, "direction": direction})
	})
}

// ExpireOffers turns the offers whose deadline has passed into offer_expired, tells the
// artisan, and offers the place to the next on the fair's waitlist — each offer in its own
// transaction. The expiry is a conditional update, so instances running it at the same time
// expire each offer exactly once. It returns how many offers this call expired.
func ExpireOffers(ctx context.Context, db *gorm.DB, now time.Time) (int, error) {
	var due []Application
	err := db.WithContext(ctx).Select("id", "fair_id").
		Where("status = ? AND offer_expires_at IS NOT NULL AND offer_expires_at <= ?", AppOffered, now).
		Order("offer_expires_at, id").Limit(500).Find(&due).Error
	if err != nil {
		return 0, fmt.Errorf("find expired offers: %w", translateError(err))
	}
	expired := 0
	for _, cand := range due {
		done := false
		err := WithTx(ctx, db, func(tx *gorm.DB) error {
			res := tx.WithContext(ctx).Model(&Application{}).
				Where("id = ? AND status = ? AND offer_expires_at <= ?", cand.ID, AppOffered, now).
				Updates(map[string]any{"status": AppOfferExpired, "updated_at": now})
			if res.Error != nil {
				return fmt.Errorf("expire offer %d: %w", cand.ID, translateError(res.Error))
			}
			if res.RowsAffected != 1 {
				return nil // taken, declined or expired by someone else meanwhile
			}
			app, err := getFairApplication(ctx, tx, cand.FairID, cand.ID)
			if err != nil {
				return err
			}
			if err := RecordAudit(ctx, tx, 0, "application.offer_expired", "application", cand.ID,
				map[string]any{"status": AppOffered, "offer_expires_at": app.OfferExpiresAt},
				map[string]any{"status": AppOfferExpired}); err != nil {
				return err
			}
			fair, err := GetFair(ctx, tx, cand.FairID)
			if err != nil {
				return err
			}
			if err := notifyArtisan(ctx, tx, app.ArtisanID, NoticeOfferExpired, map[string]string{"fair": fair.Name}); err != nil {
				return err
			}
			if _, err := OfferNextWaitlisted(ctx, tx, 0, cand.FairID, now); err != nil {
				return err
			}
			done = true
			return nil
		})
		if err != nil {
			return expired, err
		}
		if done {
			expired++
		}
	}
	return expired, nil
}

// feeOpenStatuses are the statuses in which the fee can still be arranged.
var feeOpenStatuses = []ApplicationStatus{AppSubmitted, AppChamberReviewed, AppAccepted, AppWaitlisted, AppOffered}

// SetFeeCovered marks the booth fee as paid by the chamber programme (or not). With a stand
// and a fee due, the fee becomes fee_covered; uncovering brings it back to fee_due. A fee
// already paid stays paid. The artisan is told when the fee becomes covered.
func SetFeeCovered(ctx context.Context, db *gorm.DB, organizer User, fairID, appID int64, covered bool, now time.Time) (Application, error) {
	if err := requireOrganizer(organizer); err != nil {
		return Application{}, err
	}
	var after Application
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		before, err := getFairApplication(ctx, tx, fairID, appID)
		if err != nil {
			return err
		}
		if !slices.Contains(feeOpenStatuses, before.Status) {
			return fmt.Errorf("cover fee of application %d in state %s: %w", appID, before.Status, ErrInvalidState)
		}
		if before.FeeCovered == covered {
			after = before
			return nil
		}
		cols := map[string]any{"fee_covered": covered, "updated_at": now}
		switch {
		case before.StandID == nil:
		case covered && before.FeeState == FeeDue:
			cols["fee_state"] = FeeCovered
		case !covered && before.FeeState == FeeCovered:
			cols["fee_state"] = FeeDue
		}
		res := tx.WithContext(ctx).Model(&Application{}).
			Where("id = ? AND fair_id = ? AND fee_covered = ? AND fee_state = ?", appID, fairID, before.FeeCovered, before.FeeState).
			Updates(cols)
		if res.Error != nil {
			return fmt.Errorf("cover fee of application %d: %w", appID, translateError(res.Error))
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("application %d changed meanwhile: %w", appID, ErrConflict)
		}
		if after, err = getFairApplication(ctx, tx, fairID, appID); err != nil {
			return err
		}
		if err := RecordAudit(ctx, tx, organizer.ID, "application.fee_covered", "application", appID,
			map[string]any{"fee_covered": before.FeeCovered, "fee_state": before.FeeState},
			map[string]any{"fee_covered": after.FeeCovered, "fee_state": after.FeeState}); err != nil {
			return err
		}
		if !covered {
			return nil
		}
		fair, err := GetFair(ctx, tx, fairID)
		if err != nil {
			return err
		}
		return notifyArtisan(ctx, tx, after.ArtisanID, NoticeFeeCovered, map[string]string{"fair": fair.Name, "stand": standCode(ctx, tx, after.StandID)})
	})
	if err != nil {
		return Application{}, err
	}
	return after, nil
}

// standCode names a stand for an e-mail ("" when none or unreadable).
func standCode(ctx context.Context, tx *gorm.DB, standID *int64) string {
	if standID == nil {
		return ""
	}
	var s Stand
	if err := tx.WithContext(ctx).Select("id", "code").Where("id = ?", *standID).Take(&s).Error; err != nil {
		return ""
	}
	return s.Code
}

// MarkFeePaid records a booth fee paid outside the portal (bank transfer, cash at the office)
// with a note saying how: from fee_due only, once.
func MarkFeePaid(ctx context.Context, db *gorm.DB, organizer User, fairID, appID int64, note string, now time.Time) (Application, error) {
	if err := requireOrganizer(organizer); err != nil {
		return Application{}, err
	}
	note = strings.TrimSpace(note)
	switch {
	case note == "":
		return Application{}, fieldError("fee_note", "FeeNoteRequired")
	case utf8.RuneCountInString(note) > FeeNoteMax:
		return Application{}, fieldError("fee_note", "FieldTooLong")
	}
	var after Application
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		before, err := getFairApplication(ctx, tx, fairID, appID)
		if err != nil {
			return err
		}
		if before.FeeState != FeeDue {
			return fmt.Errorf("mark fee of application %d paid from %s: %w", appID, before.FeeState, ErrInvalidState)
		}
		res := tx.WithContext(ctx).Model(&Application{}).
			Where("id = ? AND fair_id = ? AND fee_state = ?", appID, fairID, FeeDue).
			Updates(map[string]any{"fee_state": FeePaid, "fee_paid_at": now, "fee_note": note, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("mark fee of application %d paid: %w", appID, translateError(res.Error))
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("application %d changed meanwhile: %w", appID, ErrConflict)
		}
		if after, err = getFairApplication(ctx, tx, fairID, appID); err != nil {
			return err
		}
		if err := RecordAudit(ctx, tx, organizer.ID, "application.fee_paid", "application", appID,
			map[string]any{"fee_state": before.FeeState},
			map[string]any{"fee_state": after.FeeState, "fee_cents": after.FeeCents, "note": note}); err != nil {
			return err
		}
		fair, err := GetFair(ctx, tx, fairID)
		if err != nil {
			return err
		}
		return notifyArtisan(ctx, tx, after.ArtisanID, NoticeFeePaid, map[string]string{
			"fair": fair.Name, "stand": standCode(ctx, tx, after.StandID), "fee_cents": strconv.FormatInt(after.FeeCents, 10),
		})
	})
	if err != nil {
		return Application{}, err
	}
	return after, nil
}

// applicationsCSVHeader names the columns of the applications export.
var applicationsCSVHeader = []string{"id", "artisan", "region", "craft", "status", "chamber_recommended", "chamber_rank",
	"stand", "fee_state", "fee_cents", "submitted_at"}

// csvCell neutralises spreadsheet formulas: a cell starting with = + - @ (or a tab or carriage
// return, which some spreadsheets strip first) gets a leading apostrophe.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteApplicationsCSV writes the fair's applications as CSV, UTF-8 with a byte-order mark so
// spreadsheets open Arabic names correctly, row by row from the database cursor.
func WriteApplicationsCSV(ctx context.Context, db *gorm.DB, fairID int64, w io.Writer) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(applicationsCSVHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	q := fairApplicationsQuery(ctx, db, fairID).Select(fairApplicationColumns).Order(listOrder)
	rows, err := q.Rows()
	if err != nil {
		return fmt.Errorf("export applications of fair %d: %w", fairID, translateError(err))
	}
	defer rows.Close()
	for rows.Next() {
		var r FairApplicationRow
		if err := db.ScanRows(rows, &r); err != nil {
			return fmt.Errorf("export applications of fair %d: %w", fairID, translateError(err))
		}
		rec := []string{
			strconv.FormatInt(r.ID, 10), r.ArtisanName, r.RegionCode, r.CraftCode, string(r.Status),
			"", "", "", string(r.FeeState), strconv.FormatInt(r.FeeCents, 10), r.SubmittedAt.UTC().Format(time.RFC3339),
		}
		if r.ChamberRecommended != nil {
			rec[5] = map[bool]string{true: "yes", false: "no"}[*r.ChamberRecommended]
		}
		if r.ChamberRank != nil {
			rec[6] = strconv.Itoa(*r.ChamberRank)
		}
		if r.StandCode != nil {
			rec[7] = *r.StandCode
		}
		for i := range rec {
			rec[i] = csvCell(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export applications of fair %d: %w", fairID, translateError(err))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// OutboxMaxAttempts is how many times a failing e-mail is tried before it waits for a person.
const OutboxMaxAttempts = 5

// ErrMailServerDown is wrapped by a sender to say the mail server cannot be reached: the rest of
// the batch waits for the next run instead of failing one by one.
var ErrMailServerDown = errors.New("mail server unavailable")

// OutboxSender renders and sends one e-mail; it returns what was sent.
type OutboxSender func(m OutboxEmail) (subject, body string, err error)

// DeliverOutbox hands the unsent e-mails (oldest first, at most limit, fewer than
// OutboxMaxAttempts tries) to send and records each outcome. On PostgreSQL each e-mail is
// claimed with SELECT … FOR UPDATE SKIP LOCKED in its own transaction, held while it is sent,
// so instances running the delivery at once never send the same e-mail; SQLite serves one
// instance. It returns how many e-mails this call sent.
func DeliverOutbox(ctx context.Context, db *gorm.DB, limit int, now func() time.Time, send OutboxSender) (int, error) {
	var ids []int64
	err := db.WithContext(ctx).Model(&OutboxEmail{}).Where("sent_at IS NULL AND attempts < ?", OutboxMaxAttempts).
		Order("id").Limit(limit).Pluck("id", &ids).Error
	if err != nil {
		return 0, fmt.Errorf("pending outbox: %w", translateError(err))
	}
	sent := 0
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return sent, err
		}
		ok, sendErr, err := deliverOutboxEmail(ctx, db, id, now, send)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
		if errors.Is(sendErr, ErrMailServerDown) {
			return sent, sendErr
		}
	}
	return sent, nil
}

// deliverOutboxEmail sends one e-mail if no one else is sending or has sent it. sendErr is the
// sender's failure (recorded on the row); err a database failure.
func deliverOutboxEmail(ctx context.Context, db *gorm.DB, id int64, now func() time.Time, send OutboxSender) (ok bool, sendErr, err error) {
	deliver := func(tx *gorm.DB, lock bool) error {
		q := tx.WithContext(ctx)
		if lock {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var rows []OutboxEmail
		if err := q.Where("id = ? AND sent_at IS NULL", id).Limit(1).Find(&rows).Error; err != nil {
			return fmt.Errorf("claim outbox %d: %w", id, translateError(err))
		}
		if len(rows) == 0 {
			return nil // sent, or being sent by another instance
		}
		subject, body, serr := send(rows[0])
		if serr != nil {
			sendErr = serr
			return MarkOutboxFailed(ctx, tx, id, serr.Error())
		}
		marked, err := MarkOutboxSent(ctx, tx, id, subject, body, now())
		ok = marked
		return err
	}
	if Dialect(db) != DialectPostgres {
		// An SQLite transaction would hold the only write lock during the SMTP dialogue.
		return ok, sendErr, deliver(db, false)
	}
	return ok, sendErr, WithTx(ctx, db, func(tx *gorm.DB) error { return deliver(tx, true) })
}
