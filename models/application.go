package models

import (
	"time"
)

// ApplicationStatus is where an artisan's booth application stands.
type ApplicationStatus string

// The life of an application: submitted → chamber_reviewed (the region's chamber agent
// recommends or not, with a rank) → accepted / waitlisted / rejected (organizers). A
// waitlisted application may be offered a freed place (offered, with a deadline) and becomes
// accepted when the artisan takes it, offer_expired when the deadline passes. The artisan may
// withdraw at any time before the end; organizers may release an accepted exhibitor.
const (
	AppSubmitted       ApplicationStatus = "submitted"
	AppChamberReviewed ApplicationStatus = "chamber_reviewed"
	AppAccepted        ApplicationStatus = "accepted"
	AppWaitlisted      ApplicationStatus = "waitlisted"
	AppOffered         ApplicationStatus = "offered"
	AppRejected        ApplicationStatus = "rejected"
	AppWithdrawn       ApplicationStatus = "withdrawn"
	AppReleased        ApplicationStatus = "released"
	AppOfferExpired    ApplicationStatus = "offer_expired"
)

// ApplicationStatuses lists every status, in the order filters show them.
var ApplicationStatuses = []ApplicationStatus{
	AppSubmitted, AppChamberReviewed, AppAccepted, AppWaitlisted, AppOffered,
	AppRejected, AppWithdrawn, AppReleased, AppOfferExpired,
}

// FeeState is where the booth fee of an application stands.
type FeeState string

// No stand yet (none), fee to pay (fee_due), paid by the chamber programme (fee_covered),
// paid (fee_paid).
const (
	FeeNone    FeeState = "none"
	FeeDue     FeeState = "fee_due"
	FeeCovered FeeState = "fee_covered"
	FeePaid    FeeState = "fee_paid"
)

// Application is an artisan's request for a booth at a fair.
type Application struct {
	ID                  int64 `gorm:"primaryKey"`
	FairID              int64
	ArtisanID           int64
	Status              ApplicationStatus
	PreferredKind       string
	PreferredSizeM2     int `gorm:"column:preferred_size_m2"`
	PreferredZone       string
	Motivation          string
	NeedsChamberFunding bool
	// ChamberRecommended is nil until the chamber agent has reviewed.
	ChamberRecommended *bool
	ChamberRank        *int
	ChamberNote        string
	ChamberReviewedBy  *int64
	ChamberReviewedAt  *time.Time
	// DecisionNote is the organizers' reason, shown to the artisan.
	DecisionNote     string
	DecidedBy        *int64
	DecidedAt        *time.Time
	WaitlistPosition *int
	OfferExpiresAt   *time.Time
	StandID          *int64
	FeeState         FeeState `gorm:"default:none"`
	FeeCents         int64
	// FeeCovered marks the fee as paid by the chamber programme (set by organizers).
	FeeCovered bool
	FeeNote    string
	FeePaidAt  *time.Time
	// FeeAttempt and FeeCheckoutSessionID track the online payment of the booth fee.
	FeeAttempt           int
	FeeCheckoutSessionID *string
	SubmittedAt          time.Time
	WithdrawnAt          *time.Time
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// ApplicationProduct links an application to a product the artisan means to exhibit.
type ApplicationProduct struct {
	ApplicationID int64 `gorm:"primaryKey"`
	ProductID     int64 `gorm:"primaryKey"`
}

// FairRegionQuota caps the accepted exhibitors of one region at a fair.
type FairRegionQuota struct {
	FairID     int64  `gorm:"primaryKey"`
	RegionCode string `gorm:"primaryKey"`
	Quota      int
}

// AllocationProposal is an auto-allocation waiting for the organizer (payload: JSON of
// AllocProposal).
type AllocationProposal struct {
	ID        int64 `gorm:"primaryKey"`
	FairID    int64
	CreatedBy *int64
	Payload   string
	CreatedAt time.Time
}

// OutboxEmail is an e-mail written in the transaction of the decision that caused it. The
// decision stores what happened (Kind, Locale, Params); the sender renders Subject and Body.
type OutboxEmail struct {
	ID        int64 `gorm:"primaryKey"`
	ToAddress string
	Kind      string
	Locale    string
	Params    string // JSON object of strings
	Subject   string
	Body      string
	SentAt    *time.Time
	Attempts  int
	LastError string
	CreatedAt time.Time
}

// TableName keeps GORM from guessing the plural of "quota".
func (FairRegionQuota) TableName() string { return "fair_region_quotas" }
