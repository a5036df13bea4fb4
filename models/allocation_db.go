package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// allocationInputs reads what the proposal works on: the fair's accepted applications without
// a stand, its free stands, and the stands already taken (with their exhibitor's craft, so the
// proposal keeps the same craft off their neighbours).
func allocationInputs(ctx context.Context, db *gorm.DB, fairID int64) ([]AllocApplication, []AllocStand, error) {
	var apps []struct {
		ID              int64
		RegionCode      string
		CraftCode       string
		PreferredKind   string
		PreferredZone   string
		PreferredSizeM2 int `gorm:"column:preferred_size_m2"`
		ChamberRank     *int
		VerifiedAt      *time.Time
		SubmittedAt     time.Time
	}
	err := db.WithContext(ctx).Table("applications ap").
		Select("ap.id, a.region_code, a.craft_code, ap.preferred_kind, ap.preferred_zone, ap.preferred_size_m2, "+
			"ap.chamber_rank, a.verified_at, ap.submitted_at").
		Joins("JOIN artisans a ON a.id = ap.artisan_id").
		Where("ap.fair_id = ? AND ap.status = ? AND ap.stand_id IS NULL", fairID, AppAccepted).
		Scan(&apps).Error
	if err != nil {
		return nil, nil, fmt.Errorf("read applications to allocate for fair %d: %w", fairID, translateError(err))
	}
	in := make([]AllocApplication, len(apps))
	for i, a := range apps {
		in[i] = AllocApplication{ID: a.ID, RegionCode: a.RegionCode, CraftCode: a.CraftCode,
			PreferredKind: a.PreferredKind, PreferredZone: a.PreferredZone,
			PreferredAreaCm2: a.PreferredSizeM2 * 10000, SubmittedAt: a.SubmittedAt}
		if a.ChamberRank != nil {
			in[i].ChamberRank = *a.ChamberRank
		}
		if a.VerifiedAt != nil {
			in[i].VerifiedAt = *a.VerifiedAt
		}
	}
	var stands []struct {
		Stand
		OccupantCraft *string
	}
	err = db.WithContext(ctx).Table("stands s").
		Select("s.*, a.craft_code AS occupant_craft").
		Joins("LEFT JOIN applications ap ON ap.stand_id = s.id").
		Joins("LEFT JOIN artisans a ON a.id = ap.artisan_id").
		Where("s.fair_id = ? AND s.status IN ?", fairID, []StandStatus{StandAvailable, StandAssigned}).
		Scan(&stands).Error
	if err != nil {
		return nil, nil, fmt.Errorf("read stands to allocate for fair %d: %w", fairID, translateError(err))
	}
	out := make([]AllocStand, 0, len(stands))
	for _, s := range stands {
		as := AllocStand{ID: s.ID, Code: s.Code, HallID: s.HallID, Zone: s.Zone, Kind: string(s.Kind),
			X: s.XCm, Y: s.YCm, Width: s.WidthCm, Depth: s.DepthCm}
		if s.Status == StandAssigned {
			if s.OccupantCraft == nil {
				continue // assigned but not to an application of this fair: leave it alone
			}
			as.OccupiedByCraft = *s.OccupantCraft
			if as.OccupiedByCraft == "" {
				as.OccupiedByCraft = "-" // taken all the same: never offer it again
			}
		}
		out = append(out, as)
	}
	return in, out, nil
}

// ProposeFairAllocation computes an auto-allocation for the fair and keeps it as the fair's
// pending proposal (replacing an older one) until the organizer applies or discards it.
func ProposeFairAllocation(ctx context.Context, db *gorm.DB, organizer User, fairID int64, now time.Time) (AllocProposal, error) {
	apps, stands, err := allocationInputs(ctx, db, fairID)
	if err != nil {
		return AllocProposal{}, err
	}
	proposal := ProposeAllocation(apps, stands)
	payload, err := json.Marshal(proposal)
	if err != nil {
		return AllocProposal{}, fmt.Errorf("encode proposal: %w", err)
	}
	err = WithTx(ctx, db, func(tx *gorm.DB) error {
		if err := tx.WithContext(ctx).Where("fair_id = ?", fairID).Delete(&AllocationProposal{}).Error; err != nil {
			return fmt.Errorf("replace proposal of fair %d: %w", fairID, translateError(err))
		}
		row := AllocationProposal{FairID: fairID, CreatedBy: &organizer.ID, Payload: string(payload), CreatedAt: now}
		if err := tx.WithContext(ctx).Create(&row).Error; err != nil {
			return fmt.Errorf("save proposal of fair %d: %w", fairID, translateError(err))
		}
		return RecordAudit(ctx, tx, organizer.ID, "allocation.propose", "fair", fairID, nil,
			map[string]any{"assignments": len(proposal.Assignments), "unplaced": len(proposal.Unplaced)})
	})
	if err != nil {
		return AllocProposal{}, err
	}
	return proposal, nil
}

// GetAllocationProposal returns the fair's pending proposal (ErrNotFound when none).
func GetAllocationProposal(ctx context.Context, db *gorm.DB, fairID int64) (AllocProposal, time.Time, error) {
	var row AllocationProposal
	if err := db.WithContext(ctx).Where("fair_id = ?", fairID).Take(&row).Error; err != nil {
		return AllocProposal{}, time.Time{}, fmt.Errorf("proposal of fair %d: %w", fairID, translateError(err))
	}
	var p AllocProposal
	if err := json.Unmarshal([]byte(row.Payload), &p); err != nil {
		return AllocProposal{}, time.Time{}, fmt.Errorf("decode proposal of fair %d: %w", fairID, err)
	}
	return p, row.CreatedAt, nil
}

// DiscardAllocationProposal drops the fair's pending proposal.
func DiscardAllocationProposal(ctx context.Context, db *gorm.DB, organizer User, fairID int64) error {
	return WithTx(ctx, db, func(tx *gorm.DB) error {
		res := tx.WithContext(ctx).Where("fair_id = ?", fairID).Delete(&AllocationProposal{})
		if res.Error != nil {
			return fmt.Errorf("discard proposal of fair %d: %w", fairID, translateError(res.Error))
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("discard proposal of fair %d: %w", fairID, ErrNotFound)
		}
		return RecordAudit(ctx, tx, organizer.ID, "allocation.discard", "fair", fairID, nil, nil)
	})
}

// AllocationOutcome reports an applied proposal: how many assignments were made, and the ones
// skipped because the plan changed since the proposal (a stand taken, an application moved).
type AllocationOutcome struct {
	Applied int
	Skipped []AllocAssignment
}

// ApplyAllocationProposal makes the pending proposal's assignments in one transaction. Each
// assignment goes through the same conditional claim as a manual one; one that no longer fits
// is skipped (and reported), the others are kept. The proposal is consumed.
func ApplyAllocationProposal(ctx context.Context, db *gorm.DB, organizer User, fairID int64, now time.Time) (AllocationOutcome, error) {
	var out AllocationOutcome
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		out = AllocationOutcome{}
		var row AllocationProposal
		if err := tx.WithContext(ctx).Where("fair_id = ?", fairID).Take(&row).Error; err != nil {
			return fmt.Errorf("apply proposal of fair %d: %w", fairID, translateError(err))
		}
		// Consume it first: a second organizer applying at the same time finds nothing.
		res := tx.WithContext(ctx).Where("id = ?", row.ID).Delete(&AllocationProposal{})
		if res.Error != nil {
			return fmt.Errorf("consume proposal of fair %d: %w", fairID, translateError(res.Error))
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("apply proposal of fair %d: %w", fairID, ErrNotFound)
		}
		var p AllocProposal
		if err := json.Unmarshal([]byte(row.Payload), &p); err != nil {
			return fmt.Errorf("decode proposal of fair %d: %w", fairID, err)
		}
		for i, a := range p.Assignments {
			sp := fmt.Sprintf("alloc_%d", i)
			if err := tx.SavePoint(sp).Error; err != nil {
				return fmt.Errorf("savepoint: %w", translateError(err))
			}
			_, err := assignStandTx(ctx, tx, organizer.ID, fairID, a.ApplicationID, a.StandID, true, now)
			switch {
			case err == nil:
				out.Applied++
			case errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalidState) || errors.Is(err, ErrNotFound):
				if rb := tx.RollbackTo(sp).Error; rb != nil {
					return fmt.Errorf("rollback to savepoint: %w", translateError(rb))
				}
				out.Skipped = append(out.Skipped, a)
			default:
				return err
			}
		}
		return RecordAudit(ctx, tx, organizer.ID, "allocation.apply", "fair", fairID, nil,
			map[string]any{"applied": out.Applied, "skipped": len(out.Skipped)})
	})
	return out, err
}

// AllocationRow is an accepted (or offered) application as the allocation page lists it.
type AllocationRow struct {
	ApplicationID   int64
	Status          ApplicationStatus
	ArtisanName     string
	ArtisanSlug     string
	RegionCode      string
	CraftCode       string
	PreferredKind   string
	PreferredZone   string
	PreferredSizeM2 int `gorm:"column:preferred_size_m2"`
	ChamberRank     *int
	StandID         *int64
	StandCode       *string
	FeeState        FeeState
	FeeCents        int64
}

// ListAllocationRows lists the fair's accepted applications with their stand (if any): without
// a stand first, then by region, chamber rank and name.
func ListAllocationRows(ctx context.Context, db *gorm.DB, fairID int64) ([]AllocationRow, error) {
	var out []AllocationRow
	err := db.WithContext(ctx).Table("applications ap").
		Select("ap.id AS application_id, ap.status, a.business_name AS artisan_name, a.slug AS artisan_slug, "+
			"a.region_code, a.craft_code, ap.preferred_kind, ap.preferred_zone, ap.preferred_size_m2, ap.chamber_rank, "+
			"ap.stand_id, s.code AS stand_code, ap.fee_state, ap.fee_cents").
		Joins("JOIN artisans a ON a.id = ap.artisan_id").
		Joins("LEFT JOIN stands s ON s.id = ap.stand_id").
		Where("ap.fair_id = ? AND ap.status = ?", fairID, AppAccepted).
		Order("CASE WHEN ap.stand_id IS NULL THEN 0 ELSE 1 END, a.region_code, " +
			"CASE WHEN ap.chamber_rank IS NULL THEN 1 ELSE 0 END, ap.chamber_rank, a.business_name, ap.id").
		Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list allocation of fair %d: %w", fairID, translateError(err))
	}
	return out, nil
}
