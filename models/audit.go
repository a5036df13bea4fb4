package models

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// AuditEntry records one decision: who did what to which row, and the row before and after.
type AuditEntry struct {
	ID        int64 `gorm:"primaryKey"`
	ActorID   *int64
	Action    string
	Subject   string
	SubjectID int64
	Before    string
	After     string
	CreatedAt time.Time
}

// RecordAudit writes an audit entry; call it with the transaction that made the change.
func RecordAudit(ctx context.Context, db *gorm.DB, actorID int64, action, subject string, subjectID int64, before, after any) error {
	entry := AuditEntry{Action: action, Subject: subject, SubjectID: subjectID, Before: jsonText(before), After: jsonText(after)}
	if actorID != 0 {
		entry.ActorID = &actorID
	}
	if err := db.WithContext(ctx).Create(&entry).Error; err != nil {
		return fmt.Errorf("record audit %s: %w", action, translateError(err))
	}
	return nil
}

// ListAudit returns the newest audit entries first, at most limit of them.
func ListAudit(ctx context.Context, db *gorm.DB, limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	if err := db.WithContext(ctx).Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list audit: %w", translateError(err))
	}
	return out, nil
}

func jsonText(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}
