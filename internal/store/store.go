// Package store is the tire shop's Store API as the assistant sees it: the
// domain types (tires, orders, fitting stations, slots, bookings) and a
// Client for the HTTP API that api/store-openapi.yaml describes.
//
// Money is whole rubles (int); tire sizes are millimetres (width), percent
// (profile) and inches (rim); times are RFC 3339 with the station's or the
// shop's UTC offset; phone numbers are E.164 ("+79161234567").
package store

import (
	"strconv"
	"time"
)

// Season is what a tire is made for.
type Season string

// The seasons the Store API knows.
const (
	SeasonSummer    Season = "summer"
	SeasonWinter    Season = "winter"
	SeasonAllSeason Season = "all_season"
)

// Valid reports whether s is one of the known seasons.
func (s Season) Valid() bool {
	return s == SeasonSummer || s == SeasonWinter || s == SeasonAllSeason
}

// Tire is one catalogue item, priced per tire.
type Tire struct {
	ID         string `json:"id"`          // stable catalogue id, e.g. "T0042"
	Brand      string `json:"brand"`       // "Nokian"
	Model      string `json:"model"`       // "Hakkapeliitta 10"
	Width      int    `json:"width"`       // section width, mm (155..315)
	Profile    int    `json:"profile"`     // aspect ratio, percent of width (35..80)
	Rim        int    `json:"rim"`         // rim diameter, inches (13..22)
	Season     Season `json:"season"`      // summer, winter or all_season
	Studded    bool   `json:"studded"`     // only winter tires are studded
	LoadIndex  int    `json:"load_index"`  // e.g. 91 (615 kg)
	SpeedIndex string `json:"speed_index"` // e.g. "T" (190 km/h)
	Price      int    `json:"price"`       // rubles per tire
	Stock      int    `json:"stock"`       // tires in the warehouse; 0 = to order
}

// Size is the size as written on the sidewall: "205/55 R16".
func (t Tire) Size() string {
	return strconv.Itoa(t.Width) + "/" + strconv.Itoa(t.Profile) + " R" + strconv.Itoa(t.Rim)
}

// TireQuery selects tires. Zero fields do not filter.
type TireQuery struct {
	Width    int    // mm
	Profile  int    // percent
	Rim      int    // inches
	Season   Season // "" for any
	Brand    string // case-insensitive exact brand
	Studded  *bool  // nil for either
	MaxPrice int    // rubles per tire
	InStock  bool   // only tires with stock > 0
	Limit    int    // 1..100; 0 means the server's default (20)
}

// TireSearch is the answer to a search: the cheapest matches first.
type TireSearch struct {
	Items []Tire `json:"items"`
	Total int    `json:"total"` // matches before the limit was applied
}

// OrderStatus is where an order is in its life.
type OrderStatus string

// Every order status.
const (
	OrderNew            OrderStatus = "new"
	OrderConfirmed      OrderStatus = "confirmed"
	OrderPaid           OrderStatus = "paid"
	OrderShipped        OrderStatus = "shipped"
	OrderReadyForPickup OrderStatus = "ready_for_pickup"
	OrderDelivered      OrderStatus = "delivered"
	OrderCancelled      OrderStatus = "cancelled"
	OrderReturned       OrderStatus = "returned"
)

// OrderStatuses lists every status in life-cycle order.
func OrderStatuses() []OrderStatus {
	return []OrderStatus{OrderNew, OrderConfirmed, OrderPaid, OrderShipped, OrderReadyForPickup, OrderDelivered, OrderCancelled, OrderReturned}
}

// Valid reports whether s is a known status.
func (s OrderStatus) Valid() bool {
	for _, v := range OrderStatuses() {
		if s == v {
			return true
		}
	}
	return false
}

// DeliveryMethod is how an order reaches the customer.
type DeliveryMethod string

// The delivery methods.
const (
	DeliveryCourier DeliveryMethod = "delivery" // to Address
	DeliveryPickup  DeliveryMethod = "pickup"   // at StationID ("" until the shop agrees one)
)

// Delivery says where and when an order goes.
type Delivery struct {
	Method       DeliveryMethod `json:"method"`
	Address      string         `json:"address,omitempty"`       // for delivery
	StationID    string         `json:"station_id,omitempty"`    // for pickup
	ExpectedDate string         `json:"expected_date,omitempty"` // YYYY-MM-DD, shop's estimate
}

// OrderItem is one line of an order.
type OrderItem struct {
	TireID      string `json:"tire_id"`
	Description string `json:"description"` // "Nokian Hakkapeliitta 10 205/55 R16"
	Quantity    int    `json:"quantity"`
	Price       int    `json:"price"` // rubles per tire when ordered
}

// Order is a customer's order.
type Order struct {
	ID        string      `json:"id"`    // digits, easy to say: "100042"
	Phone     string      `json:"phone"` // E.164
	Name      string      `json:"name"`
	Status    OrderStatus `json:"status"`
	Items     []OrderItem `json:"items"`
	Total     int         `json:"total"` // rubles, sum of quantity × price
	Delivery  Delivery    `json:"delivery"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// OrderRequest creates an order of one tire model. StationID asks for
// pickup there; Address asks for delivery; with neither the shop calls back
// to agree on a pickup point.
type OrderRequest struct {
	TireID    string `json:"tire_id"`
	Quantity  int    `json:"quantity"` // 1..20
	Phone     string `json:"phone"`    // any common Russian form; stored as E.164
	Name      string `json:"name"`
	StationID string `json:"station_id,omitempty"`
	Address   string `json:"address,omitempty"`
}

// DayHours are a station's working hours on one weekday, local time.
type DayHours struct {
	Day    string `json:"day"`             // mon, tue, wed, thu, fri, sat, sun
	Open   string `json:"open,omitempty"`  // "09:00"; empty when closed
	Close  string `json:"close,omitempty"` // "21:00"; empty when closed
	Closed bool   `json:"closed,omitempty"`
}

// Station is a tire fitting station.
type Station struct {
	ID          string     `json:"id"` // "msk-1"
	City        string     `json:"city"`
	Name        string     `json:"name"`
	Address     string     `json:"address"`
	Phone       string     `json:"phone"`        // E.164
	Timezone    string     `json:"timezone"`     // IANA, e.g. "Europe/Moscow"
	SlotMinutes int        `json:"slot_minutes"` // length of one fitting slot
	Hours       []DayHours `json:"hours"`        // seven entries, Monday first
}

// Slot is a free fitting slot at a station.
type Slot struct {
	Start time.Time `json:"start"` // with the station's UTC offset
	End   time.Time `json:"end"`
}

// StationSlots is the answer to a slots query for one local date.
type StationSlots struct {
	StationID string `json:"station_id"`
	Date      string `json:"date"` // YYYY-MM-DD, station local
	Closed    bool   `json:"closed"`
	Slots     []Slot `json:"slots"` // free slots, earliest first
}

// BookingRequest books a fitting slot. Start is RFC 3339; without a UTC
// offset ("2025-06-10T10:00") it is the station's local time.
type BookingRequest struct {
	StationID string `json:"station_id"`
	Start     string `json:"start"`
	Phone     string `json:"phone"`
	Name      string `json:"name"`
	Note      string `json:"note,omitempty"` // car, tire size; at most 500 characters
}

// Booking is a booked fitting slot.
type Booking struct {
	ID        string    `json:"id"` // "B0007"
	StationID string    `json:"station_id"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Phone     string    `json:"phone"`
	Name      string    `json:"name"`
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}
