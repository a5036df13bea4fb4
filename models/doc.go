// Package models holds everything about rows: the GORM models of Souk Expo, their domain
// rules (roles, state machines, passwords), ctx-first query functions, the database opener
// for PostgreSQL and SQLite, the embedded versioned migrations and the sentinel errors the
// rest of the program maps to HTTP answers. It knows nothing of HTTP, Stripe or MinIO.
package models
