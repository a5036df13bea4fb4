package models

// The artisan's side of a booth application (apply, edit, withdraw, answer an offer) and the
// chamber agent's review of their region's applicants. Organizers' decisions live in
// application_review.go. Every refusal by a rule of the process is a *RuleError carrying the
// message the artisan or agent reads; every change is a conditional update in one transaction
// with its audit entry and, when it concerns the artisan, its e-mail in the outbox.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Limits of the application form.
const (
	// MotivationMinRunes is the shortest motivation accepted: a sentence, not a word.
	MotivationMinRunes = 20
	// MotivationMaxRunes bounds the motivation text.
	MotivationMaxRunes = 2000
	// PreferredZoneMaxRunes bounds the preferred zone ("près de l'entrée", "B").
	PreferredZoneMaxRunes = 40
	// MaxApplicationProducts is how many products an application may show.
	MaxApplicationProducts = 12
	// ChamberNoteMaxRunes bounds the chamber agent's note.
	ChamberNoteMaxRunes = 1000
	// MaxChamberRank bounds the rank an agent can type (a region has far fewer applicants).
	MaxChamberRank = 999
)

// ApplicationSizesM2 are the stand areas an artisan may ask for (0 = no preference).
var ApplicationSizesM2 = []int{4, 6, 9, 12, 18}

// Refusals by the rules of the application process (message ids).
const (
	MsgApplyNoProfile       = "ApplyRefusedNoProfile"
	MsgApplyNotVerified     = "ApplyRefusedNotVerified"
	MsgApplyNotYetOpen      = "ApplyRefusedNotYetOpen"
	MsgApplyClosed          = "ApplyRefusedClosed"
	MsgApplyAlreadyApplied  = "ApplyRefusedAlreadyApplied"
	MsgApplicationLocked    = "ApplicationRefusedLocked"
	MsgApplicationEditClose = "ApplicationRefusedEditClosed"
	MsgWithdrawRefused      = "ApplicationRefusedWithdraw"
	MsgOfferNotOpen         = "ApplicationRefusedNoOffer"
	MsgOfferExpired         = "ApplicationRefusedOfferExpired"
	MsgChamberReviewLocked  = "ChamberReviewRefusedLocked"
	MsgApplicationChanged   = "ApplicationRefusedChanged"
)

// RuleError is a refusal by a rule of the application process: applying outside the window,
// twice, unverified; a change from a state that does not allow it. MessageID is what the
// person reads; Err is ErrInvalidState or ErrConflict, for errors.Is.
type RuleError struct {
	MessageID string
	// AppID points to the application the refusal is about (the existing one for "already
	// applied"), 0 when none.
	AppID int64
	// OpensAt and ClosesAt are the fair's application window, for the window refusals.
	OpensAt, ClosesAt *time.Time
	Err               error
}

func (e *RuleError) Error() string { return "refused (" + e.MessageID + "): " + e.Err.Error() }

// Unwrap lets errors.Is see ErrInvalidState or ErrConflict.
func (e *RuleError) Unwrap() error { return e.Err }

func ruleError(msg string, sentinel error, appID int64) *RuleError {
	return &RuleError{MessageID: msg, Err: sentinel, AppID: appID}
}

// ApplicationInput is what an artisan fills in to apply for a booth.
type ApplicationInput struct {
	PreferredKind       string // "" or one of StandKinds
	PreferredSizeM2     int    // 0 or one of ApplicationSizesM2
	PreferredZone       string
	Motivation          string
	ProductIDs          []int64
	NeedsChamberFunding bool
}

func (in *ApplicationInput) normalize() {
	in.PreferredKind = strings.TrimSpace(in.PreferredKind)
	in.PreferredZone = strings.TrimSpace(in.PreferredZone)
	in.Motivation = strings.TrimSpace(in.Motivation)
	// A product ticked twice counts once; an unreadable id stays, to be refused as not the
	// artisan's.
	seen := map[int64]bool{}
	ids := in.ProductIDs[:0:0]
	for _, id := range in.ProductIDs {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	in.ProductIDs = ids
}

// validate checks the fields that need no database; the keys are the form's field names.
func (in ApplicationInput) validate() map[string]string {
	fields := map[string]string{}
	if in.PreferredKind != "" && !ValidStandKind(in.PreferredKind) {
		fields["preferred_kind"] = "FieldInvalidChoice"
	}
	if in.PreferredSizeM2 != 0 && !slices.Contains(ApplicationSizesM2, in.PreferredSizeM2) {
		fields["preferred_size"] = "FieldInvalidChoice"
	}
	if utf8.RuneCountInString(in.PreferredZone) > PreferredZoneMaxRunes {
		fields["preferred_zone"] = "FieldTooLong"
	}
	switch n := utf8.RuneCountInString(in.Motivation); {
	case n == 0:
		fields["motivation"] = "ApplicationMotivationRequired"
	case n < MotivationMinRunes:
		fields["motivation"] = "ApplicationMotivationTooShort"
	case n > MotivationMaxRunes:
		fields["motivation"] = "FieldTooLong"
	}
	switch n := len(in.ProductIDs); {
	case n == 0:
		fields["products"] = "ApplicationProductsRequired"
	case n > MaxApplicationProducts:
		fields["products"] = "ApplicationProductsTooMany"
	}
	return fields
}

// checkApplicationProducts refuses products that are not the artisan's own published or draft
// pieces (another artisan's id, an archived piece, a made-up id).
func checkApplicationProducts(ctx context.Context, db *gorm.DB, artisanID int64, ids []int64, fields map[string]string) error {
	if len(ids) == 0 || fields["products"] != "" {
		return nil
	}
	var n int64
	err := db.WithContext(ctx).Model(&Product{}).
		Where("artisan_id = ? AND id IN ? AND status IN ?", artisanID, ids, []ProductStatus{ProductPublished, ProductDraft}).
		Count(&n).Error
	if err != nil {
		return fmt.Errorf("check application products: %w", translateError(err))
	}
	if n != int64(len(ids)) {
		fields["products"] = "ApplicationProductsNotYours"
	}
	return nil
}

// applicantFor loads the artisan profile of an account and checks it may apply.
func applicantFor(ctx context.Context, db *gorm.DB, artisanUserID int64) (Artisan, error) {
	a, err := GetArtisanByUser(ctx, db, artisanUserID)
	if errors.Is(err, ErrNotFound) {
		return Artisan{}, ruleError(MsgApplyNoProfile, ErrInvalidState, 0)
	}
	if err != nil {
		return Artisan{}, err
	}
	if !a.Verified() {
		return Artisan{}, ruleError(MsgApplyNotVerified, ErrInvalidState, 0)
	}
	return a, nil
}

// windowError tells why a fair does not take applications now, with its window.
func windowError(f Fair, now time.Time) error {
	if f.AcceptsApplications(now) {
		return nil
	}
	msg := MsgApplyClosed
	if f.Status == FairOpen && f.ApplicationsOpenAt != nil && now.Before(*f.ApplicationsOpenAt) {
		msg = MsgApplyNotYetOpen
	}
	return &RuleError{MessageID: msg, Err: ErrInvalidState, OpensAt: f.ApplicationsOpenAt, ClosesAt: f.ApplicationsCloseAt}
}

// existingApplication returns the id of the artisan's application to the fair, 0 when none.
func existingApplication(ctx context.Context, db *gorm.DB, fairID, artisanID int64) (int64, error) {
	var ids []int64
	err := db.WithContext(ctx).Model(&Application{}).Where("fair_id = ? AND artisan_id = ?", fairID, artisanID).
		Limit(1).Pluck("id", &ids).Error
	if err != nil {
		return 0, fmt.Errorf("find application to fair %d: %w", fairID, translateError(err))
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

func setApplicationProducts(ctx context.Context, tx *gorm.DB, appID int64, ids []int64) error {
	if err := tx.WithContext(ctx).Where("application_id = ?", appID).Delete(&ApplicationProduct{}).Error; err != nil {
		return fmt.Errorf("clear products of application %d: %w", appID, translateError(err))
	}
	rows := make([]ApplicationProduct, len(ids))
	for i, id := range ids {
		rows[i] = ApplicationProduct{ApplicationID: appID, ProductID: id}
	}
	if len(rows) == 0 {
		return nil
	}
	if err := tx.WithContext(ctx).Create(&rows).Error; err != nil {
		return fmt.Errorf("save products of application %d: %w", appID, translateError(err))
	}
	return nil
}

// applicationAuditView is what the audit log keeps of an application's form.
func applicationAuditView(a Application, products []int64) map[string]any {
	return map[string]any{
		"status": a.Status, "preferred_kind": a.PreferredKind, "preferred_size_m2": a.PreferredSizeM2,
		"preferred_zone": a.PreferredZone, "needs_chamber_funding": a.NeedsChamberFunding, "products": products,
		"motivation_chars": utf8.RuneCountInString(a.Motivation),
	}
}

// Apply submits a verified artisan's application to a fair whose window is open. One
// application per artisan and fair: the unique (fair_id, artisan_id) index makes a double
// submit — even concurrent ones — end in one row, and the other gets a RuleError pointing to
// it. Rule violations are checked before the form, so a closed fair never asks for a motivation.
func Apply(ctx context.Context, db *gorm.DB, artisanUserID, fairID int64, in ApplicationInput, now time.Time) (Application, error) {
	now = now.UTC()
	in.normalize()
	artisan, err := applicantFor(ctx, db, artisanUserID)
	if err != nil {
		return Application{}, err
	}
	var fair Fair
	if err := db.WithContext(ctx).Where("id = ? AND status <> ?", fairID, FairDraft).Take(&fair).Error; err != nil {
		return Application{}, fmt.Errorf("apply to fair %d: %w", fairID, translateError(err))
	}
	if err := windowError(fair, now); err != nil {
		return Application{}, err
	}
	already := func() error {
		id, err := existingApplication(ctx, db, fairID, artisan.ID)
		if err != nil {
			return err
		}
		if id == 0 {
			return nil
		}
		return ruleError(MsgApplyAlreadyApplied, ErrConflict, id)
	}
	if err := already(); err != nil {
		return Application{}, err
	}
	fields := in.validate()
	if err := checkApplicationProducts(ctx, db, artisan.ID, in.ProductIDs, fields); err != nil {
		return Application{}, err
	}
	if len(fields) > 0 {
		return Application{}, &ValidationError{Fields: fields}
	}
	app := Application{
		FairID: fairID, ArtisanID: artisan.ID, Status: AppSubmitted, PreferredKind: in.PreferredKind,
		PreferredSizeM2: in.PreferredSizeM2, PreferredZone: in.PreferredZone, Motivation: in.Motivation,
		NeedsChamberFunding: in.NeedsChamberFunding, FeeState: FeeNone, SubmittedAt: now, CreatedAt: now, UpdatedAt: now,
	}
	err = WithTx(ctx, db, func(tx *gorm.DB) error {
		if err := tx.WithContext(ctx).Create(&app).Error; err != nil {
			return fmt.Errorf("create application: %w", translateError(err))
		}
		if err := setApplicationProducts(ctx, tx, app.ID, in.ProductIDs); err != nil {
			return err
		}
		if err := RecordAudit(ctx, tx, artisanUserID, "application.submit", "application", app.ID,
			nil, applicationAuditView(app, in.ProductIDs)); err != nil {
			return err
		}
		return notifyArtisan(ctx, tx, artisan.ID, NoticeApplicationReceived, map[string]string{"fair": fair.Name})
	})
	if errors.Is(err, ErrConflict) {
		// Another submit of the same artisan won the unique index: point to its row.
		if rerr := already(); rerr != nil {
			return Application{}, rerr
		}
	}
	if err != nil {
		return Application{}, err
	}
	return app, nil
}

// ownApplication loads an application of the artisan behind the account, locked for the rest
// of the transaction on PostgreSQL (SQLite transactions take the write lock when they begin).
// Another artisan's application, or none, is ErrNotFound.
func ownApplication(ctx context.Context, tx *gorm.DB, artisanUserID, appID int64, lock bool) (Application, Artisan, error) {
	a, err := GetArtisanByUser(ctx, tx, artisanUserID)
	if err != nil {
		return Application{}, Artisan{}, fmt.Errorf("application %d: %w", appID, err)
	}
	var app Application
	if err := tx.WithContext(ctx).Where("id = ? AND artisan_id = ?", appID, a.ID).Take(&app).Error; err != nil {
		return Application{}, Artisan{}, fmt.Errorf("application %d: %w", appID, translateError(err))
	}
	if !lock || Dialect(tx) != DialectPostgres {
		return app, a, nil
	}
	if err := lockFairDecisions(ctx, tx, app.FairID); err != nil {
		return Application{}, Artisan{}, err
	}
	err = tx.WithContext(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("id = ? AND artisan_id = ?", appID, a.ID).Take(&app).Error
	if err != nil {
		return Application{}, Artisan{}, fmt.Errorf("lock application %d: %w", appID, translateError(err))
	}
	return app, a, nil
}

// lockFairDecisions takes the fair's row lock on PostgreSQL, as the organizers' decisions do,
// so the changes of a fair's applications (places, waitlist, chamber ranking) run one after the
// other and always lock the fair before the applications (no deadlock). NO KEY UPDATE leaves
// new applications (whose foreign key only shares the row) free to arrive meanwhile.
func lockFairDecisions(ctx context.Context, tx *gorm.DB, fairID int64) error {
	if Dialect(tx) != DialectPostgres {
		return nil // SQLite transactions are serialized (_txlock=immediate)
	}
	var id int64
	err := tx.WithContext(ctx).Model(&Fair{}).Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).
		Where("id = ?", fairID).Select("id").Take(&id).Error
	if err != nil {
		return fmt.Errorf("lock fair %d: %w", fairID, translateError(err))
	}
	return nil
}

func fairName(ctx context.Context, tx *gorm.DB, fairID int64) (Fair, error) {
	var f Fair
	if err := tx.WithContext(ctx).Where("id = ?", fairID).Take(&f).Error; err != nil {
		return Fair{}, fmt.Errorf("fair %d: %w", fairID, translateError(err))
	}
	return f, nil
}

func applicationProductIDs(ctx context.Context, db *gorm.DB, appID int64) ([]int64, error) {
	var ids []int64
	err := db.WithContext(ctx).Model(&ApplicationProduct{}).Where("application_id = ?", appID).
		Order("product_id").Pluck("product_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("products of application %d: %w", appID, translateError(err))
	}
	return ids, nil
}

// UpdateApplication changes the artisan's own application while it is still "submitted" and
// the fair's window is open: once the chamber has reviewed it, or the call has closed, it is
// locked (the reviewers must read what was submitted).
func UpdateApplication(ctx context.Context, db *gorm.DB, artisanUserID, appID int64, in ApplicationInput, now time.Time) (Application, error) {
	now = now.UTC()
	in.normalize()
	before, artisan, err := ownApplication(ctx, db, artisanUserID, appID, false)
	if err != nil {
		return Application{}, err
	}
	if before.Status != AppSubmitted {
		return Application{}, ruleError(MsgApplicationLocked, ErrInvalidState, appID)
	}
	fair, err := fairName(ctx, db, before.FairID)
	if err != nil {
		return Application{}, err
	}
	if !fair.AcceptsApplications(now) {
		return Application{}, &RuleError{MessageID: MsgApplicationEditClose, AppID: appID, Err: ErrInvalidState,
			OpensAt: fair.ApplicationsOpenAt, ClosesAt: fair.ApplicationsCloseAt}
	}
	fields := in.validate()
	if err := checkApplicationProducts(ctx, db, artisan.ID, in.ProductIDs, fields); err != nil {
		return Application{}, err
	}
	if len(fields) > 0 {
		return Application{}, &ValidationError{Fields: fields}
	}
	var after Application
	err = WithTx(ctx, db, func(tx *gorm.DB) error {
		oldProducts, err := applicationProductIDs(ctx, tx, appID)
		if err != nil {
			return err
		}
		res := tx.WithContext(ctx).Model(&Application{}).
			Where("id = ? AND artisan_id = ? AND status = ?", appID, artisan.ID, AppSubmitted).
			Updates(map[string]any{
				"preferred_kind": in.PreferredKind, "preferred_size_m2": in.PreferredSizeM2, "preferred_zone": in.PreferredZone,
				"motivation": in.Motivation, "needs_chamber_funding": in.NeedsChamberFunding, "updated_at": now,
			})
		if res.Error != nil {
			return fmt.Errorf("update application %d: %w", appID, translateError(res.Error))
		}
		if res.RowsAffected != 1 {
			return ruleError(MsgApplicationLocked, ErrInvalidState, appID) // reviewed meanwhile
		}
		if err := setApplicationProducts(ctx, tx, appID, in.ProductIDs); err != nil {
			return err
		}
		if err := tx.WithContext(ctx).Where("id = ?", appID).Take(&after).Error; err != nil {
			return fmt.Errorf("reload application %d: %w", appID, translateError(err))
		}
		return RecordAudit(ctx, tx, artisanUserID, "application.update", "application", appID,
			applicationAuditView(before, oldProducts), applicationAuditView(after, in.ProductIDs))
	})
	if err != nil {
		return Application{}, err
	}
	return after, nil
}

// withdrawableStatuses are the states an artisan may withdraw from: anything still in play.
var withdrawableStatuses = []ApplicationStatus{AppSubmitted, AppChamberReviewed, AppWaitlisted, AppOffered, AppAccepted}

// CanWithdraw tells whether the artisan may still withdraw the application.
func (a Application) CanWithdraw() bool { return slices.Contains(withdrawableStatuses, a.Status) }

// CanEdit tells whether the artisan may still change the application (the window is checked
// when saving).
func (a Application) CanEdit() bool { return a.Status == AppSubmitted }

// OfferOpen tells whether a place is offered and its deadline has not passed.
func (a Application) OfferOpen(now time.Time) bool {
	return a.Status == AppOffered && (a.OfferExpiresAt == nil || now.Before(*a.OfferExpiresAt))
}

// WithdrawApplication withdraws the artisan's own application from any state still in play.
// A stand it held is freed, and when it held or was offered a place, the first waitlisted
// artisan is offered that place — all in one transaction.
func WithdrawApplication(ctx context.Context, db *gorm.DB, artisanUserID, appID int64, now time.Time) (Application, error) {
	now = now.UTC()
	var after Application
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		before, artisan, err := ownApplication(ctx, tx, artisanUserID, appID, true)
		if err != nil {
			return err
		}
		if !before.CanWithdraw() {
			return ruleError(MsgWithdrawRefused, ErrInvalidState, appID)
		}
		after, err = leaveApplication(ctx, tx, artisanUserID, artisan, before, "application.withdraw", now)
		return err
	})
	if err != nil {
		return Application{}, err
	}
	return after, nil
}

// leaveApplication moves an application to withdrawn inside tx: frees its stand, offers the
// place on when it had one, records the audit entry and the artisan's notice.
func leaveApplication(ctx context.Context, tx *gorm.DB, actorID int64, artisan Artisan, before Application, action string, now time.Time) (Application, error) {
	freedStand, err := ReleaseApplicationStand(ctx, tx, before.ID, now)
	if err != nil {
		return Application{}, err
	}
	res := tx.WithContext(ctx).Model(&Application{}).
		Where("id = ? AND artisan_id = ? AND status = ?", before.ID, artisan.ID, before.Status).
		Updates(map[string]any{"status": AppWithdrawn, "withdrawn_at": now, "updated_at": now})
	if res.Error != nil {
		return Application{}, fmt.Errorf("withdraw application %d: %w", before.ID, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return Application{}, ruleError(MsgApplicationChanged, ErrConflict, before.ID)
	}
	var after Application
	if err := tx.WithContext(ctx).Where("id = ?", before.ID).Take(&after).Error; err != nil {
		return Application{}, fmt.Errorf("reload application %d: %w", before.ID, translateError(err))
	}
	auditAfter := map[string]any{"status": after.Status, "stand_id": after.StandID, "fee_state": after.FeeState}
	if before.Status == AppAccepted || before.Status == AppOffered {
		next, err := OfferNextWaitlisted(ctx, tx, actorID, before.FairID, now)
		if err != nil {
			return Application{}, err
		}
		if next != nil {
			auditAfter["place_offered_to"] = next.ID
		}
	}
	if err := RecordAudit(ctx, tx, actorID, action, "application", before.ID,
		map[string]any{"status": before.Status, "stand_id": before.StandID, "fee_state": before.FeeState, "freed_stand": freedStand},
		auditAfter); err != nil {
		return Application{}, err
	}
	fair, err := fairName(ctx, tx, before.FairID)
	if err != nil {
		return Application{}, err
	}
	return after, notifyArtisan(ctx, tx, artisan.ID, NoticeApplicationWithdrawn, map[string]string{"fair": fair.Name})
}

// openOffer loads the artisan's application and checks a place is offered and still open.
func openOffer(ctx context.Context, tx *gorm.DB, artisanUserID, appID int64, now time.Time) (Application, Artisan, error) {
	app, artisan, err := ownApplication(ctx, tx, artisanUserID, appID, true)
	if err != nil {
		return Application{}, Artisan{}, err
	}
	if app.Status != AppOffered {
		return Application{}, Artisan{}, ruleError(MsgOfferNotOpen, ErrInvalidState, appID)
	}
	if !app.OfferOpen(now) {
		// The organizers' sweep moves the place on; the artisan can no longer take it.
		return Application{}, Artisan{}, ruleError(MsgOfferExpired, ErrInvalidState, appID)
	}
	return app, artisan, nil
}

// AcceptOffer takes the place offered to a waitlisted artisan, before its deadline.
func AcceptOffer(ctx context.Context, db *gorm.DB, artisanUserID, appID int64, now time.Time) (Application, error) {
	now = now.UTC()
	var after Application
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		before, artisan, err := openOffer(ctx, tx, artisanUserID, appID, now)
		if err != nil {
			return err
		}
		res := tx.WithContext(ctx).Model(&Application{}).
			Where("id = ? AND artisan_id = ? AND status = ?", appID, artisan.ID, AppOffered).
			Updates(map[string]any{"status": AppAccepted, "waitlist_position": nil, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("accept offer %d: %w", appID, translateError(res.Error))
		}
		if res.RowsAffected != 1 {
			return ruleError(MsgApplicationChanged, ErrConflict, appID)
		}
		if err := tx.WithContext(ctx).Where("id = ?", appID).Take(&after).Error; err != nil {
			return fmt.Errorf("reload application %d: %w", appID, translateError(err))
		}
		if err := RecordAudit(ctx, tx, artisanUserID, "application.accept_offer", "application", appID,
			map[string]any{"status": before.Status, "offer_expires_at": before.OfferExpiresAt},
			map[string]any{"status": after.Status}); err != nil {
			return err
		}
		fair, err := fairName(ctx, tx, before.FairID)
		if err != nil {
			return err
		}
		return notifyArtisan(ctx, tx, artisan.ID, NoticeApplicationAccepted, map[string]string{"fair": fair.Name, "via": "offer"})
	})
	if err != nil {
		return Application{}, err
	}
	return after, nil
}

// DeclineOffer turns down the place offered, before its deadline: the application is
// withdrawn and the place goes to the next waitlisted artisan.
func DeclineOffer(ctx context.Context, db *gorm.DB, artisanUserID, appID int64, now time.Time) (Application, error) {
	now = now.UTC()
	var after Application
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		before, artisan, err := openOffer(ctx, tx, artisanUserID, appID, now)
		if err != nil {
			return err
		}
		after, err = leaveApplication(ctx, tx, artisanUserID, artisan, before, "application.decline_offer", now)
		return err
	})
	if err != nil {
		return Application{}, err
	}
	return after, nil
}

// ---- Chamber review ----

// chamberReviewableStatuses: the agent may review, and revise, until the organizers decide.
var chamberReviewableStatuses = []ApplicationStatus{AppSubmitted, AppChamberReviewed}

// ChamberCanReview tells whether the chamber may still review or revise the application.
func (a Application) ChamberCanReview() bool {
	return slices.Contains(chamberReviewableStatuses, a.Status)
}

// agentRegionCode is the region of a chamber agent; anyone else sees nothing.
func agentRegionCode(agent User) (string, error) {
	if agent.Role != RoleChamber || agent.RegionCode == nil || *agent.RegionCode == "" {
		return "", fmt.Errorf("not a chamber agent: %w", ErrNotFound)
	}
	return *agent.RegionCode, nil
}

// regionApplication loads an application whose artisan belongs to the region (another
// region's application is ErrNotFound).
func regionApplication(ctx context.Context, db *gorm.DB, region string, appID int64, lock bool) (Application, error) {
	q := db.WithContext(ctx).Where("id = ? AND artisan_id IN (?)", appID,
		db.Session(&gorm.Session{NewDB: true}).Model(&Artisan{}).Select("id").Where("region_code = ?", region))
	if lock && Dialect(db) == DialectPostgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var app Application
	if err := q.Take(&app).Error; err != nil {
		return Application{}, fmt.Errorf("application %d of region %s: %w", appID, region, translateError(err))
	}
	return app, nil
}

// ChamberReview records the chamber agent's recommendation on an application of their region,
// or revises it until the organizers decide. Recommending needs a rank ≥ 1, unique among the
// region's recommended applicants to the fair: the application is inserted at that rank and
// the others keep their order, renumbered 1…n in the same transaction (an agent who puts
// someone at rank 1 moves everyone else down). Not recommending needs a note and leaves the
// ranking. Another region's application is ErrNotFound and nothing changes.
func ChamberReview(ctx context.Context, db *gorm.DB, agent User, appID int64, recommend bool, rank int, note string, now time.Time) (Application, error) {
	now = now.UTC()
	note = strings.TrimSpace(note)
	region, err := agentRegionCode(agent)
	if err != nil {
		return Application{}, err
	}
	// Existence first: an invalid form about another region's application must not reveal it.
	before, err := regionApplication(ctx, db, region, appID, false)
	if err != nil {
		return Application{}, err
	}
	fields := map[string]string{}
	if recommend && rank < 1 {
		fields["rank"] = "ChamberRankRequired"
	}
	if recommend && rank > MaxChamberRank {
		fields["rank"] = "ChamberRankInvalid"
	}
	if !recommend && note == "" {
		fields["note"] = "ChamberNoteRequired"
	}
	if utf8.RuneCountInString(note) > ChamberNoteMaxRunes {
		fields["note"] = "FieldTooLong"
	}
	if !before.ChamberCanReview() {
		return Application{}, ruleError(MsgChamberReviewLocked, ErrInvalidState, appID)
	}
	if len(fields) > 0 {
		return Application{}, &ValidationError{Fields: fields}
	}
	var after Application
	err = WithTx(ctx, db, func(tx *gorm.DB) error {
		// One ranking of the fair at a time: two agents re-ranking at once would otherwise
		// both renumber from the old order.
		if err := lockFairDecisions(ctx, tx, before.FairID); err != nil {
			return err
		}
		cur, err := regionApplication(ctx, tx, region, appID, true)
		if err != nil {
			return err
		}
		if !cur.ChamberCanReview() {
			return ruleError(MsgChamberReviewLocked, ErrInvalidState, appID)
		}
		res := tx.WithContext(ctx).Model(&Application{}).
			Where("id = ? AND status IN ?", appID, chamberReviewableStatuses).
			Updates(map[string]any{
				"status": AppChamberReviewed, "chamber_recommended": recommend, "chamber_rank": nil,
				"chamber_note": note, "chamber_reviewed_by": agent.ID, "chamber_reviewed_at": now, "updated_at": now,
			})
		if res.Error != nil {
			return fmt.Errorf("review application %d: %w", appID, translateError(res.Error))
		}
		if res.RowsAffected != 1 {
			return ruleError(MsgChamberReviewLocked, ErrInvalidState, appID)
		}
		reranked, err := rerankRegion(ctx, tx, cur.FairID, region, appID, recommend, rank, now)
		if err != nil {
			return err
		}
		if err := tx.WithContext(ctx).Where("id = ?", appID).Take(&after).Error; err != nil {
			return fmt.Errorf("reload application %d: %w", appID, translateError(err))
		}
		if err := RecordAudit(ctx, tx, agent.ID, "application.chamber_review", "application", appID,
			map[string]any{"status": cur.Status, "chamber_recommended": cur.ChamberRecommended, "chamber_rank": cur.ChamberRank, "chamber_note": cur.ChamberNote},
			map[string]any{"status": after.Status, "chamber_recommended": after.ChamberRecommended, "chamber_rank": after.ChamberRank,
				"chamber_note": after.ChamberNote, "reranked": reranked}); err != nil {
			return err
		}
		if cur.Status != AppSubmitted {
			return nil // a revision: the artisan already knows their chamber reviewed them
		}
		fair, err := fairName(ctx, tx, cur.FairID)
		if err != nil {
			return err
		}
		// The recommendation itself is internal: the artisan hears that the chamber reviewed.
		return notifyArtisan(ctx, tx, cur.ArtisanID, NoticeChamberReviewed, map[string]string{"fair": fair.Name})
	})
	if err != nil {
		return Application{}, err
	}
	return after, nil
}

// rerankRegion renumbers the region's recommended applications to the fair 1…n, placing appID
// at rank (when recommended) and keeping the others' order. Withdrawn applications leave the
// ranking. It returns the ranks it changed of the other applications (id → new rank).
func rerankRegion(ctx context.Context, tx *gorm.DB, fairID int64, region string, appID int64, recommend bool, rank int, now time.Time) (map[int64]int, error) {
	var pool []Application
	err := tx.WithContext(ctx).
		Where("fair_id = ? AND id <> ? AND chamber_recommended = ? AND status <> ?", fairID, appID, true, AppWithdrawn).
		Where("artisan_id IN (?)", tx.Session(&gorm.Session{NewDB: true}).Model(&Artisan{}).Select("id").Where("region_code = ?", region)).
		Find(&pool).Error
	if err != nil {
		return nil, fmt.Errorf("read ranking of fair %d: %w", fairID, translateError(err))
	}
	sort.SliceStable(pool, func(i, j int) bool {
		ri, rj := rankOrMax(pool[i].ChamberRank), rankOrMax(pool[j].ChamberRank)
		if ri != rj {
			return ri < rj
		}
		if !pool[i].SubmittedAt.Equal(pool[j].SubmittedAt) {
			return pool[i].SubmittedAt.Before(pool[j].SubmittedAt)
		}
		return pool[i].ID < pool[j].ID
	})
	order := make([]int64, 0, len(pool)+1)
	for _, a := range pool {
		order = append(order, a.ID)
	}
	if recommend {
		at := min(rank, len(order)+1) - 1
		order = slices.Insert(order, at, appID)
	}
	old := make(map[int64]*int, len(pool))
	for _, a := range pool {
		old[a.ID] = a.ChamberRank
	}
	changed := map[int64]int{}
	for i, id := range order {
		r := i + 1
		if id != appID {
			if o := old[id]; o != nil && *o == r {
				continue
			}
			changed[id] = r
		}
		err := tx.WithContext(ctx).Model(&Application{}).Where("id = ?", id).
			Updates(map[string]any{"chamber_rank": r, "updated_at": now}).Error
		if err != nil {
			return nil, fmt.Errorf("rank application %d: %w", id, translateError(err))
		}
	}
	return changed, nil
}

func rankOrMax(r *int) int {
	if r == nil {
		return int(^uint(0) >> 1)
	}
	return *r
}

// ---- Reading ----

// ArtisanApplicationRow is one of an artisan's applications, with its fair and stand.
type ArtisanApplicationRow struct {
	Application
	FairName     string
	FairSlug     string
	FairCity     string
	FairCountry  string
	FairStatus   FairStatus
	FairTimezone string
	FairStartsOn time.Time
	FairEndsOn   time.Time
	StandCode    string
	ProductCount int
}

// applicationRowsQuery selects applications with their fair, stand and product count.
func applicationRowsQuery(ctx context.Context, db *gorm.DB) *gorm.DB {
	return db.WithContext(ctx).Table("applications").
		Select("applications.*, f.name AS fair_name, f.slug AS fair_slug, f.city AS fair_city, f.country AS fair_country, " +
			"f.status AS fair_status, f.timezone AS fair_timezone, f.starts_on AS fair_starts_on, f.ends_on AS fair_ends_on, " +
			"COALESCE(s.code, '') AS stand_code, " +
			"(SELECT count(*) FROM application_products ap WHERE ap.application_id = applications.id) AS product_count").
		Joins("JOIN fairs f ON f.id = applications.fair_id").
		Joins("LEFT JOIN stands s ON s.id = applications.stand_id")
}

// ListArtisanApplications lists the applications of the artisan behind the account, the
// latest fair first; an account without a profile has none.
func ListArtisanApplications(ctx context.Context, db *gorm.DB, artisanUserID int64) ([]ArtisanApplicationRow, error) {
	var out []ArtisanApplicationRow
	err := applicationRowsQuery(ctx, db).
		Where("applications.artisan_id IN (?)", db.Session(&gorm.Session{NewDB: true}).Model(&Artisan{}).Select("id").Where("user_id = ?", artisanUserID)).
		Order("f.starts_on DESC, applications.id DESC").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list applications of user %d: %w", artisanUserID, translateError(err))
	}
	return out, nil
}

// ApplicationDetail is one application with everything its pages show.
type ApplicationDetail struct {
	ArtisanApplicationRow
	Fair     Fair
	Artisan  Artisan
	Stand    *Stand
	Products []OwnProduct
	// History is the application's life from the audit log: states and stand changes only
	// (never the chamber's recommendation or notes).
	History []ApplicationEvent
}

// ApplicationEvent is one step of an application's life.
type ApplicationEvent struct {
	At     time.Time
	Status ApplicationStatus // the state reached ("" for a stand change)
	Stand  string            // the stand assigned, for a stand change
	Action string
}

func loadApplicationDetail(ctx context.Context, db *gorm.DB, q *gorm.DB, appID int64) (ApplicationDetail, error) {
	var d ApplicationDetail
	if err := q.Where("applications.id = ?", appID).Take(&d.ArtisanApplicationRow).Error; err != nil {
		return ApplicationDetail{}, fmt.Errorf("application %d: %w", appID, translateError(err))
	}
	var err error
	if d.Fair, err = fairName(ctx, db, d.FairID); err != nil {
		return ApplicationDetail{}, err
	}
	if err := db.WithContext(ctx).Where("id = ?", d.ArtisanID).Take(&d.Artisan).Error; err != nil {
		return ApplicationDetail{}, fmt.Errorf("artisan of application %d: %w", appID, translateError(err))
	}
	if d.StandID != nil {
		var s Stand
		if err := db.WithContext(ctx).Where("id = ?", *d.StandID).Take(&s).Error; err != nil {
			return ApplicationDetail{}, fmt.Errorf("stand of application %d: %w", appID, translateError(err))
		}
		d.Stand = &s
	}
	ids, err := applicationProductIDs(ctx, db, appID)
	if err != nil {
		return ApplicationDetail{}, err
	}
	if len(ids) > 0 {
		all, err := ListOwnProducts(ctx, db, d.ArtisanID)
		if err != nil {
			return ApplicationDetail{}, err
		}
		for _, p := range all {
			if slices.Contains(ids, p.ID) {
				d.Products = append(d.Products, p)
			}
		}
	}
	if d.History, err = applicationHistory(ctx, db, d.Application); err != nil {
		return ApplicationDetail{}, err
	}
	return d, nil
}

// applicationHistory reads the state changes of an application from the audit log, so every
// decision (the artisan's, the chamber's, the organizers') shows with its date.
func applicationHistory(ctx context.Context, db *gorm.DB, app Application) ([]ApplicationEvent, error) {
	var entries []AuditEntry
	if err := db.WithContext(ctx).Where("subject = ? AND subject_id = ?", "application", app.ID).Order("id").Find(&entries).Error; err != nil {
		return nil, fmt.Errorf("history of application %d: %w", app.ID, translateError(err))
	}
	var out []ApplicationEvent
	for _, e := range entries {
		var before, after map[string]any
		_ = json.Unmarshal([]byte(e.Before), &before) // written by RecordAudit: objects or empty
		_ = json.Unmarshal([]byte(e.After), &after)
		ev := ApplicationEvent{At: e.CreatedAt, Action: e.Action}
		if s, ok := after["status"].(string); ok {
			was, _ := before["status"].(string)
			if s != was || e.Action == "application.submit" {
				ev.Status = ApplicationStatus(s)
			}
		}
		if code, ok := after["stand"].(string); ok {
			ev.Stand = code
		}
		if ev.Status == "" && ev.Stand == "" {
			continue // an edit, a re-ranking, a fee note: not a step of the life
		}
		out = append(out, ev)
	}
	if len(out) == 0 {
		out = historyFromDates(app) // rows written without the audit log (demo data, imports)
	}
	return out, nil
}

// historyFromDates rebuilds what it can of an application's life from its own dates.
func historyFromDates(app Application) []ApplicationEvent {
	out := []ApplicationEvent{{At: app.SubmittedAt, Status: AppSubmitted, Action: "application.submit"}}
	if app.ChamberReviewedAt != nil {
		out = append(out, ApplicationEvent{At: *app.ChamberReviewedAt, Status: AppChamberReviewed})
	}
	if app.DecidedAt != nil && slices.Contains([]ApplicationStatus{AppAccepted, AppWaitlisted, AppRejected, AppReleased}, app.Status) {
		out = append(out, ApplicationEvent{At: *app.DecidedAt, Status: app.Status})
	}
	if app.WithdrawnAt != nil {
		out = append(out, ApplicationEvent{At: *app.WithdrawnAt, Status: AppWithdrawn})
	}
	return out
}

// GetArtisanApplication loads one of the artisan's own applications; another artisan's id is
// ErrNotFound.
func GetArtisanApplication(ctx context.Context, db *gorm.DB, artisanUserID, appID int64) (ApplicationDetail, error) {
	q := applicationRowsQuery(ctx, db).
		Where("applications.artisan_id IN (?)", db.Session(&gorm.Session{NewDB: true}).Model(&Artisan{}).Select("id").Where("user_id = ?", artisanUserID))
	return loadApplicationDetail(ctx, db, q, appID)
}

// ChamberApplicationRow is one applicant of the agent's region to a fair.
type ChamberApplicationRow struct {
	Application
	BusinessName  string
	ArtisanSlug   string
	ArtisanKind   string
	CraftCode     string
	City          string
	ArtisanStatus ArtisanStatus
	ProductCount  int
}

// ListChamberApplications lists the applications of the agent's region to a fair: the
// recommended ones by rank, then the others by submission; withdrawn ones last.
func ListChamberApplications(ctx context.Context, db *gorm.DB, agent User, fairID int64) ([]ChamberApplicationRow, error) {
	region, err := agentRegionCode(agent)
	if err != nil {
		return nil, err
	}
	var out []ChamberApplicationRow
	err = db.WithContext(ctx).Table("applications").
		Select("applications.*, ar.business_name, ar.slug AS artisan_slug, ar.kind AS artisan_kind, ar.craft_code, ar.city, "+
			"ar.status AS artisan_status, "+
			"(SELECT count(*) FROM application_products ap WHERE ap.application_id = applications.id) AS product_count").
		Joins("JOIN artisans ar ON ar.id = applications.artisan_id").
		Where("applications.fair_id = ? AND ar.region_code = ?", fairID, region).
		Order("CASE WHEN applications.status = 'withdrawn' THEN 1 ELSE 0 END, " +
			"CASE WHEN applications.chamber_rank IS NULL THEN 1 ELSE 0 END, applications.chamber_rank, " +
			"applications.submitted_at, applications.id").
		Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list applications of %s to fair %d: %w", region, fairID, translateError(err))
	}
	return out, nil
}

// GetChamberApplication loads an application of the agent's region; another region's is
// ErrNotFound.
func GetChamberApplication(ctx context.Context, db *gorm.DB, agent User, appID int64) (ApplicationDetail, error) {
	region, err := agentRegionCode(agent)
	if err != nil {
		return ApplicationDetail{}, err
	}
	q := applicationRowsQuery(ctx, db).
		Where("applications.artisan_id IN (?)", db.Session(&gorm.Session{NewDB: true}).Model(&Artisan{}).Select("id").Where("region_code = ?", region))
	return loadApplicationDetail(ctx, db, q, appID)
}

// ChamberFair is a fair with applications from the agent's region.
type ChamberFair struct {
	Fair
	Applications int // from the region, withdrawn ones included
	ToReview     int // still waiting for the chamber
}

// ListChamberFairs lists the fairs that have applications from the agent's region, the latest
// first.
func ListChamberFairs(ctx context.Context, db *gorm.DB, agent User) ([]ChamberFair, error) {
	region, err := agentRegionCode(agent)
	if err != nil {
		return nil, err
	}
	var counts []struct {
		FairID   int64
		N        int
		ToReview int
	}
	err = db.WithContext(ctx).Table("applications").
		Select("applications.fair_id, count(*) AS n, sum(CASE WHEN applications.status = 'submitted' THEN 1 ELSE 0 END) AS to_review").
		Joins("JOIN artisans ar ON ar.id = applications.artisan_id").
		Where("ar.region_code = ?", region).Group("applications.fair_id").Scan(&counts).Error
	if err != nil {
		return nil, fmt.Errorf("count applications of %s: %w", region, translateError(err))
	}
	if len(counts) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(counts))
	for i, c := range counts {
		ids[i] = c.FairID
	}
	var fairs []Fair
	if err := db.WithContext(ctx).Where("id IN ?", ids).Order("starts_on DESC, id DESC").Find(&fairs).Error; err != nil {
		return nil, fmt.Errorf("fairs of %s: %w", region, translateError(err))
	}
	out := make([]ChamberFair, len(fairs))
	for i, f := range fairs {
		out[i].Fair = f
		for _, c := range counts {
			if c.FairID == f.ID {
				out[i].Applications, out[i].ToReview = c.N, c.ToReview
			}
		}
	}
	return out, nil
}

// DefaultChamberFair picks the fair the agent's list opens on: the latest fair whose call is
// open or just closed (where ranking matters), else the latest one.
func DefaultChamberFair(fairs []ChamberFair) (ChamberFair, bool) {
	for _, f := range fairs {
		if f.Status == FairOpen || f.Status == FairClosed {
			return f, true
		}
	}
	if len(fairs) > 0 {
		return fairs[0], true
	}
	return ChamberFair{}, false
}

// ListOpenFairs returns the fairs taking applications now, soonest first.
func ListOpenFairs(ctx context.Context, db *gorm.DB, now time.Time) ([]Fair, error) {
	var all []Fair
	if err := db.WithContext(ctx).Where("status = ?", FairOpen).Order("starts_on, id").Find(&all).Error; err != nil {
		return nil, fmt.Errorf("list open fairs: %w", translateError(err))
	}
	out := all[:0]
	for _, f := range all {
		if f.AcceptsApplications(now) {
			out = append(out, f)
		}
	}
	return out, nil
}
