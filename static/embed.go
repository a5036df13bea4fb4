// Package static embeds the portal's CSS, JavaScript, icons and vendored
// front-end files, and indexes them by content hash so they can be served
// under immutable URLs ("/static/<hash>/<name>") with long cache lifetimes.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
)

//go:embed css js vendor icons
var files embed.FS

// Prefix is the URL path under which assets are served.
const Prefix = "/static/"

// ErrUnknown is returned by URL for a name that is not an embedded asset.
var ErrUnknown = errors.New("unknown static asset")

// Asset is one static file: its bytes (after url() rewriting for CSS), its
// Content-Type and the first 12 hex characters of the SHA-256 of Data.
type Asset struct {
	Data        []byte
	ContentType string
	Hash        string
}

// Assets is an immutable index of static files by slash-separated name
// relative to the static folder, such as "css/souk.css".
type Assets struct {
	byName map[string]Asset
}

// Load indexes the embedded static files.
func Load() (*Assets, error) {
	return LoadFS(files)
}

// LoadFS indexes every file of fsys. Non-CSS files are hashed first; then, in
// each CSS file, relative url(...) references are rewritten to the hashed
// absolute URL of the file they point to before the CSS itself is hashed.
// A relative reference to a missing file (or to another CSS file) fails.
func LoadFS(fsys fs.FS) (*Assets, error) {
	a := &Assets{byName: map[string]Asset{}}
	var css []string
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if path.Ext(name) == ".css" {
			css = append(css, name)
			return nil
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		a.add(name, data)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk static files: %w", err)
	}
	for _, name := range css {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		data, err = a.rewriteCSS(name, data)
		if err != nil {
			return nil, err
		}
		a.add(name, data)
	}
	return a, nil
}

func (a *Assets) add(name string, data []byte) {
	sum := sha256.Sum256(data)
	a.byName[name] = Asset{Data: data, ContentType: contentType(name), Hash: hex.EncodeToString(sum[:])[:12]}
}

// URL returns the hashed URL of the named asset, for example
// "/static/0123456789ab/css/souk.css" for "css/souk.css".
func (a *Assets) URL(name string) (string, error) {
	asset, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("asset url %q: %w", name, ErrUnknown)
	}
	return Prefix + asset.Hash + "/" + name, nil
}

// Lookup returns the named asset only when hash is its current hash, so a
// stale URL is not served with a forever cache lifetime.
func (a *Assets) Lookup(hash, name string) (Asset, bool) {
	asset, ok := a.byName[name]
	if !ok || asset.Hash != hash {
		return Asset{}, false
	}
	return asset, true
}

// Names returns the names of all assets, sorted.
func (a *Assets) Names() []string {
	names := make([]string, 0, len(a.byName))
	for name := range a.byName {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// cssURL matches url("…"), url('…') and url(…).
var cssURL = regexp.MustCompile(`url\(\s*(?:"([^"]*)"|'([^']*)'|([^'"\s)]+))\s*\)`)

func (a *Assets) rewriteCSS(name string, data []byte) ([]byte, error) {
	var err error
	out := cssURL.ReplaceAllFunc(data, func(m []byte) []byte {
		sub := cssURL.FindSubmatch(m)
		ref := string(sub[1]) + string(sub[2]) + string(sub[3])
		if ref == "" || strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "/") || strings.Contains(ref, ":") {
			return m // fragment, absolute path, data: or other scheme
		}
		target, suffix := ref, ""
		if i := strings.IndexAny(ref, "?#"); i >= 0 {
			target, suffix = ref[:i], ref[i:]
		}
		target = path.Join(path.Dir(name), target)
		u, uerr := a.URL(target)
		if uerr != nil && err == nil {
			err = fmt.Errorf("rewrite url(%s) in %s: %w", ref, name, uerr)
		}
		return []byte(`url("` + u + suffix + `")`)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".woff2":
		return "font/woff2"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".txt", ".md", "": // LICENSE files, VENDOR.md
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}
