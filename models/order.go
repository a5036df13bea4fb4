package models

import "time"

// Cart is a visitor's basket: one per signed-in account, or per anonymous session.
type Cart struct {
	ID         int64 `gorm:"primaryKey"`
	UserID     *int64
	SessionKey *string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// CartItem is one product in a cart (prices are read from the product at checkout, never
// stored here).
type CartItem struct {
	CartID    int64 `gorm:"primaryKey"`
	ProductID int64 `gorm:"primaryKey"`
	Quantity  int
	AddedAt   time.Time
}

// ShippingRate is the flat shipping price to a country, set by organizers.
type ShippingRate struct {
	Country     string `gorm:"primaryKey"`
	AmountCents int64
	UpdatedAt   time.Time
}

// OrderStatus is where an order stands as a whole.
type OrderStatus string

// An order waits for payment (stock held), is paid, then completed when every part is handed
// over or delivered; or it ends cancelled, expired (checkout not paid in time), refunded, or
// needs_review (paid after its hold was released and the stock was gone: an organizer refunds).
const (
	OrderPendingPayment OrderStatus = "pending_payment"
	OrderPaid           OrderStatus = "paid"
	OrderCompleted      OrderStatus = "completed"
	OrderCancelled      OrderStatus = "cancelled"
	OrderExpired        OrderStatus = "expired"
	OrderRefunded       OrderStatus = "refunded"
	OrderNeedsReview    OrderStatus = "needs_review"
)

// OrderStatuses lists every order status, in the order filters show them.
var OrderStatuses = []OrderStatus{OrderPendingPayment, OrderPaid, OrderCompleted, OrderCancelled, OrderExpired, OrderRefunded, OrderNeedsReview}

// Order is a visitor's purchase, possibly from several artisans (one part each).
type Order struct {
	ID                int64 `gorm:"primaryKey"`
	Code              string
	UserID            *int64
	Email             string
	Name              string
	Phone             string
	Locale            string
	Status            OrderStatus
	Gateway           string // "stripe" or "stand"
	Currency          string
	ItemsCents        int64
	ShippingCents     int64
	TotalCents        int64
	RefundedCents     int64
	Attempt           int
	CheckoutSessionID *string
	CheckoutExpiresAt *time.Time
	PaymentIntentID   *string
	ShipName          string
	ShipLine1         string `gorm:"column:ship_line1"`
	ShipLine2         string `gorm:"column:ship_line2"`
	ShipPostcode      string
	ShipCity          string
	ShipCountry       string
	HoldsReleasedAt   *time.Time
	PaidAt            *time.Time
	ClosedAt          *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Fulfilment is how an artisan's part of an order reaches the buyer.
type Fulfilment string

// Pickup at the artisan's stand at a fair, or shipping.
const (
	FulfilPickup   Fulfilment = "pickup"
	FulfilShipping Fulfilment = "shipping"
)

// PartStatus is where an artisan's part of an order stands.
type PartStatus string

// pending (order not paid yet) → to_prepare → ready (pickup) / shipped → picked_up / delivered;
// or cancelled / refunded.
const (
	PartPending   PartStatus = "pending"
	PartToPrepare PartStatus = "to_prepare"
	PartReady     PartStatus = "ready"
	PartShipped   PartStatus = "shipped"
	PartPickedUp  PartStatus = "picked_up"
	PartDelivered PartStatus = "delivered"
	PartCancelled PartStatus = "cancelled"
	PartRefunded  PartStatus = "refunded"
)

// OrderPart is one artisan's share of an order, fulfilled on its own.
type OrderPart struct {
	ID             int64 `gorm:"primaryKey"`
	OrderID        int64
	ArtisanID      int64
	Fulfilment     Fulfilment
	FairID         *int64
	StandID        *int64
	StandCode      string
	Status         PartStatus
	PickupCode     string
	TrackingNumber string
	ItemsCents     int64
	ShippingCents  int64
	ReadyAt        *time.Time
	ShippedAt      *time.Time
	HandedOverAt   *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// OrderLine is one product in an order, priced from the database when the order was placed.
type OrderLine struct {
	ID               int64 `gorm:"primaryKey"`
	OrderID          int64
	PartID           int64
	ProductID        int64
	Title            string
	UnitCents        int64
	Quantity         int
	HoldsStock       bool
	RefundedQuantity int
	RefundedCents    int64
}

// StripeEvent records a Stripe event applied to the database, stored with its effect.
type StripeEvent struct {
	ID         string `gorm:"primaryKey"`
	Type       string
	OrderID    *int64
	ReceivedAt time.Time
}

// Refund is money given back to a buyer, for a whole order or one line.
type Refund struct {
	ID              int64 `gorm:"primaryKey"`
	OrderID         int64
	LineID          *int64
	AmountCents     int64
	Reason          string
	GatewayRefundID *string
	CreatedBy       *int64
	CreatedAt       time.Time
}

// StandSale is a piece sold on the stand, recorded so the online stock stays true.
type StandSale struct {
	ID        int64 `gorm:"primaryKey"`
	ArtisanID int64
	ProductID int64
	FairID    *int64
	Quantity  int
	UnitCents int64
	CreatedAt time.Time
}
