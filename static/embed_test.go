package static

import (
	"errors"
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func TestEmbeddedAssets(t *testing.T) {
	a, err := Load()
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	var names []string
	if err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, name)
		}
		return err
	}); err != nil {
		t.Fatalf("walk: %v", err)
	}
	if got := len(a.Names()); got != len(names) {
		t.Errorf("indexed %d assets, embedded %d files", got, len(names))
	}
	for _, want := range []string{
		"css/souk.css", "js/souk.js", "icons/favicon.svg", "icons/zellige-pattern.svg",
		"vendor/bootstrap/css/bootstrap.min.css", "vendor/bootstrap/css/bootstrap.rtl.min.css",
		"vendor/bootstrap/js/bootstrap.bundle.min.js", "vendor/htmx/htmx.min.js",
		"vendor/fonts/noto-sans-arabic-arabic-400-normal.woff2",
	} {
		if _, err := a.URL(want); err != nil {
			t.Errorf("URL(%q): %v", want, err)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			u, err := a.URL(name)
			if err != nil {
				t.Fatalf("URL: %v", err)
			}
			hash, rest, ok := strings.Cut(strings.TrimPrefix(u, Prefix), "/")
			if !strings.HasPrefix(u, Prefix) || !ok || rest != name || len(hash) != 12 {
				t.Fatalf("URL = %q, want %s<12 hex>/%s", u, Prefix, name)
			}
			asset, ok := a.Lookup(hash, name)
			if !ok || len(asset.Data) == 0 || asset.ContentType == "" {
				t.Fatalf("Lookup(%q, %q) = %v, %v", hash, name, ok, asset.ContentType)
			}
			if strings.HasSuffix(name, ".css") || strings.HasSuffix(name, ".js") {
				if strings.Contains(string(asset.Data), "sourceMappingURL") {
					t.Errorf("%s still references a source map", name)
				}
			}
		})
	}
}

// urlRef finds the url(...) targets that Load wrote into CSS.
var urlRef = regexp.MustCompile(`url\("(/static/[^"#?]+)`)

func TestEmbeddedCSSReferencesResolve(t *testing.T) {
	a, err := Load()
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	asset, ok := a.byName["css/souk.css"]
	if !ok {
		t.Fatal("css/souk.css missing")
	}
	refs := urlRef.FindAllStringSubmatch(string(asset.Data), -1)
	if len(refs) == 0 {
		t.Fatal("css/souk.css has no rewritten url()")
	}
	fonts := 0
	for _, m := range refs {
		hash, name, _ := strings.Cut(strings.TrimPrefix(m[1], Prefix), "/")
		if _, ok := a.Lookup(hash, name); !ok {
			t.Errorf("css/souk.css references %s, which is not a current asset", m[1])
		}
		if strings.HasSuffix(name, ".woff2") {
			fonts++
		}
	}
	if fonts == 0 {
		t.Error("css/souk.css references no font")
	}
}

func TestLoadFS(t *testing.T) {
	base := func() fstest.MapFS {
		return fstest.MapFS{
			"css/site.css": {Data: []byte(`@font-face{src:url("../fonts/a.woff2") format("woff2")}` +
				`.x{background:url(../icons/p.svg#tile)}.y{background:url('data:image/svg+xml,%3csvg/%3e')}` +
				`.z{background:url(/abs.png)}`)},
			"fonts/a.woff2": {Data: []byte("font-a")},
			"icons/p.svg":   {Data: []byte("<svg/>")},
			"js/app.js":     {Data: []byte("console.log(1)")},
		}
	}
	a, err := LoadFS(base())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	fontURL, _ := a.URL("fonts/a.woff2")
	svgURL, _ := a.URL("icons/p.svg")
	css := a.byName["css/site.css"]

	changed := base()
	changed["fonts/a.woff2"] = &fstest.MapFile{Data: []byte("font-b")}
	b, err := LoadFS(changed)
	if err != nil {
		t.Fatalf("load changed: %v", err)
	}
	jsURL, _ := a.URL("js/app.js")
	jsURL2, _ := b.URL("js/app.js")

	tests := []struct {
		name string
		ok   bool
	}{
		{"css url() rewritten to font", strings.Contains(string(css.Data), `url("`+fontURL+`")`)},
		{"css url() keeps fragment", strings.Contains(string(css.Data), `url("`+svgURL+`#tile")`)},
		{"css data: url untouched", strings.Contains(string(css.Data), `url('data:image/svg+xml,%3csvg/%3e')`)},
		{"css absolute url untouched", strings.Contains(string(css.Data), `url(/abs.png)`)},
		{"content type css", css.ContentType == "text/css; charset=utf-8"},
		{"content type woff2", a.byName["fonts/a.woff2"].ContentType == "font/woff2"},
		{"hash changes with content", a.byName["fonts/a.woff2"].Hash != b.byName["fonts/a.woff2"].Hash},
		{"css hash follows its font", css.Hash != b.byName["css/site.css"].Hash},
		{"unchanged file keeps hash", jsURL == jsURL2},
		{"lookup current hash", lookupOK(a, a.byName["js/app.js"].Hash, "js/app.js")},
		{"lookup stale hash fails", !lookupOK(b, a.byName["fonts/a.woff2"].Hash, "fonts/a.woff2")},
		{"lookup unknown name fails", !lookupOK(a, a.byName["js/app.js"].Hash, "js/other.js")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Error("failed")
			}
		})
	}

	t.Run("unknown name errors", func(t *testing.T) {
		if _, err := a.URL("css/missing.css"); !errors.Is(err, ErrUnknown) {
			t.Errorf("URL(missing) error = %v, want ErrUnknown", err)
		}
	})
	t.Run("dangling css url fails load", func(t *testing.T) {
		bad := base()
		bad["css/bad.css"] = &fstest.MapFile{Data: []byte(`.a{background:url(../icons/none.svg)}`)}
		if _, err := LoadFS(bad); !errors.Is(err, ErrUnknown) {
			t.Errorf("LoadFS error = %v, want ErrUnknown", err)
		}
	})
}

func lookupOK(a *Assets, hash, name string) bool {
	_, ok := a.Lookup(hash, name)
	return ok
}
