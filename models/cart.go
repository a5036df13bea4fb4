package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MaxCartQuantity is the most pieces of one product a cart line may hold (the schema's bound).
const MaxCartQuantity = 99

// CartOwner names whose cart it is: a signed-in account, or else an anonymous visitor by the
// random cart key kept in their session (never the session id itself, which is a credential).
type CartOwner struct {
	UserID     int64
	SessionKey string
}

// Valid tells whether the owner names anyone.
func (o CartOwner) Valid() bool { return o.UserID != 0 || o.SessionKey != "" }

func (o CartOwner) where(q *gorm.DB) *gorm.DB {
	if o.UserID != 0 {
		return q.Where("user_id = ?", o.UserID)
	}
	return q.Where("session_key = ? AND user_id IS NULL", o.SessionKey)
}

// findCart returns the owner's cart id, 0 when there is none yet.
func findCart(ctx context.Context, db *gorm.DB, o CartOwner) (int64, error) {
	if !o.Valid() {
		return 0, nil
	}
	var carts []Cart
	if err := o.where(db.WithContext(ctx).Model(&Cart{})).Limit(1).Find(&carts).Error; err != nil {
		return 0, fmt.Errorf("find cart: %w", translateError(err))
	}
	if len(carts) == 0 {
		return 0, nil
	}
	return carts[0].ID, nil
}

// ensureCart returns the owner's cart id, creating the cart (a concurrent creation wins the
// unique index; we then read the winner's row).
func ensureCart(ctx context.Context, db *gorm.DB, o CartOwner, now time.Time) (int64, error) {
	if id, err := findCart(ctx, db, o); err != nil || id != 0 {
		return id, err
	}
	c := Cart{CreatedAt: now, UpdatedAt: now}
	if o.UserID != 0 {
		c.UserID = &o.UserID
	} else {
		c.SessionKey = &o.SessionKey
	}
	if err := db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&c).Error; err != nil {
		return 0, fmt.Errorf("create cart: %w", translateError(err))
	}
	if c.ID != 0 {
		return c.ID, nil
	}
	return findCart(ctx, db, o)
}

// orderableProduct loads a product a visitor may put in a cart: published, of a verified
// artisan. Anything else is ErrNotFound, like the public product page.
func orderableProduct(ctx context.Context, db *gorm.DB, productID int64) (Product, error) {
	var p Product
	if err := catalogBase(ctx, db).Select("p.*").Where("p.id = ?", productID).Take(&p).Error; err != nil {
		return Product{}, fmt.Errorf("product %d: %w", productID, translateError(err))
	}
	return p, nil
}

// checkQuantity refuses a quantity out of bounds or above the stock of a piece that is not
// made to order (message ids for the "quantity" field).
func checkQuantity(p Product, qty int) error {
	switch {
	case qty < 1 || qty > MaxCartQuantity:
		return fieldError("quantity", "CartQuantityInvalid")
	case !p.MadeToOrder && p.Stock <= 0:
		return fieldError("quantity", "CartSoldOut")
	case !p.MadeToOrder && qty > p.Stock:
		return fieldError("quantity", "CartQuantityOverStock")
	}
	return nil
}

// AddToCart puts qty more pieces of a product in the owner's cart. The total in the cart
// must stay within the stock (unless made to order); a refused quantity is a
// *ValidationError on "quantity"; an unpublished product is ErrNotFound.
func AddToCart(ctx context.Context, db *gorm.DB, o CartOwner, productID int64, qty int, now time.Time) error {
	if !o.Valid() {
		return errors.New("add to cart: no cart owner")
	}
	return WithTx(ctx, db, func(tx *gorm.DB) error {
		p, err := orderableProduct(ctx, tx, productID)
		if err != nil {
			return err
		}
		cartID, err := ensureCart(ctx, tx, o, now)
		if err != nil {
			return err
		}
		var have []CartItem
		if err := tx.WithContext(ctx).Where("cart_id = ? AND product_id = ?", cartID, productID).Find(&have).Error; err != nil {
			return fmt.Errorf("add to cart: %w", translateError(err))
		}
		total := qty
		if len(have) > 0 {
			total += have[0].Quantity
		}
		if qty < 1 {
			return fieldError("quantity", "CartQuantityInvalid")
		}
		if err := checkQuantity(p, total); err != nil {
			return err
		}
		item := CartItem{CartID: cartID, ProductID: productID, Quantity: total, AddedAt: now}
		err = tx.WithContext(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "cart_id"}, {Name: "product_id"}},
			DoUpdates: clause.Assignments(map[string]any{"quantity": total}),
		}).Create(&item).Error
		if err != nil {
			return fmt.Errorf("add product %d to cart: %w", productID, translateError(err))
		}
		return touchCart(ctx, tx, cartID, now)
	})
}

func touchCart(ctx context.Context, tx *gorm.DB, cartID int64, now time.Time) error {
	if err := tx.WithContext(ctx).Model(&Cart{}).Where("id = ?", cartID).Update("updated_at", now).Error; err != nil {
		return fmt.Errorf("touch cart %d: %w", cartID, translateError(err))
	}
	return nil
}

// UpdateCartItem sets the quantity of a cart line (0 removes it), within the stock.
func UpdateCartItem(ctx context.Context, db *gorm.DB, o CartOwner, productID int64, qty int, now time.Time) error {
	if qty == 0 {
		return RemoveCartItem(ctx, db, o, productID)
	}
	return WithTx(ctx, db, func(tx *gorm.DB) error {
		cartID, err := findCart(ctx, tx, o)
		if err != nil {
			return err
		}
		if cartID == 0 {
			return fmt.Errorf("update cart line %d: %w", productID, ErrNotFound)
		}
		p, err := orderableProduct(ctx, tx, productID)
		if err != nil {
			return err
		}
		if err := checkQuantity(p, qty); err != nil {
			return err
		}
		res := tx.WithContext(ctx).Model(&CartItem{}).Where("cart_id = ? AND product_id = ?", cartID, productID).
			Update("quantity", qty)
		if res.Error != nil {
			return fmt.Errorf("update cart line %d: %w", productID, translateError(res.Error))
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("update cart line %d: %w", productID, ErrNotFound)
		}
		return touchCart(ctx, tx, cartID, now)
	})
}

// RemoveCartItem takes a product out of the owner's cart (nothing happens when absent).
func RemoveCartItem(ctx context.Context, db *gorm.DB, o CartOwner, productID int64) error {
	cartID, err := findCart(ctx, db, o)
	if err != nil || cartID == 0 {
		return err
	}
	if err := db.WithContext(ctx).Where("cart_id = ? AND product_id = ?", cartID, productID).Delete(&CartItem{}).Error; err != nil {
		return fmt.Errorf("remove cart line %d: %w", productID, translateError(err))
	}
	return nil
}

// CartLine is one product of a cart with its current price and availability.
type CartLine struct {
	Product  Product
	Artisan  Artisan
	Cover    *Photo // the product's first photo, if any
	Quantity int
	// SoldOut: the piece cannot be ordered any more (stock gone, unpublished); TooMany: fewer
	// pieces are left than the line asks for. Both block checkout until the visitor fixes them.
	SoldOut bool
	TooMany bool
}

// LineCents is the current price of the line.
func (l CartLine) LineCents() int64 { return l.Product.PriceCents * int64(l.Quantity) }

// Orderable tells whether the line can go to checkout as it is.
func (l CartLine) Orderable() bool { return !l.SoldOut && !l.TooMany }

// CartView is a cart as the visitor sees it, lines grouped by artisan (in artisan order).
type CartView struct {
	Lines      []CartLine
	ItemsCents int64
	Count      int // pieces in the cart
}

// Orderable tells whether every line can be ordered.
func (v CartView) Orderable() bool {
	if len(v.Lines) == 0 {
		return false
	}
	for _, l := range v.Lines {
		if !l.Orderable() {
			return false
		}
	}
	return true
}

// ListCart returns the owner's cart with current prices, read from the products now.
func ListCart(ctx context.Context, db *gorm.DB, o CartOwner) (CartView, error) {
	var v CartView
	cartID, err := findCart(ctx, db, o)
	if err != nil || cartID == 0 {
		return v, err
	}
	var items []CartItem
	if err := db.WithContext(ctx).Where("cart_id = ?", cartID).Order("added_at, product_id").Find(&items).Error; err != nil {
		return v, fmt.Errorf("list cart: %w", translateError(err))
	}
	if len(items) == 0 {
		return v, nil
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ProductID
	}
	var products []Product
	if err := db.WithContext(ctx).Where("id IN ?", ids).Find(&products).Error; err != nil {
		return v, fmt.Errorf("list cart products: %w", translateError(err))
	}
	byID := map[int64]Product{}
	artisanIDs := []int64{}
	for _, p := range products {
		byID[p.ID] = p
		artisanIDs = append(artisanIDs, p.ArtisanID)
	}
	var artisans []Artisan
	if err := db.WithContext(ctx).Where("id IN ?", artisanIDs).Find(&artisans).Error; err != nil {
		return v, fmt.Errorf("list cart artisans: %w", translateError(err))
	}
	artByID := map[int64]Artisan{}
	for _, a := range artisans {
		artByID[a.ID] = a
	}
	photos, err := photosByProduct(ctx, db, ids)
	if err != nil {
		return v, err
	}
	// Group by artisan, keeping the order in which each artisan first appears.
	order := []int64{}
	group := map[int64][]CartLine{}
	for _, it := range items {
		p, ok := byID[it.ProductID]
		if !ok {
			continue
		}
		a := artByID[p.ArtisanID]
		l := CartLine{Product: p, Artisan: a, Quantity: it.Quantity}
		if ps := photos[p.ID]; len(ps) > 0 {
			l.Cover = &ps[0]
		}
		switch {
		case p.Status != ProductPublished || a.Status != ArtisanVerified:
			l.SoldOut = true
		case !p.MadeToOrder && p.Stock <= 0:
			l.SoldOut = true
		case !p.MadeToOrder && it.Quantity > p.Stock:
			l.TooMany = true
		}
		if _, seen := group[a.ID]; !seen {
			order = append(order, a.ID)
		}
		group[a.ID] = append(group[a.ID], l)
	}
	for _, aid := range order {
		for _, l := range group[aid] {
			v.Lines = append(v.Lines, l)
			v.Count += l.Quantity
			if l.Orderable() {
				v.ItemsCents += l.LineCents()
			}
		}
	}
	return v, nil
}

// CartCount is the number of pieces in the owner's cart, for the header.
func CartCount(ctx context.Context, db *gorm.DB, o CartOwner) (int, error) {
	if !o.Valid() {
		return 0, nil
	}
	var n *int64
	q := db.WithContext(ctx).Table("cart_items ci").Joins("JOIN carts c ON c.id = ci.cart_id").Select("SUM(ci.quantity)")
	if o.UserID != 0 {
		q = q.Where("c.user_id = ?", o.UserID)
	} else {
		q = q.Where("c.session_key = ? AND c.user_id IS NULL", o.SessionKey)
	}
	if err := q.Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("count cart: %w", translateError(err))
	}
	if n == nil {
		return 0, nil
	}
	return int(*n), nil
}

// MergeCart moves an anonymous visitor's cart into their account's cart at login: quantities
// of a product in both add up (bounded by 99), and the anonymous cart is deleted.
func MergeCart(ctx context.Context, db *gorm.DB, sessionKey string, userID int64, now time.Time) error {
	if sessionKey == "" || userID == 0 {
		return nil
	}
	return WithTx(ctx, db, func(tx *gorm.DB) error {
		anonID, err := findCart(ctx, tx, CartOwner{SessionKey: sessionKey})
		if err != nil || anonID == 0 {
			return err
		}
		var items []CartItem
		if err := tx.WithContext(ctx).Where("cart_id = ?", anonID).Find(&items).Error; err != nil {
			return fmt.Errorf("merge cart: %w", translateError(err))
		}
		if len(items) > 0 {
			userCart, err := ensureCart(ctx, tx, CartOwner{UserID: userID}, now)
			if err != nil {
				return err
			}
			for _, it := range items {
				var have []CartItem
				if err := tx.WithContext(ctx).Where("cart_id = ? AND product_id = ?", userCart, it.ProductID).Find(&have).Error; err != nil {
					return fmt.Errorf("merge cart: %w", translateError(err))
				}
				qty := it.Quantity
				if len(have) > 0 {
					qty = min(qty+have[0].Quantity, MaxCartQuantity)
				}
				item := CartItem{CartID: userCart, ProductID: it.ProductID, Quantity: qty, AddedAt: it.AddedAt}
				if err := tx.WithContext(ctx).Clauses(clause.OnConflict{
					Columns:   []clause.Column{{Name: "cart_id"}, {Name: "product_id"}},
					DoUpdates: clause.Assignments(map[string]any{"quantity": qty}),
				}).Create(&item).Error; err != nil {
					return fmt.Errorf("merge cart line %d: %w", it.ProductID, translateError(err))
				}
			}
		}
		if err := tx.WithContext(ctx).Where("id = ?", anonID).Delete(&Cart{}).Error; err != nil {
			return fmt.Errorf("delete merged cart: %w", translateError(err))
		}
		return nil
	})
}

// clearCartProducts removes ordered products from the owner's cart (in the order's transaction).
func clearCartProducts(ctx context.Context, tx *gorm.DB, o CartOwner, productIDs []int64) error {
	cartID, err := findCart(ctx, tx, o)
	if err != nil || cartID == 0 {
		return err
	}
	if err := tx.WithContext(ctx).Where("cart_id = ? AND product_id IN ?", cartID, productIDs).Delete(&CartItem{}).Error; err != nil {
		return fmt.Errorf("clear ordered lines from cart: %w", translateError(err))
	}
	return nil
}
