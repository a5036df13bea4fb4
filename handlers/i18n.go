package handlers

import (
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/gofiber/fiber/v2"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Languages the interface speaks, French first (the default).
var supportedLanguages = []language.Tag{language.French, language.Arabic, language.English}

// languageNames are shown in the language switcher, each in its own language.
var languageNames = map[string]string{"fr": "Français", "ar": "العربية", "en": "English"}

const (
	langCookie = "souk_lang"
	localsLang = "lang"
)

// translator holds the message catalogs and picks a language for each request.
type translator struct {
	bundle  *i18n.Bundle
	matcher language.Matcher
	// localizers are built once per language: a Localizer is safe for concurrent use.
	localizers map[string]*i18n.Localizer
}

func newTranslator(locales fs.FS) (*translator, error) {
	bundle := i18n.NewBundle(language.French)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	t := &translator{bundle: bundle, matcher: language.NewMatcher(supportedLanguages), localizers: map[string]*i18n.Localizer{}}
	for _, tag := range supportedLanguages {
		base, _ := tag.Base()
		// One catalog per language and area: active.fr.toml, fairs.fr.toml, … ("<area>.<lang>.toml").
		names, err := fs.Glob(locales, "*."+base.String()+".toml")
		if err != nil {
			return nil, fmt.Errorf("list catalogs for %s: %w", base, err)
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("no catalog for %s in views/locales", base)
		}
		for _, name := range names {
			data, err := fs.ReadFile(locales, name)
			if err != nil {
				return nil, fmt.Errorf("read catalog %s: %w", name, err)
			}
			if _, err := bundle.ParseMessageFileBytes(data, name); err != nil {
				return nil, fmt.Errorf("parse catalog %s: %w", name, err)
			}
		}
		t.localizers[base.String()] = i18n.NewLocalizer(bundle, base.String(), "fr")
	}
	return t, nil
}

// pickLanguage decides the request's language: ?lang= (remembered in a cookie), then the
// cookie, then Accept-Language, then French.
func (t *translator) pickLanguage(c *fiber.Ctx, secureCookies bool) string {
	if q := strings.ToLower(c.Query("lang")); q != "" {
		if _, ok := t.localizers[q]; ok {
			c.Cookie(&fiber.Cookie{
				Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
				Expires: time.Now().AddDate(1, 0, 0), SameSite: fiber.CookieSameSiteLaxMode,
				Secure: secureCookies, HTTPOnly: true,
			})
			return q
		}
	}
	if ck := c.Cookies(langCookie); ck != "" {
		if _, ok := t.localizers[ck]; ok {
			return ck
		}
	}
	if accept := c.Get(fiber.HeaderAcceptLanguage); accept != "" {
		tags, _, err := language.ParseAcceptLanguage(accept)
		if err == nil && len(tags) > 0 {
			_, idx, conf := t.matcher.Match(tags...)
			if conf != language.No {
				base, _ := supportedLanguages[idx].Base()
				return base.String()
			}
		}
	}
	return "fr"
}

// localize renders one message; a missing id falls back to French, then to the id itself so a
// gap shows up on the page instead of an error.
func (t *translator) localize(lang, id string, count any, data map[string]any) string {
	loc, ok := t.localizers[lang]
	if !ok {
		loc = t.localizers["fr"]
	}
	cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if count != nil {
		cfg.PluralCount = count
		if data == nil {
			cfg.TemplateData = map[string]any{"Count": count}
		} else if _, has := data["Count"]; !has {
			data["Count"] = count
		}
	}
	s, err := loc.Localize(cfg)
	if err != nil || s == "" {
		return id
	}
	return s
}

// hasMessage tells whether lang's own catalog defines id (used by the catalog tests).
func (t *translator) hasMessage(lang, id string) bool {
	loc := i18n.NewLocalizer(t.bundle, lang)
	_, tag, err := loc.LocalizeWithTag(&i18n.LocalizeConfig{MessageID: id, PluralCount: 2})
	if err != nil {
		_, tag, err = loc.LocalizeWithTag(&i18n.LocalizeConfig{MessageID: id})
	}
	base, _ := tag.Base()
	return err == nil && base.String() == lang
}

func textDirection(lang string) string {
	if lang == "ar" {
		return "rtl"
	}
	return "ltr"
}

// Month names: Moroccan Arabic uses the French-derived names (يناير … دجنبر).
var monthNames = map[string][12]string{
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	"ar": {"يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو", "يوليوز", "غشت", "شتنبر", "أكتوبر", "نونبر", "دجنبر"},
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

func formatDate(lang string, d time.Time) string {
	names, ok := monthNames[lang]
	if !ok {
		names = monthNames["fr"]
	}
	return fmt.Sprintf("%d %s %d", d.Day(), names[d.Month()-1], d.Year())
}

// formatDateRange writes "27–29 mars 2026", collapsing the shared month and year.
func formatDateRange(lang string, from, to time.Time) string {
	names, ok := monthNames[lang]
	if !ok {
		names = monthNames["fr"]
	}
	switch {
	case from.Year() == to.Year() && from.Month() == to.Month():
		// The en dash is a neutral character: isolate the range left-to-right so "19–21" does
		// not read "21–19" in an Arabic line.
		return fmt.Sprintf("\u2066%d–%d\u2069 %s %d", from.Day(), to.Day(), names[from.Month()-1], from.Year())
	case from.Year() == to.Year():
		return fmt.Sprintf("%d %s – %d %s %d", from.Day(), names[from.Month()-1], to.Day(), names[to.Month()-1], to.Year())
	default:
		return formatDate(lang, from) + " – " + formatDate(lang, to)
	}
}
