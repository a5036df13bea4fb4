package models

// The organizers' view of orders (list with filters and totals, detail with payment events,
// refunds and audit, CSV export) and the settlement per artisan and fair: Stripe cannot pay
// out to Moroccan accounts, so the organizer collects card payments and pays each artisan what
// is owed after the fair's commission.

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// OrderFilter narrows the organizers' order list.
type OrderFilter struct {
	FairID    int64
	ArtisanID int64
	Status    OrderStatus
	From, To  *time.Time // created_at in [From, To)
	Page      int
}

// AdminOrderRow is one order of the organizers' list.
type AdminOrderRow struct {
	Order
	Artisans string // business names, comma separated
}

// OrderList is one page of orders with the totals of every matching order.
type OrderList struct {
	Rows       []AdminOrderRow
	Total      int64
	TotalCents int64
	Refunded   int64
}

func (f OrderFilter) apply(q *gorm.DB) *gorm.DB {
	if f.Status != "" {
		q = q.Where("o.status = ?", f.Status)
	}
	if f.FairID != 0 {
		q = q.Where("EXISTS (SELECT 1 FROM order_parts fp WHERE fp.order_id = o.id AND fp.fair_id = ?)", f.FairID)
	}
	if f.ArtisanID != 0 {
		q = q.Where("EXISTS (SELECT 1 FROM order_parts ap WHERE ap.order_id = o.id AND ap.artisan_id = ?)", f.ArtisanID)
	}
	if f.From != nil {
		q = q.Where("o.created_at >= ?", *f.From)
	}
	if f.To != nil {
		q = q.Where("o.created_at < ?", *f.To)
	}
	return q
}

// ListOrders returns one page of orders (newest first) matching the filter, with totals.
func ListOrders(ctx context.Context, db *gorm.DB, f OrderFilter) (OrderList, error) {
	if f.Page < 1 {
		f.Page = 1
	}
	var out OrderList
	var sums struct {
		N        int64
		Cents    int64
		Refunded int64
	}
	err := f.apply(db.WithContext(ctx).Table("orders o")).
		Select("COUNT(*) AS n, COALESCE(SUM(o.total_cents), 0) AS cents, COALESCE(SUM(o.refunded_cents), 0) AS refunded").Scan(&sums).Error
	if err != nil {
		return OrderList{}, fmt.Errorf("count orders: %w", translateError(err))
	}
	out.Total, out.TotalCents, out.Refunded = sums.N, sums.Cents, sums.Refunded
	var orders []Order
	err = f.apply(db.WithContext(ctx).Table("orders o")).Select("o.*").Order("o.id DESC").
		Limit(PartsPerPage).Offset((f.Page - 1) * PartsPerPage).Scan(&orders).Error
	if err != nil {
		return OrderList{}, fmt.Errorf("list orders: %w", translateError(err))
	}
	names, err := orderArtisanNames(ctx, db, orders)
	if err != nil {
		return OrderList{}, err
	}
	for _, o := range orders {
		out.Rows = append(out.Rows, AdminOrderRow{Order: o, Artisans: names[o.ID]})
	}
	return out, nil
}

func orderArtisanNames(ctx context.Context, db *gorm.DB, orders []Order) (map[int64]string, error) {
	out := map[int64]string{}
	if len(orders) == 0 {
		return out, nil
	}
	ids := make([]int64, len(orders))
	for i, o := range orders {
		ids[i] = o.ID
	}
	var rows []struct {
		OrderID      int64
		BusinessName string
	}
	err := db.WithContext(ctx).Table("order_parts p").Select("p.order_id, a.business_name").
		Joins("JOIN artisans a ON a.id = p.artisan_id").Where("p.order_id IN ?", ids).Order("p.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("artisans of orders: %w", translateError(err))
	}
	for _, r := range rows {
		if out[r.OrderID] != "" {
			out[r.OrderID] += ", "
		}
		out[r.OrderID] += r.BusinessName
	}
	return out, nil
}

// AdminPart is a part of an order with its artisan, fair and lines, for organizers.
type AdminPart struct {
	OrderPart
	ArtisanName string
	ArtisanSlug string
	FairName    string
	Lines       []OrderLine `gorm:"-"`
}

// OrderDetail is everything organizers see about one order.
type OrderDetail struct {
	Order   Order
	Parts   []AdminPart
	Refunds []Refund
	Events  []StripeEvent
	Audit   []AuditEntry
}

// Refundable tells whether the refund form is worth showing (money was taken and not all given back).
func (d OrderDetail) Refundable() bool {
	return d.Order.PaidAt != nil && d.Order.Gateway != gatewayStand && d.Order.RefundedCents < d.Order.TotalCents
}

// GetOrderAdmin loads one order by its code with parts, lines, refunds, Stripe events and audit.
func GetOrderAdmin(ctx context.Context, db *gorm.DB, code string) (OrderDetail, error) {
	var d OrderDetail
	if err := db.WithContext(ctx).Where("code = ?", strings.ToUpper(strings.TrimSpace(code))).Take(&d.Order).Error; err != nil {
		return OrderDetail{}, fmt.Errorf("get order %q: %w", code, translateError(err))
	}
	err := db.WithContext(ctx).Table("order_parts p").
		Select("p.*, a.business_name AS artisan_name, a.slug AS artisan_slug, COALESCE(f.name, '') AS fair_name").
		Joins("JOIN artisans a ON a.id = p.artisan_id").Joins("LEFT JOIN fairs f ON f.id = p.fair_id").
		Where("p.order_id = ?", d.Order.ID).Order("p.id").Scan(&d.Parts).Error
	if err != nil {
		return OrderDetail{}, fmt.Errorf("parts of order %s: %w", d.Order.Code, translateError(err))
	}
	var lines []OrderLine
	if err := db.WithContext(ctx).Where("order_id = ?", d.Order.ID).Order("id").Find(&lines).Error; err != nil {
		return OrderDetail{}, fmt.Errorf("lines of order %s: %w", d.Order.Code, translateError(err))
	}
	partIDs := make([]int64, 0, len(d.Parts))
	for i := range d.Parts {
		partIDs = append(partIDs, d.Parts[i].ID)
		for _, l := range lines {
			if l.PartID == d.Parts[i].ID {
				d.Parts[i].Lines = append(d.Parts[i].Lines, l)
			}
		}
	}
	if err := db.WithContext(ctx).Where("order_id = ?", d.Order.ID).Order("id").Find(&d.Refunds).Error; err != nil {
		return OrderDetail{}, fmt.Errorf("refunds of order %s: %w", d.Order.Code, translateError(err))
	}
	if err := db.WithContext(ctx).Where("order_id = ?", d.Order.ID).Order("received_at, id").Find(&d.Events).Error; err != nil {
		return OrderDetail{}, fmt.Errorf("payment events of order %s: %w", d.Order.Code, translateError(err))
	}
	q := db.WithContext(ctx).Where("subject = ? AND subject_id = ?", "order", d.Order.ID)
	if len(partIDs) > 0 {
		q = q.Or("subject = ? AND subject_id IN ?", "order_part", partIDs)
	}
	if err := q.Order("id").Find(&d.Audit).Error; err != nil {
		return OrderDetail{}, fmt.Errorf("audit of order %s: %w", d.Order.Code, translateError(err))
	}
	return d, nil
}

// OrdersCSVHeader names the columns of the orders export.
var OrdersCSVHeader = []string{"code", "created_at", "status", "gateway", "buyer", "email", "artisans",
	"items_cents", "shipping_cents", "total_cents", "refunded_cents", "paid_at"}

// WriteOrdersCSV writes every order matching the filter (all pages) as UTF-8 CSV with a
// byte-order mark, text cells guarded against spreadsheet formulas.
func WriteOrdersCSV(ctx context.Context, db *gorm.DB, f OrderFilter, w io.Writer) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("export orders: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(OrdersCSVHeader); err != nil {
		return fmt.Errorf("export orders: %w", err)
	}
	const batch = 500
	for lastID := int64(0); ; {
		var orders []Order
		q := f.apply(db.WithContext(ctx).Table("orders o")).Select("o.*")
		if lastID > 0 {
			q = q.Where("o.id < ?", lastID)
		}
		if err := q.Order("o.id DESC").Limit(batch).Scan(&orders).Error; err != nil {
			return fmt.Errorf("export orders: %w", translateError(err))
		}
		if len(orders) == 0 {
			break
		}
		names, err := orderArtisanNames(ctx, db, orders)
		if err != nil {
			return err
		}
		for _, o := range orders {
			paid := ""
			if o.PaidAt != nil {
				paid = o.PaidAt.UTC().Format(time.RFC3339)
			}
			rec := []string{o.Code, o.CreatedAt.UTC().Format(time.RFC3339), string(o.Status), o.Gateway,
				csvCell(o.Name), csvCell(o.Email), csvCell(names[o.ID]),
				strconv.FormatInt(o.ItemsCents, 10), strconv.FormatInt(o.ShippingCents, 10),
				strconv.FormatInt(o.TotalCents, 10), strconv.FormatInt(o.RefundedCents, 10), paid}
			if err := cw.Write(rec); err != nil {
				return fmt.Errorf("export orders: %w", err)
			}
		}
		lastID = orders[len(orders)-1].ID
		if len(orders) < batch {
			break
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export orders: %w", err)
	}
	return nil
}

// ---- Settlement ----

// SettlementRow is what one artisan sold at a fair and is owed.
type SettlementRow struct {
	ArtisanID    int64
	ArtisanName  string
	Orders       int
	GrossCents   int64 // unit × quantity of lines of paid orders (both gateways)
	OnlineCents  int64 // of which paid by card: collected by the organizer
	RefundsCents int64
	// CommissionCents is the fair's commission on gross minus refunds, rounded half up.
	CommissionCents int64
	// NetOwedCents is what the organizer pays the artisan: card takings minus refunds minus
	// commission. Negative when the artisan was paid at the stand and owes the commission.
	NetOwedCents int64
}

// Settlement is the report of a fair: one row per artisan, and the totals.
type Settlement struct {
	Fair   Fair
	Rows   []SettlementRow
	Totals SettlementRow
}

// commission is amount × bp / 10 000, rounded half up (amounts are never negative here).
func commission(amountCents int64, bp int) int64 {
	if amountCents <= 0 || bp <= 0 {
		return 0
	}
	return (amountCents*int64(bp) + 5000) / 10000
}

// SettlementReport computes, per artisan, the sales of the fair's pickup parts: card orders
// once paid (paid_at set), pay-at-the-stand parts once handed over; cancelled parts never.
// Refunds are the lines' refunded amounts; commission is per artisan on gross − refunds.
func SettlementReport(ctx context.Context, db *gorm.DB, fairID int64) (Settlement, error) {
	var s Settlement
	if err := db.WithContext(ctx).Where("id = ?", fairID).Take(&s.Fair).Error; err != nil {
		return Settlement{}, fmt.Errorf("settlement: fair %d: %w", fairID, translateError(err))
	}
	var rows []struct {
		ArtisanID    int64
		ArtisanName  string
		Gateway      string
		OrderID      int64
		LineCents    int64
		RefundsCents int64
	}
	err := db.WithContext(ctx).Table("order_lines l").
		Select("p.artisan_id, a.business_name AS artisan_name, o.gateway, o.id AS order_id, "+
			"l.unit_cents * l.quantity AS line_cents, l.refunded_cents AS refunds_cents").
		Joins("JOIN order_parts p ON p.id = l.part_id").
		Joins("JOIN orders o ON o.id = l.order_id").
		Joins("JOIN artisans a ON a.id = p.artisan_id").
		Where("p.fair_id = ? AND p.status <> ?", fairID, PartCancelled).
		Where("((o.gateway <> ? AND o.paid_at IS NOT NULL) OR (o.gateway = ? AND p.status IN ?))",
			gatewayStand, gatewayStand, []PartStatus{PartPickedUp, PartDelivered}).
		Scan(&rows).Error
	if err != nil {
		return Settlement{}, fmt.Errorf("settlement of fair %d: %w", fairID, translateError(err))
	}
	byArtisan := map[int64]*SettlementRow{}
	orders := map[int64]map[int64]bool{}
	for _, r := range rows {
		row := byArtisan[r.ArtisanID]
		if row == nil {
			row = &SettlementRow{ArtisanID: r.ArtisanID, ArtisanName: r.ArtisanName}
			byArtisan[r.ArtisanID] = row
			orders[r.ArtisanID] = map[int64]bool{}
		}
		orders[r.ArtisanID][r.OrderID] = true
		row.GrossCents += r.LineCents
		row.RefundsCents += r.RefundsCents
		if r.Gateway != gatewayStand {
			row.OnlineCents += r.LineCents
		}
	}
	for id, row := range byArtisan {
		row.Orders = len(orders[id])
		row.CommissionCents = commission(row.GrossCents-row.RefundsCents, s.Fair.CommissionBP)
		row.NetOwedCents = row.OnlineCents - row.RefundsCents - row.CommissionCents
		s.Rows = append(s.Rows, *row)
		s.Totals.Orders += row.Orders
		s.Totals.GrossCents += row.GrossCents
		s.Totals.OnlineCents += row.OnlineCents
		s.Totals.RefundsCents += row.RefundsCents
		s.Totals.CommissionCents += row.CommissionCents
		s.Totals.NetOwedCents += row.NetOwedCents
	}
	sort.Slice(s.Rows, func(i, j int) bool {
		if s.Rows[i].ArtisanName != s.Rows[j].ArtisanName {
			return s.Rows[i].ArtisanName < s.Rows[j].ArtisanName
		}
		return s.Rows[i].ArtisanID < s.Rows[j].ArtisanID
	})
	return s, nil
}

// SettlementCSVHeader names the columns of the settlement export.
var SettlementCSVHeader = []string{"artisan", "orders", "gross_cents", "card_cents", "refunds_cents", "commission_bp", "commission_cents", "net_owed_cents"}

// WriteSettlementCSV writes the settlement of a fair as UTF-8 CSV with a byte-order mark.
func WriteSettlementCSV(ctx context.Context, db *gorm.DB, fairID int64, w io.Writer) error {
	s, err := SettlementReport(ctx, db, fairID)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("export settlement: %w", err)
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(SettlementCSVHeader)
	bp := strconv.Itoa(s.Fair.CommissionBP)
	for _, r := range append(s.Rows, s.Totals) {
		name := csvCell(r.ArtisanName)
		if r.ArtisanID == 0 {
			name = "TOTAL"
		}
		_ = cw.Write([]string{name, strconv.Itoa(r.Orders), strconv.FormatInt(r.GrossCents, 10), strconv.FormatInt(r.OnlineCents, 10),
			strconv.FormatInt(r.RefundsCents, 10), bp, strconv.FormatInt(r.CommissionCents, 10), strconv.FormatInt(r.NetOwedCents, 10)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export settlement: %w", err)
	}
	return nil
}

// SetFairCommission sets the organizer's commission on the fair's sales (basis points,
// 0–10 000), audited with the value before and after.
func SetFairCommission(ctx context.Context, db *gorm.DB, organizer User, fairID int64, bp int) (Fair, error) {
	if bp < 0 || bp > 10000 {
		return Fair{}, fieldError("commission_percent", "FulCommissionInvalid")
	}
	var after Fair
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		var before Fair
		if err := tx.WithContext(ctx).Where("id = ?", fairID).Take(&before).Error; err != nil {
			return fmt.Errorf("set commission: fair %d: %w", fairID, translateError(err))
		}
		res := tx.WithContext(ctx).Model(&Fair{}).Where("id = ? AND commission_bp = ?", fairID, before.CommissionBP).
			Updates(map[string]any{"commission_bp": bp, "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return fmt.Errorf("set commission of fair %d: %w", fairID, translateError(res.Error))
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("fair %d changed meanwhile: %w", fairID, ErrConflict)
		}
		if err := tx.WithContext(ctx).Where("id = ?", fairID).Take(&after).Error; err != nil {
			return fmt.Errorf("set commission: reload fair %d: %w", fairID, translateError(err))
		}
		return RecordAudit(ctx, tx, organizer.ID, "fair.commission", "fair", fairID,
			map[string]any{"commission_bp": before.CommissionBP}, map[string]any{"commission_bp": bp})
	})
	return after, err
}

// ListOrderArtisans lists the artisans who have order parts, by name, for the filter.
func ListOrderArtisans(ctx context.Context, db *gorm.DB) ([]Artisan, error) {
	var out []Artisan
	err := db.WithContext(ctx).Where("id IN (?)", db.Table("order_parts").Select("artisan_id")).
		Order("business_name, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("artisans with orders: %w", translateError(err))
	}
	return out, nil
}
