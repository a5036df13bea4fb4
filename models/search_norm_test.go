package models

import "testing"

func TestNormalizeSearchText(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"Coffret en Cèdre", "coffret en cedre"},
		{"Fès-Meknès", "fes meknes"},
		{"الزَّلِيج", "الزليج زليج"},
		{"لوحة نافورة من الزليج", "لوحه نافوره من الزليج زليج"},
		{"إبريق", "ابريق"},
		{"مكتبة", "مكتبه"},
		{"Beni Ouarain!", "beni ouarain"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormalizeSearchText(tt.in); got != tt.want {
				t.Errorf("NormalizeSearchText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if got := searchTermGroups("زليج الزليج cèdre cedre"); len(got) != 3 || len(got[1]) != 2 {
		t.Errorf("searchTermGroups: got %q, want 3 groups, the second with and without the article", got)
	}
}
