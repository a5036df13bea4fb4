package models

// SetPlaceOrderFault makes PlaceOrder fail at a step after the stock was held (tests only).
func SetPlaceOrderFault(f func(step string) error) func() {
	placeOrderFault = f
	return func() { placeOrderFault = nil }
}
