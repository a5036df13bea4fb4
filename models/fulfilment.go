package models

// Fulfilment of paid orders by the artisans: the parts of orders that are theirs, the packing
// list of what to bring to a fair, marking parts ready / shipped / delivered, handing a part
// over at the stand by its pickup code, and sales made on the stand. Every query is scoped to
// the signed-in artisan in its WHERE clause; every state change is a conditional update,
// audited, in one transaction with the buyer's e-mail.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Notice kinds sent to buyers when an artisan moves their part of an order.
const (
	NoticeOrderReady   = "order_ready"
	NoticeOrderShipped = "order_shipped"
)

// NoticeStudioNewOrder tells an artisan that a part of an order is theirs to prepare.
const NoticeStudioNewOrder = "studio_new_order"

// notifyArtisansToPrepare e-mails, in their own language, the artisan of every part of the
// order that is now to prepare (reserved to pay at the stand, or paid by card): what to
// prepare and where it goes. Call it in the transaction that opens the parts.
func notifyArtisansToPrepare(ctx context.Context, tx *gorm.DB, orderID int64) error {
	var parts []struct {
		ID           int64
		Fulfilment   Fulfilment
		StandCode    string
		FairName     string
		Code         string
		Gateway      string
		ShipCountry  string
		Email        string
		Locale       string
		BusinessName string
	}
	err := tx.WithContext(ctx).Table("order_parts p").
		Select("p.id, p.fulfilment, p.stand_code, COALESCE(f.name, '') AS fair_name, o.code, o.gateway, o.ship_country, "+
			"u.email, u.locale, a.business_name").
		Joins("JOIN orders o ON o.id = p.order_id").Joins("JOIN artisans a ON a.id = p.artisan_id").
		Joins("JOIN users u ON u.id = a.user_id").Joins("LEFT JOIN fairs f ON f.id = p.fair_id").
		Where("p.order_id = ? AND p.status = ?", orderID, PartToPrepare).Order("p.id").Scan(&parts).Error
	if err != nil {
		return fmt.Errorf("artisans of order %d: %w", orderID, translateError(err))
	}
	if len(parts) == 0 {
		return nil
	}
	var lines []OrderLine
	if err := tx.WithContext(ctx).Where("order_id = ?", orderID).Order("id").Find(&lines).Error; err != nil {
		return fmt.Errorf("lines of order %d: %w", orderID, translateError(err))
	}
	piecesOf := map[int64][]string{}
	for _, l := range lines {
		piecesOf[l.PartID] = append(piecesOf[l.PartID], fmt.Sprintf("%d × %s", l.Quantity, l.Title))
	}
	for _, p := range parts {
		pieces := piecesOf[p.ID]
		params := map[string]string{"artisan": p.BusinessName, "order": p.Code, "pieces": strings.Join(pieces, "; "),
			"fulfilment": string(p.Fulfilment), "stand": p.StandCode, "fair": p.FairName, "gateway": p.Gateway,
			"link": "/studio/orders"}
		if p.Fulfilment == FulfilShipping {
			params["ship_country"] = p.ShipCountry
		}
		if err := EnqueueNotice(ctx, tx, p.Email, p.Locale, NoticeStudioNewOrder, params); err != nil {
			return err
		}
	}
	return nil
}

// Refusals of the fulfilment steps; each wraps a sentinel so handlers map them to a status.
var (
	// ErrNotYourOrder: the pickup code is unknown or belongs to another artisan (never which).
	ErrNotYourOrder = fmt.Errorf("not one of your orders: %w", ErrNotFound)
	// ErrOrderNotPaid: a card order that is not paid cannot be prepared or handed over.
	ErrOrderNotPaid = fmt.Errorf("order not paid: %w", ErrInvalidState)
	// ErrAlreadyHandedOver: the part was already picked up or delivered.
	ErrAlreadyHandedOver = fmt.Errorf("already handed over: %w", ErrInvalidState)
	// ErrWrongFulfilment: a pickup step on a shipped part, or the other way round.
	ErrWrongFulfilment = fmt.Errorf("wrong fulfilment for this step: %w", ErrInvalidState)
	// ErrNotEnoughStock: a stand sale of more pieces than the stock holds.
	ErrNotEnoughStock = fmt.Errorf("not enough stock: %w", ErrConflict)
)

// PartsPerPage is the page size of the artisans' and organizers' order lists.
const PartsPerPage = 20

// gatewayStand is the "pay at the stand" gateway name stored on orders.
const gatewayStand = "stand"

// ArtisanPart is one part of an order as its artisan sees it: the lines to prepare, the
// buyer's first name (never their address unless shipped), where and how it goes.
type ArtisanPart struct {
	OrderPart
	OrderCode    string
	OrderStatus  OrderStatus
	Gateway      string
	BuyerName    string
	OrderedAt    time.Time
	FairName     string
	ShipName     string
	ShipLine1    string `gorm:"column:ship_line1"`
	ShipLine2    string `gorm:"column:ship_line2"`
	ShipPostcode string
	ShipCity     string
	ShipCountry  string
	Lines        []OrderLine `gorm:"-"`
}

// BuyerFirstName is the first word of the buyer's name: enough to greet them at the stand.
func (p ArtisanPart) BuyerFirstName() string { return firstName(p.BuyerName) }

// Settled tells whether the order may be prepared: paid by card, or to be paid at the stand.
func (p ArtisanPart) Settled() bool { return orderSettled(p.OrderStatus, p.Gateway) }

// CanMarkReady tells whether the part can be marked ready for pickup (with CanShip,
// CanDeliver and CanHandOver it decides which buttons the part shows).
func (p ArtisanPart) CanMarkReady() bool {
	return p.Settled() && p.Fulfilment == FulfilPickup && p.Status == PartToPrepare
}

// CanShip tells whether the part can be marked shipped.
func (p ArtisanPart) CanShip() bool {
	return p.Settled() && p.Fulfilment == FulfilShipping && p.Status == PartToPrepare
}

// CanDeliver tells whether the part can be marked delivered.
func (p ArtisanPart) CanDeliver() bool {
	return p.Settled() && p.Fulfilment == FulfilShipping && p.Status == PartShipped
}

// CanHandOver tells whether the part can be handed over at the stand now.
func (p ArtisanPart) CanHandOver() bool {
	return p.Settled() && p.Fulfilment == FulfilPickup && (p.Status == PartToPrepare || p.Status == PartReady)
}

// Pieces is the number of pieces still to hand over (refunded pieces excepted).
func (p ArtisanPart) Pieces() int {
	n := 0
	for _, l := range p.Lines {
		n += l.Quantity - l.RefundedQuantity
	}
	return n
}

func firstName(name string) string {
	f := strings.Fields(name)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// orderSettled: a card order is prepared once paid; a pay-at-the-stand order is prepared while
// it waits for its payment on site.
func orderSettled(status OrderStatus, gateway string) bool {
	return status == OrderPaid || (gateway == gatewayStand && status == OrderPendingPayment)
}

// ArtisanPartFilter narrows the artisan's list of parts.
type ArtisanPartFilter struct {
	Status PartStatus // "" = every state
	FairID int64      // 0 = every fair (and shipping)
	Page   int
}

// artisanPartsQuery selects the parts of the artisan behind userID, with their order and fair.
func artisanPartsQuery(ctx context.Context, db *gorm.DB, userID int64) *gorm.DB {
	return db.WithContext(ctx).Table("order_parts p").
		Joins("JOIN orders o ON o.id = p.order_id").
		Joins("JOIN artisans a ON a.id = p.artisan_id").
		Joins("LEFT JOIN fairs f ON f.id = p.fair_id").
		Where("a.user_id = ?", userID)
}

const artisanPartColumns = "p.*, o.code AS order_code, o.status AS order_status, o.gateway AS gateway, o.name AS buyer_name, " +
	"o.created_at AS ordered_at, COALESCE(f.name, '') AS fair_name, o.ship_name AS ship_name, o.ship_line1 AS ship_line1, " +
	"o.ship_line2 AS ship_line2, o.ship_postcode AS ship_postcode, o.ship_city AS ship_city, o.ship_country AS ship_country"

// ListArtisanParts returns one page of the parts of orders that contain the artisan's
// products (newest first) with their lines, and how many parts match the filter.
func ListArtisanParts(ctx context.Context, db *gorm.DB, userID int64, f ArtisanPartFilter) ([]ArtisanPart, int64, error) {
	if f.Page < 1 {
		f.Page = 1
	}
	q := artisanPartsQuery(ctx, db, userID)
	if f.Status != "" {
		q = q.Where("p.status = ?", f.Status)
	}
	if f.FairID != 0 {
		q = q.Where("p.fair_id = ?", f.FairID)
	}
	var total int64
	if err := q.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count parts of artisan user %d: %w", userID, translateError(err))
	}
	var parts []ArtisanPart
	err := q.Select(artisanPartColumns).Order("p.id DESC").Limit(PartsPerPage).Offset((f.Page - 1) * PartsPerPage).Scan(&parts).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list parts of artisan user %d: %w", userID, translateError(err))
	}
	if err := attachLines(ctx, db, parts); err != nil {
		return nil, 0, err
	}
	return parts, total, nil
}

// CountPartsToPrepare is how many parts of orders the artisan behind userID still has to
// prepare, ship or hand over (paid, or reserved to pay at the stand).
func CountPartsToPrepare(ctx context.Context, db *gorm.DB, userID int64) (int64, error) {
	var n int64
	err := artisanPartsQuery(ctx, db, userID).Where("p.status IN ?", []PartStatus{PartToPrepare, PartReady}).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count parts to prepare of artisan user %d: %w", userID, translateError(err))
	}
	return n, nil
}

// GetArtisanPart returns one of the artisan's parts; another artisan's part is ErrNotFound.
func GetArtisanPart(ctx context.Context, db *gorm.DB, userID, partID int64) (ArtisanPart, error) {
	var parts []ArtisanPart
	err := artisanPartsQuery(ctx, db, userID).Select(artisanPartColumns).Where("p.id = ?", partID).Scan(&parts).Error
	if err != nil {
		return ArtisanPart{}, fmt.Errorf("get part %d: %w", partID, translateError(err))
	}
	if len(parts) == 0 {
		return ArtisanPart{}, fmt.Errorf("get part %d: %w", partID, ErrNotFound)
	}
	if err := attachLines(ctx, db, parts); err != nil {
		return ArtisanPart{}, err
	}
	return parts[0], nil
}

// FindPickupPart returns the artisan's part with this pickup code (typed or scanned); an
// unknown code and another artisan's code are both ErrNotYourOrder.
func FindPickupPart(ctx context.Context, db *gorm.DB, userID int64, code string) (ArtisanPart, error) {
	code = NormalizePickupCode(code)
	if code == "" {
		return ArtisanPart{}, fieldError("pickup_code", "FulPickupCodeRequired")
	}
	var parts []ArtisanPart
	err := artisanPartsQuery(ctx, db, userID).Select(artisanPartColumns).Where("p.pickup_code = ?", code).Scan(&parts).Error
	if err != nil {
		return ArtisanPart{}, fmt.Errorf("find pickup code: %w", translateError(err))
	}
	if len(parts) == 0 {
		return ArtisanPart{}, ErrNotYourOrder
	}
	if err := attachLines(ctx, db, parts); err != nil {
		return ArtisanPart{}, err
	}
	return parts[0], nil
}

func attachLines(ctx context.Context, db *gorm.DB, parts []ArtisanPart) error {
	if len(parts) == 0 {
		return nil
	}
	ids := make([]int64, len(parts))
	for i, p := range parts {
		ids[i] = p.ID
	}
	var lines []OrderLine
	if err := db.WithContext(ctx).Where("part_id IN ?", ids).Order("id").Find(&lines).Error; err != nil {
		return fmt.Errorf("list lines of parts: %w", translateError(err))
	}
	byPart := map[int64][]OrderLine{}
	for _, l := range lines {
		byPart[l.PartID] = append(byPart[l.PartID], l)
	}
	for i := range parts {
		parts[i].Lines = byPart[parts[i].ID]
	}
	return nil
}

// NormalizePickupCode upper-cases a typed code and drops spaces and dashes ("ab3k-9x2q" →
// "AB3K9X2Q"); a scanned QR URL (…/studio/pickup?code=…) gives its code.
func NormalizePickupCode(s string) string {
	if i := strings.Index(s, "code="); i >= 0 {
		s = s[i+len("code="):]
		if j := strings.IndexAny(s, "&#"); j >= 0 {
			s = s[:j]
		}
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ' ' || r == '-' || r == '\t' || r == '\u00a0' || r == '\u2010' || r == '\u2011' || r == '\u2013':
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return "" // not a code: never matches, never reaches the query as something odd
		}
	}
	if b.Len() > 32 {
		return ""
	}
	return b.String()
}

// ---- Packing list ----

// PackingLine is one product to bring to the fair, summed over the orders.
type PackingLine struct {
	ProductID int64
	Title     string
	Quantity  int
	Orders    []string // order codes
}

// Packing is what an artisan brings to a fair for the buyers who pick up at the stand.
type Packing struct {
	Fair   Fair
	Lines  []PackingLine
	Parts  []ArtisanPart // one per order, to tick off at the stand
	Pieces int
}

// PackingList sums, by product, the artisan's pickup parts at the fair that are still to hand
// over (to_prepare or ready) of orders paid by card or to be paid at the stand.
func PackingList(ctx context.Context, db *gorm.DB, userID, fairID int64) (Packing, error) {
	var out Packing
	if err := db.WithContext(ctx).Where("id = ?", fairID).Take(&out.Fair).Error; err != nil {
		return Packing{}, fmt.Errorf("packing list: fair %d: %w", fairID, translateError(err))
	}
	err := artisanPartsQuery(ctx, db, userID).Select(artisanPartColumns).
		Where("p.fair_id = ? AND p.fulfilment = ? AND p.status IN ?", fairID, FulfilPickup, []PartStatus{PartToPrepare, PartReady}).
		Where("(o.status = ? OR (o.gateway = ? AND o.status = ?))", OrderPaid, gatewayStand, OrderPendingPayment).
		Order("p.stand_code, o.code").Scan(&out.Parts).Error
	if err != nil {
		return Packing{}, fmt.Errorf("packing list of fair %d: %w", fairID, translateError(err))
	}
	if err := attachLines(ctx, db, out.Parts); err != nil {
		return Packing{}, err
	}
	index := map[int64]int{}
	for _, p := range out.Parts {
		for _, l := range p.Lines {
			qty := l.Quantity - l.RefundedQuantity
			if qty <= 0 {
				continue
			}
			i, ok := index[l.ProductID]
			if !ok {
				i = len(out.Lines)
				index[l.ProductID] = i
				out.Lines = append(out.Lines, PackingLine{ProductID: l.ProductID, Title: l.Title})
			}
			out.Lines[i].Quantity += qty
			out.Lines[i].Orders = append(out.Lines[i].Orders, p.OrderCode)
			out.Pieces += qty
		}
	}
	return out, nil
}

// ArtisanFairs lists the fairs where the artisan has a stand or pickup orders, soonest first,
// for the packing-list and stand-sale pickers.
func ArtisanFairs(ctx context.Context, db *gorm.DB, userID int64) ([]Fair, error) {
	var fairs []Fair
	err := db.WithContext(ctx).Where("id IN (?) OR id IN (?)",
		db.Table("applications ap").Select("ap.fair_id").Joins("JOIN artisans a ON a.id = ap.artisan_id").
			Where("a.user_id = ? AND ap.stand_id IS NOT NULL", userID),
		db.Table("order_parts p").Select("p.fair_id").Joins("JOIN artisans a ON a.id = p.artisan_id").
			Where("a.user_id = ? AND p.fair_id IS NOT NULL", userID),
	).Order("starts_on DESC, id").Find(&fairs).Error
	if err != nil {
		return nil, fmt.Errorf("fairs of artisan user %d: %w", userID, translateError(err))
	}
	return fairs, nil
}

// ---- Transitions ----

// partStep is one move of a part by its artisan.
type partStep struct {
	action     string
	fulfilment Fulfilment
	from       []PartStatus
	to         PartStatus
	cols       map[string]any
	notice     string
}

// MarkPartReady moves a pickup part from to_prepare to ready and tells the buyer.
func MarkPartReady(ctx context.Context, db *gorm.DB, userID, partID int64, now time.Time) (OrderPart, error) {
	return movePart(ctx, db, userID, partID, now, partStep{action: "order_part.ready", fulfilment: FulfilPickup,
		from: []PartStatus{PartToPrepare}, to: PartReady, cols: map[string]any{"ready_at": now}, notice: NoticeOrderReady})
}

// MarkPartShipped moves a shipping part from to_prepare to shipped with its tracking number
// (required) and tells the buyer.
func MarkPartShipped(ctx context.Context, db *gorm.DB, userID, partID int64, tracking string, now time.Time) (OrderPart, error) {
	tracking = strings.Join(strings.Fields(tracking), " ")
	switch {
	case tracking == "":
		return OrderPart{}, fieldError("tracking_number", "FulTrackingRequired")
	case utf8.RuneCountInString(tracking) > 100:
		return OrderPart{}, fieldError("tracking_number", "FieldTooLong")
	}
	return movePart(ctx, db, userID, partID, now, partStep{action: "order_part.shipped", fulfilment: FulfilShipping,
		from: []PartStatus{PartToPrepare}, to: PartShipped, cols: map[string]any{"shipped_at": now, "tracking_number": tracking},
		notice: NoticeOrderShipped})
}

// MarkPartDelivered moves a shipped part to delivered; the order completes with its last part.
func MarkPartDelivered(ctx context.Context, db *gorm.DB, userID, partID int64, now time.Time) (OrderPart, error) {
	return movePart(ctx, db, userID, partID, now, partStep{action: "order_part.delivered", fulfilment: FulfilShipping,
		from: []PartStatus{PartShipped}, to: PartDelivered, cols: map[string]any{"handed_over_at": now}})
}

func movePart(ctx context.Context, db *gorm.DB, userID, partID int64, now time.Time, step partStep) (OrderPart, error) {
	var after OrderPart
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		before, err := GetArtisanPart(ctx, tx, userID, partID)
		if err != nil {
			return err
		}
		after, err = applyPartStep(ctx, tx, userID, before, now, step)
		return err
	})
	return after, err
}

// applyPartStep checks the part and its order, then moves it by a conditional update.
func applyPartStep(ctx context.Context, tx *gorm.DB, userID int64, before ArtisanPart, now time.Time, step partStep) (OrderPart, error) {
	if before.Fulfilment != step.fulfilment {
		return OrderPart{}, fmt.Errorf("%s on part %d (%s): %w", step.action, before.ID, before.Fulfilment, ErrWrongFulfilment)
	}
	if !before.Settled() {
		return OrderPart{}, fmt.Errorf("%s on part %d of order %s in state %s: %w", step.action, before.ID, before.OrderCode, before.OrderStatus, ErrOrderNotPaid)
	}
	cols := map[string]any{"status": step.to, "updated_at": now}
	for k, v := range step.cols {
		cols[k] = v
	}
	res := tx.WithContext(ctx).Model(&OrderPart{}).Where("id = ? AND status IN ?", before.ID, step.from).Updates(cols)
	if res.Error != nil {
		return OrderPart{}, fmt.Errorf("%s on part %d: %w", step.action, before.ID, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		if before.Status == PartPickedUp || before.Status == PartDelivered {
			return OrderPart{}, fmt.Errorf("%s on part %d: %w", step.action, before.ID, ErrAlreadyHandedOver)
		}
		return OrderPart{}, fmt.Errorf("%s on part %d in state %s: %w", step.action, before.ID, before.Status, ErrInvalidState)
	}
	var after OrderPart
	if err := tx.WithContext(ctx).Where("id = ?", before.ID).Take(&after).Error; err != nil {
		return OrderPart{}, fmt.Errorf("%s: reload part %d: %w", step.action, before.ID, translateError(err))
	}
	auditAfter := map[string]any{"status": after.Status, "order": before.OrderCode}
	if after.TrackingNumber != "" {
		auditAfter["tracking"] = after.TrackingNumber
	}
	if err := RecordAudit(ctx, tx, userID, step.action, "order_part", before.ID,
		map[string]any{"status": before.Status, "order": before.OrderCode}, auditAfter); err != nil {
		return OrderPart{}, err
	}
	if step.notice != "" {
		if err := notifyBuyer(ctx, tx, before, after, step.notice); err != nil {
			return OrderPart{}, err
		}
	}
	if step.to == PartPickedUp || step.to == PartDelivered {
		if _, err := completeOrderIfDone(ctx, tx, userID, before.OrderID, now); err != nil {
			return OrderPart{}, err
		}
	}
	return after, nil
}

// notifyBuyer writes the buyer's e-mail about their part in the order's language.
func notifyBuyer(ctx context.Context, tx *gorm.DB, part ArtisanPart, after OrderPart, kind string) error {
	var row struct {
		Email, Locale, Name string
	}
	if err := tx.WithContext(ctx).Table("orders").Select("email, locale, name").Where("id = ?", part.OrderID).Take(&row).Error; err != nil {
		return fmt.Errorf("notify buyer of order %d: %w", part.OrderID, translateError(err))
	}
	var business string
	if err := tx.WithContext(ctx).Table("artisans").Select("business_name").Where("id = ?", part.ArtisanID).Scan(&business).Error; err != nil {
		return fmt.Errorf("notify buyer of order %d: %w", part.OrderID, translateError(err))
	}
	return EnqueueNotice(ctx, tx, row.Email, row.Locale, kind, map[string]string{
		// "artisan" fills the greeting of every e-mail: here it greets the buyer.
		"artisan": firstName(row.Name), "business": business, "order": part.OrderCode,
		"fair": part.FairName, "stand": after.StandCode, "tracking": after.TrackingNumber, "pickup_code": after.PickupCode,
		"code": part.OrderCode, "link": "/orders/" + part.OrderCode,
	})
}

// completeOrderIfDone closes the order when every part is picked up, delivered, refunded or
// cancelled (at least one handed over): paid → completed, or for a pay-at-the-stand order
// pending → completed with paid_at recorded. A conditional update: two last hand-overs at once
// complete it once. It reports whether this call completed it.
func completeOrderIfDone(ctx context.Context, tx *gorm.DB, actorID, orderID int64, now time.Time) (bool, error) {
	done := []PartStatus{PartPickedUp, PartDelivered, PartRefunded, PartCancelled}
	handed := []PartStatus{PartPickedUp, PartDelivered}
	res := tx.WithContext(ctx).Model(&Order{}).
		Where("id = ? AND (status = ? OR (gateway = ? AND status = ?))", orderID, OrderPaid, gatewayStand, OrderPendingPayment).
		Where("NOT EXISTS (SELECT 1 FROM order_parts x WHERE x.order_id = orders.id AND x.status NOT IN ?)", done).
		Where("EXISTS (SELECT 1 FROM order_parts y WHERE y.order_id = orders.id AND y.status IN ?)", handed).
		Updates(map[string]any{"status": OrderCompleted, "closed_at": now, "paid_at": gorm.Expr("COALESCE(paid_at, ?)", now), "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("complete order %d: %w", orderID, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return false, nil
	}
	return true, RecordAudit(ctx, tx, actorID, "order.completed", "order", orderID, nil, map[string]any{"status": OrderCompleted})
}

// HandOver is the result of handing a part over at the stand.
type HandOver struct {
	Part           ArtisanPart
	OrderCompleted bool
}

// HandOverByCode hands the artisan's part with this pickup code to the buyer at the stand:
// allowed from to_prepare or ready, for an order paid by card or to be paid at the stand
// (a pay-at-the-stand order records its payment when its last part is handed over). Another
// artisan's code is ErrNotYourOrder and changes nothing; an unpaid card order is
// ErrOrderNotPaid; a part already handed over is ErrAlreadyHandedOver.
func HandOverByCode(ctx context.Context, db *gorm.DB, userID int64, code string, now time.Time) (HandOver, error) {
	var out HandOver
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		before, err := FindPickupPart(ctx, tx, userID, code)
		if err != nil {
			return err
		}
		if before.Fulfilment != FulfilPickup {
			return fmt.Errorf("hand over part %d: %w", before.ID, ErrWrongFulfilment)
		}
		if before.Status == PartPickedUp || before.Status == PartDelivered {
			return fmt.Errorf("hand over part %d: %w", before.ID, ErrAlreadyHandedOver)
		}
		// The order first, then its part: the order's other writers (completion, a lapsed
		// reservation) lock in that order too, so they queue instead of deadlocking.
		if _, err := lockOrder(ctx, tx, "id = ?", before.OrderID); err != nil {
			return fmt.Errorf("hand over: lock order %d: %w", before.OrderID, err)
		}
		after, err := applyPartStep(ctx, tx, userID, before, now, partStep{action: "order_part.handed_over", fulfilment: FulfilPickup,
			from: []PartStatus{PartToPrepare, PartReady}, to: PartPickedUp, cols: map[string]any{"handed_over_at": now}})
		if err != nil {
			return err
		}
		out.Part = before
		out.Part.OrderPart = after
		var status OrderStatus
		if err := tx.WithContext(ctx).Table("orders").Select("status").Where("id = ?", before.OrderID).Scan(&status).Error; err != nil {
			return fmt.Errorf("hand over: reload order %d: %w", before.OrderID, translateError(err))
		}
		out.Part.OrderStatus = status
		out.OrderCompleted = status == OrderCompleted
		return nil
	})
	return out, err
}

// ---- Stand sales ----

// RecordStandSale records pieces sold on the stand and takes them out of the online stock by
// a conditional decrement, so the stock never goes below zero: selling more than the stock
// holds is ErrNotEnoughStock. Another artisan's product is ErrNotFound.
func RecordStandSale(ctx context.Context, db *gorm.DB, userID, productID int64, qty int, fairID int64, now time.Time) (StandSale, error) {
	if qty < 1 || qty > 99 {
		return StandSale{}, fieldError("sale_quantity", "FulSaleQuantityInvalid")
	}
	var sale StandSale
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		artisan, err := GetArtisanByUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		var p Product
		if err := tx.WithContext(ctx).Where("id = ? AND artisan_id = ?", productID, artisan.ID).Take(&p).Error; err != nil {
			if errors.Is(translateError(err), ErrNotFound) {
				return fieldError("sale_product", "FulSaleProductInvalid")
			}
			return fmt.Errorf("stand sale: product %d: %w", productID, translateError(err))
		}
		var fair *int64
		if fairID != 0 {
			var n int64
			if err := tx.WithContext(ctx).Model(&Fair{}).Where("id = ?", fairID).Count(&n).Error; err != nil {
				return fmt.Errorf("stand sale: fair %d: %w", fairID, translateError(err))
			}
			if n == 0 {
				return fieldError("sale_fair", "FieldInvalidChoice")
			}
			fair = &fairID
		}
		if !p.MadeToOrder {
			res := tx.WithContext(ctx).Model(&Product{}).Where("id = ? AND artisan_id = ? AND stock >= ?", p.ID, artisan.ID, qty).
				Updates(map[string]any{"stock": gorm.Expr("stock - ?", qty), "updated_at": now})
			if res.Error != nil {
				return fmt.Errorf("stand sale: take stock of product %d: %w", p.ID, translateError(res.Error))
			}
			if res.RowsAffected != 1 {
				return fmt.Errorf("stand sale of %d × product %d: %w", qty, p.ID, ErrNotEnoughStock)
			}
		}
		sale = StandSale{ArtisanID: artisan.ID, ProductID: p.ID, FairID: fair, Quantity: qty, UnitCents: p.PriceCents, CreatedAt: now}
		if err := tx.WithContext(ctx).Create(&sale).Error; err != nil {
			return fmt.Errorf("stand sale: record: %w", translateError(err))
		}
		return RecordAudit(ctx, tx, userID, "stand_sale.record", "product", p.ID,
			map[string]any{"stock": p.Stock}, map[string]any{"sold": qty, "fair_id": fair, "sale_id": sale.ID})
	})
	return sale, err
}

// StandSaleRow is a recorded stand sale with its product's title.
type StandSaleRow struct {
	StandSale
	TitleFR  string `gorm:"column:title_fr"`
	TitleAR  string `gorm:"column:title_ar"`
	TitleEN  string `gorm:"column:title_en"`
	FairName string
}

// Title is the product's title in lang.
func (r StandSaleRow) Title(lang string) string { return pick(lang, r.TitleFR, r.TitleAR, r.TitleEN) }

// ListStandSales returns the artisan's latest stand sales, newest first.
func ListStandSales(ctx context.Context, db *gorm.DB, userID int64, limit int) ([]StandSaleRow, error) {
	var out []StandSaleRow
	err := db.WithContext(ctx).Table("stand_sales s").
		Select("s.*, pr.title_fr, pr.title_ar, pr.title_en, COALESCE(f.name, '') AS fair_name").
		Joins("JOIN artisans a ON a.id = s.artisan_id").
		Joins("JOIN products pr ON pr.id = s.product_id").
		Joins("LEFT JOIN fairs f ON f.id = s.fair_id").
		Where("a.user_id = ?", userID).Order("s.id DESC").Limit(limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list stand sales of user %d: %w", userID, translateError(err))
	}
	return out, nil
}
