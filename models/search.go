package models

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// foldLatinPool holds transformers that remove combining marks after decomposition: "cèdre" →
// "cedre", "Fès" → "fes". A transform.Chain keeps state between calls, so one is never used by
// two goroutines at once.
var foldLatinPool = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

// foldLatin removes the accents of s (s unchanged, with the error, when it cannot be folded).
func foldLatin(s string) (string, error) {
	t := foldLatinPool.Get().(transform.Transformer) //nolint:errcheck // the pool only holds Transformers
	defer foldLatinPool.Put(t)
	out, _, err := transform.String(t, s)
	if err != nil {
		return s, err
	}
	return out, nil
}

// arabicFold maps the letter forms that users type interchangeably to one form.
var arabicFold = strings.NewReplacer(
	"أ", "ا", "إ", "ا", "آ", "ا", "ٱ", "ا",
	"ى", "ي", "ئ", "ي", "ؤ", "و", "ة", "ه",
	"ـ", "", // tatweel
)

// arabicPrefixes are the article and its common clitic combinations, longest first.
var arabicPrefixes = []string{"وال", "بال", "كال", "فال", "لل", "ال"}

// NormalizeSearchText folds text for indexing and querying, in every language alike: lower
// case, Latin accents removed, Arabic diacritics and letter variants unified, punctuation turned
// into spaces. Arabic words with the definite article are indexed both with and without it, so
// "زليج" finds "الزليج".
func NormalizeSearchText(s string) string {
	s = strings.ToLower(s)
	// Arabic harakat (U+064B–U+065F) and the superscript alef are combining marks too, so the
	// same pass removes them.
	folded, err := foldLatin(s)
	if err == nil {
		s = folded
	}
	s = arabicFold.Replace(s)
	fields := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	out := make([]string, 0, len(fields)+4)
	for _, w := range fields {
		out = append(out, w)
		for _, p := range arabicPrefixes {
			if strings.HasPrefix(w, p) && len([]rune(w))-len([]rune(p)) >= 2 {
				out = append(out, strings.TrimPrefix(w, p))
				break
			}
		}
	}
	return strings.Join(out, " ")
}
