// Package views holds the HTML templates (one layout, partials, one file per page) and the
// message catalogs of the interface (French, Arabic, English), embedded into the binary.
package views

import "embed"

// FS holds layouts/, partials/, pages/ and locales/.
//
//go:embed layouts partials pages locales
var FS embed.FS
