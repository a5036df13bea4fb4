package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Notice kinds: what happened to an artisan's application. Handlers render each kind in the
// recipient's language (message ids "Email_<kind>_subject" and "Email_<kind>_body").
const (
	NoticeApplicationReceived  = "application_received"
	NoticeChamberReviewed      = "chamber_reviewed"
	NoticeApplicationAccepted  = "application_accepted"
	NoticeApplicationWaitlist  = "application_waitlisted"
	NoticeApplicationRejected  = "application_rejected"
	NoticeApplicationReleased  = "application_released"
	NoticeApplicationWithdrawn = "application_withdrawn"
	NoticePlaceOffered         = "place_offered"
	NoticeOfferExpired         = "offer_expired"
	NoticeStandAssigned        = "stand_assigned"
	NoticeStandUnassigned      = "stand_unassigned"
	NoticeFeeCovered           = "fee_covered"
	NoticeFeePaid              = "fee_paid"
)

// EnqueueNotice writes an e-mail to the outbox; call it with the transaction of the decision
// so the e-mail exists exactly when the decision does.
func EnqueueNotice(ctx context.Context, tx *gorm.DB, to, locale, kind string, params map[string]string) error {
	to = strings.TrimSpace(to)
	if to == "" {
		return nil // an account without an address (never for artisans) gets no e-mail
	}
	if locale == "" {
		locale = "fr"
	}
	if params == nil {
		params = map[string]string{}
	}
	b, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("encode notice %s: %w", kind, err)
	}
	mail := OutboxEmail{ToAddress: to, Kind: kind, Locale: locale, Params: string(b)}
	if err := tx.WithContext(ctx).Create(&mail).Error; err != nil {
		return fmt.Errorf("enqueue notice %s: %w", kind, translateError(err))
	}
	return nil
}

// NoticeParams decodes an outbox e-mail's parameters.
func (m OutboxEmail) NoticeParams() map[string]string {
	out := map[string]string{}
	_ = json.Unmarshal([]byte(m.Params), &out) // written by EnqueueNotice: always an object
	return out
}

// notifyArtisan enqueues a notice to the account behind an artisan profile, in its language.
func notifyArtisan(ctx context.Context, tx *gorm.DB, artisanID int64, kind string, params map[string]string) error {
	var row struct {
		Email        string
		Locale       string
		BusinessName string
	}
	err := tx.WithContext(ctx).Table("artisans a").Select("u.email, u.locale, a.business_name").
		Joins("JOIN users u ON u.id = a.user_id").Where("a.id = ?", artisanID).Take(&row).Error
	if err != nil {
		return fmt.Errorf("notify artisan %d: %w", artisanID, translateError(err))
	}
	if params == nil {
		params = map[string]string{}
	}
	params["artisan"] = row.BusinessName
	return EnqueueNotice(ctx, tx, row.Email, row.Locale, kind, params)
}

// ListOutbox returns outbox e-mails, newest first, one page at a time.
func ListOutbox(ctx context.Context, db *gorm.DB, page, perPage int) ([]OutboxEmail, int64, error) {
	if page < 1 {
		page = 1
	}
	var total int64
	if err := db.WithContext(ctx).Model(&OutboxEmail{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count outbox: %w", translateError(err))
	}
	var out []OutboxEmail
	err := db.WithContext(ctx).Order("id DESC").Limit(perPage).Offset((page - 1) * perPage).Find(&out).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list outbox: %w", translateError(err))
	}
	return out, total, nil
}

// PendingOutbox returns e-mails not yet sent (oldest first), at most limit.
func PendingOutbox(ctx context.Context, db *gorm.DB, limit int) ([]OutboxEmail, error) {
	var out []OutboxEmail
	if err := db.WithContext(ctx).Where("sent_at IS NULL").Order("id").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("pending outbox: %w", translateError(err))
	}
	return out, nil
}

// MarkOutboxSent records the rendered e-mail and its delivery, once: a second sender finds
// sent_at already set and changes nothing.
func MarkOutboxSent(ctx context.Context, db *gorm.DB, id int64, subject, body string, at time.Time) (bool, error) {
	res := db.WithContext(ctx).Model(&OutboxEmail{}).Where("id = ? AND sent_at IS NULL", id).
		Updates(map[string]any{"subject": subject, "body": body, "sent_at": at, "attempts": gorm.Expr("attempts + 1")})
	if res.Error != nil {
		return false, fmt.Errorf("mark outbox %d sent: %w", id, translateError(res.Error))
	}
	return res.RowsAffected == 1, nil
}

// MarkOutboxFailed records a failed delivery attempt.
func MarkOutboxFailed(ctx context.Context, db *gorm.DB, id int64, cause string) error {
	if len(cause) > 500 {
		cause = cause[:500]
	}
	err := db.WithContext(ctx).Model(&OutboxEmail{}).Where("id = ? AND sent_at IS NULL", id).
		Updates(map[string]any{"last_error": cause, "attempts": gorm.Expr("attempts + 1")}).Error
	if err != nil {
		return fmt.Errorf("mark outbox %d failed: %w", id, translateError(err))
	}
	return nil
}
