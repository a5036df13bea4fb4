package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// OfferWindow is how long a waitlisted artisan has to take a freed place before it moves on.
const OfferWindow = 72 * time.Hour

// ErrStandTaken is returned when the stand went to another application first.
var ErrStandTaken = fmt.Errorf("stand already assigned: %w", ErrConflict)

// ErrStandBlocked is returned when the stand cannot be allocated (blocked by the organizers).
var ErrStandBlocked = fmt.Errorf("stand blocked: %w", ErrInvalidState)

// getFairApplication loads an application of a fair (another fair's id is not found).
func getFairApplication(ctx context.Context, db *gorm.DB, fairID, appID int64) (Application, error) {
	var a Application
	if err := db.WithContext(ctx).Where("id = ? AND fair_id = ?", appID, fairID).Take(&a).Error; err != nil {
		return Application{}, fmt.Errorf("get application %d of fair %d: %w", appID, fairID, translateError(err))
	}
	return a, nil
}

// AssignStand gives an accepted application a stand of its fair, or moves it to another one.
// The stand is claimed by a conditional update and the application by another, so two
// organizers assigning the same stand at once get exactly one assignment; the unique index on
// applications.stand_id is the backstop. The other caller gets ErrStandTaken.
func AssignStand(ctx context.Context, db *gorm.DB, organizer User, fairID, appID, standID int64, now time.Time) (Application, error) {
	var after Application
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		var err error
		after, err = assignStandTx(ctx, tx, organizer.ID, fairID, appID, standID, false, now)
		return err
	})
	return after, err
}

// assignStandTx assigns inside the caller's transaction; onlyUnassigned refuses to move an
// application that got a stand meanwhile (an auto-allocation never moves anyone).
func assignStandTx(ctx context.Context, tx *gorm.DB, actorID, fairID, appID, standID int64, onlyUnassigned bool, now time.Time) (Application, error) {
	before, err := getFairApplication(ctx, tx, fairID, appID)
	if err != nil {
		return Application{}, err
	}
	if before.Status != AppAccepted {
		return Application{}, fmt.Errorf("assign a stand to application %d in state %s: %w", appID, before.Status, ErrInvalidState)
	}
	if before.StandID != nil && *before.StandID == standID {
		return before, nil // already there: nothing to do
	}
	if before.StandID != nil && onlyUnassigned {
		return Application{}, fmt.Errorf("application %d got a stand meanwhile: %w", appID, ErrConflict)
	}
	var fair Fair
	if err := tx.WithContext(ctx).Where("id = ?", fairID).Take(&fair).Error; err != nil {
		return Application{}, fmt.Errorf("assign stand: fair %d: %w", fairID, translateError(err))
	}
	claim := tx.WithContext(ctx).Model(&Stand{}).
		Where("id = ? AND fair_id = ? AND status IN ?", standID, fairID, []StandStatus{StandAvailable, StandHeld}).
		Updates(map[string]any{"status": StandAssigned, "updated_at": now})
	if claim.Error != nil {
		return Application{}, fmt.Errorf("claim stand %d: %w", standID, translateError(claim.Error))
	}
	var stand Stand
	if err := tx.WithContext(ctx).Where("id = ? AND fair_id = ?", standID, fairID).Take(&stand).Error; err != nil {
		return Application{}, fmt.Errorf("assign stand %d: %w", standID, translateError(err))
	}
	if claim.RowsAffected != 1 {
		if stand.Status == StandBlocked {
			return Application{}, fmt.Errorf("assign stand %s: %w", stand.Code, ErrStandBlocked)
		}
		return Application{}, fmt.Errorf("assign stand %s: %w", stand.Code, ErrStandTaken)
	}
	cols := map[string]any{"stand_id": standID, "updated_at": now}
	switch {
	case before.FeeState == FeePaid:
		// a move keeps a fee already paid
	case fair.FeePolicy == FeeFree:
		cols["fee_state"], cols["fee_cents"] = FeeNone, 0
	case before.FeeCovered:
		cols["fee_state"], cols["fee_cents"] = FeeCovered, stand.PriceCents
	default:
		cols["fee_state"], cols["fee_cents"] = FeeDue, stand.PriceCents
	}
	q := tx.WithContext(ctx).Model(&Application{}).Where("id = ? AND status = ?", appID, AppAccepted)
	if before.StandID == nil {
		q = q.Where("stand_id IS NULL")
	} else {
		q = q.Where("stand_id = ?", *before.StandID)
	}
	res := q.Updates(cols)
	if res.Error != nil {
		err := translateError(res.Error)
		if errors.Is(err, ErrConflict) {
			return Application{}, fmt.Errorf("assign stand %s: %w", stand.Code, ErrStandTaken)
		}
		return Application{}, fmt.Errorf("assign stand %s to application %d: %w", stand.Code, appID, err)
	}
	if res.RowsAffected != 1 {
		return Application{}, fmt.Errorf("application %d changed meanwhile: %w", appID, ErrConflict)
	}
	if before.StandID != nil {
		if err := freeStand(ctx, tx, *before.StandID, now); err != nil {
			return Application{}, err
		}
	}
	after, err := getFairApplication(ctx, tx, fairID, appID)
	if err != nil {
		return Application{}, err
	}
	if err := RecordAudit(ctx, tx, actorID, "application.assign_stand", "application", appID,
		map[string]any{"stand_id": before.StandID, "fee_state": before.FeeState},
		map[string]any{"stand_id": after.StandID, "stand": stand.Code, "fee_state": after.FeeState}); err != nil {
		return Application{}, err
	}
	return after, notifyArtisan(ctx, tx, after.ArtisanID, NoticeStandAssigned, map[string]string{
		"fair": fair.Name, "stand": stand.Code, "fee_state": string(after.FeeState), "fee_cents": strconv.FormatInt(after.FeeCents, 10),
	})
}

// UnassignStand takes the stand back from an application (it stays accepted).
func UnassignStand(ctx context.Context, db *gorm.DB, organizer User, fairID, appID int64, now time.Time) (Application, error) {
	var after Application
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		before, err := getFairApplication(ctx, tx, fairID, appID)
		if err != nil {
			return err
		}
		if before.StandID == nil {
			return fmt.Errorf("application %d has no stand: %w", appID, ErrInvalidState)
		}
		var stand Stand
		if err := tx.WithContext(ctx).Where("id = ?", *before.StandID).Take(&stand).Error; err != nil {
			return fmt.Errorf("unassign: stand %d: %w", *before.StandID, translateError(err))
		}
		if _, err := ReleaseApplicationStand(ctx, tx, appID, now); err != nil {
			return err
		}
		if after, err = getFairApplication(ctx, tx, fairID, appID); err != nil {
			return err
		}
		if err := RecordAudit(ctx, tx, organizer.ID, "application.unassign_stand", "application", appID,
			map[string]any{"stand_id": before.StandID, "stand": stand.Code, "fee_state": before.FeeState},
			map[string]any{"stand_id": nil, "fee_state": after.FeeState}); err != nil {
			return err
		}
		var fair Fair
		if err := tx.WithContext(ctx).Where("id = ?", fairID).Take(&fair).Error; err != nil {
			return fmt.Errorf("unassign: fair %d: %w", fairID, translateError(err))
		}
		return notifyArtisan(ctx, tx, after.ArtisanID, NoticeStandUnassigned, map[string]string{"fair": fair.Name, "stand": stand.Code})
	})
	return after, err
}

// ReleaseApplicationStand frees the application's stand, if it has one, inside the caller's
// transaction; it returns the freed stand's id (0 when none). Call it BEFORE moving an
// application out of "accepted" (a stand may only belong to an accepted application). A fee
// already paid stays recorded as paid; a due fee is cleared.
func ReleaseApplicationStand(ctx context.Context, tx *gorm.DB, appID int64, now time.Time) (int64, error) {
	var app Application
	if err := tx.WithContext(ctx).Where("id = ?", appID).Take(&app).Error; err != nil {
		return 0, fmt.Errorf("release stand of application %d: %w", appID, translateError(err))
	}
	if app.StandID == nil {
		return 0, nil
	}
	cols := map[string]any{"stand_id": nil, "updated_at": now}
	if app.FeeState != FeePaid {
		cols["fee_state"], cols["fee_cents"] = FeeNone, 0
	}
	res := tx.WithContext(ctx).Model(&Application{}).Where("id = ? AND stand_id = ?", appID, *app.StandID).Updates(cols)
	if res.Error != nil {
		return 0, fmt.Errorf("release stand of application %d: %w", appID, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return 0, fmt.Errorf("application %d changed meanwhile: %w", appID, ErrConflict)
	}
	return *app.StandID, freeStand(ctx, tx, *app.StandID, now)
}

func freeStand(ctx context.Context, tx *gorm.DB, standID int64, now time.Time) error {
	err := tx.WithContext(ctx).Model(&Stand{}).Where("id = ? AND status = ?", standID, StandAssigned).
		Updates(map[string]any{"status": StandAvailable, "updated_at": now}).Error
	if err != nil {
		return fmt.Errorf("free stand %d: %w", standID, translateError(err))
	}
	return nil
}

// OfferNextWaitlisted offers a freed place to the first waitlisted application of the fair
// (lowest waitlist position, then earliest decision, then id), inside the caller's
// transaction, with a deadline of OfferWindow. It returns the offered application, or nil
// when the waitlist is empty. Concurrent callers never offer the same application twice: the
// offer is a conditional update, and a lost race moves on to the next in line.
func OfferNextWaitlisted(ctx context.Context, tx *gorm.DB, actorID, fairID int64, now time.Time) (*Application, error) {
	var line []Application
	err := tx.WithContext(ctx).Where("fair_id = ? AND status = ?", fairID, AppWaitlisted).
		Order("CASE WHEN waitlist_position IS NULL THEN 1 ELSE 0 END, waitlist_position, decided_at, id").
		Limit(10).Find(&line).Error
	if err != nil {
		return nil, fmt.Errorf("read waitlist of fair %d: %w", fairID, translateError(err))
	}
	deadline := now.Add(OfferWindow)
	for _, cand := range line {
		full, err := regionQuotaFull(ctx, tx, fairID, cand.ArtisanID)
		if err != nil {
			return nil, err
		}
		if full {
			continue // the place goes to the next region that still has room
		}
		res := tx.WithContext(ctx).Model(&Application{}).Where("id = ? AND status = ?", cand.ID, AppWaitlisted).
			Updates(map[string]any{"status": AppOffered, "offer_expires_at": deadline, "updated_at": now})
		if res.Error != nil {
			return nil, fmt.Errorf("offer place to application %d: %w", cand.ID, translateError(res.Error))
		}
		if res.RowsAffected != 1 {
			continue
		}
		offered, err := getFairApplication(ctx, tx, fairID, cand.ID)
		if err != nil {
			return nil, err
		}
		if err := RecordAudit(ctx, tx, actorID, "application.offer_place", "application", cand.ID,
			map[string]any{"status": cand.Status}, map[string]any{"status": offered.Status, "offer_expires_at": deadline}); err != nil {
			return nil, err
		}
		var fair Fair
		if err := tx.WithContext(ctx).Where("id = ?", fairID).Take(&fair).Error; err != nil {
			return nil, fmt.Errorf("offer place: fair %d: %w", fairID, translateError(err))
		}
		if err := notifyArtisan(ctx, tx, offered.ArtisanID, NoticePlaceOffered, map[string]string{
			"fair": fair.Name, "deadline": deadline.UTC().Format(time.RFC3339),
		}); err != nil {
			return nil, err
		}
		return &offered, nil
	}
	return nil, nil
}

// regionQuotaFull tells whether the artisan's region already has as many accepted (or offered)
// exhibitors at the fair as its quota allows; no quota means never full.
func regionQuotaFull(ctx context.Context, tx *gorm.DB, fairID, artisanID int64) (bool, error) {
	var quota []int
	err := tx.WithContext(ctx).Table("fair_region_quotas q").Select("q.quota").
		Joins("JOIN artisans a ON a.region_code = q.region_code").
		Where("q.fair_id = ? AND a.id = ?", fairID, artisanID).Scan(&quota).Error
	if err != nil {
		return false, fmt.Errorf("region quota of artisan %d: %w", artisanID, translateError(err))
	}
	if len(quota) == 0 {
		return false, nil
	}
	var taken int64
	err = tx.WithContext(ctx).Table("applications ap").
		Joins("JOIN artisans a ON a.id = ap.artisan_id").
		Joins("JOIN artisans me ON me.region_code = a.region_code AND me.id = ?", artisanID).
		Where("ap.fair_id = ? AND ap.status IN ?", fairID, []ApplicationStatus{AppAccepted, AppOffered}).
		Count(&taken).Error
	if err != nil {
		return false, fmt.Errorf("region exhibitors of artisan %d: %w", artisanID, translateError(err))
	}
	return taken >= int64(quota[0]), nil
}
