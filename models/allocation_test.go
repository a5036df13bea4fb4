package models

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// allocRow lays out n free stands of 3 × 3 m side by side (touching) in hall 1, zone "A",
// coded A1…An.
func allocRow(n int) []AllocStand {
	out := make([]AllocStand, n)
	for i := range out {
		out[i] = AllocStand{ID: int64(i + 1), Code: fmt.Sprintf("A%d", i+1), HallID: 1, Zone: "A",
			Kind: "standard", X: i * 300, Width: 300, Depth: 300}
	}
	return out
}

// allocByApp maps application id → assignment.
func allocByApp(p AllocProposal) map[int64]AllocAssignment {
	out := map[int64]AllocAssignment{}
	for _, a := range p.Assignments {
		out[a.ApplicationID] = a
	}
	return out
}

var allocDay = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func TestAllocationHonoursKindZoneThenClosestSize(t *testing.T) {
	stands := []AllocStand{
		{ID: 1, Code: "A1", HallID: 1, Zone: "A", Kind: "standard", X: 0, Width: 300, Depth: 300},
		{ID: 2, Code: "A2", HallID: 1, Zone: "A", Kind: "corner", X: 300, Width: 300, Depth: 300},
		{ID: 3, Code: "B1", HallID: 1, Zone: "B", Kind: "standard", X: 2000, Width: 200, Depth: 200},
		{ID: 4, Code: "B2", HallID: 1, Zone: "B", Kind: "premium", X: 2200, Width: 600, Depth: 300},
		{ID: 5, Code: "C1", HallID: 2, Zone: "C", Kind: "standard", X: 0, Width: 400, Depth: 400},
	}
	tests := []struct {
		name       string
		app        AllocApplication
		wantStand  string
		wantReason AllocReason
	}{
		{"kind and zone", AllocApplication{PreferredKind: "standard", PreferredZone: "B"}, "B1", ReasonPreferredKindZone},
		{"kind only asked", AllocApplication{PreferredKind: "premium"}, "B2", ReasonPreferredKind},
		{"kind available in another zone", AllocApplication{PreferredKind: "corner", PreferredZone: "C"}, "A2", ReasonPreferredKind},
		{"zone available with another kind", AllocApplication{PreferredKind: "island", PreferredZone: "B"}, "B1", ReasonPreferredZone},
		{"zone and area", AllocApplication{PreferredZone: "B", PreferredAreaCm2: 180000}, "B2", ReasonPreferredZone},
		{"neither: closest size", AllocApplication{PreferredKind: "island", PreferredZone: "D", PreferredAreaCm2: 160000}, "C1", ReasonClosestSize},
		{"size only", AllocApplication{PreferredAreaCm2: 40000}, "B1", ReasonClosestSize},
		{"neither, no size: first on the plan", AllocApplication{PreferredKind: "island"}, "A1", ReasonPreferenceTaken},
		{"nothing asked: first on the plan", AllocApplication{}, "A1", ReasonNoPreference},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.app.ID = 7
			p := ProposeAllocation([]AllocApplication{tc.app}, stands)
			if len(p.Assignments) != 1 {
				t.Fatalf("assignments = %+v, want one", p.Assignments)
			}
			got := p.Assignments[0]
			if got.StandCode != tc.wantStand || got.Reason != tc.wantReason {
				t.Errorf("got stand %s (%s), want %s (%s)", got.StandCode, got.Reason, tc.wantStand, tc.wantReason)
			}
		})
	}
}

func TestAllocationFirstComeTakesThePreferredStand(t *testing.T) {
	// Two applications want the only corner; the higher-priority one gets it, the other
	// is told the corner was taken.
	stands := allocRow(3)
	stands[1].Kind = "corner"
	apps := []AllocApplication{
		{ID: 1, RegionCode: "FM", ChamberRank: 2, PreferredKind: "corner"},
		{ID: 2, RegionCode: "FM", ChamberRank: 1, PreferredKind: "corner"},
	}
	got := allocByApp(ProposeAllocation(apps, stands))
	if got[2].StandCode != "A2" || got[2].Reason != ReasonPreferredKind {
		t.Errorf("rank 1 got %+v, want the corner A2", got[2])
	}
	if got[1].StandCode == "A2" || got[1].Reason != ReasonPreferenceTaken {
		t.Errorf("rank 2 got %+v, want another stand, reason %q", got[1], ReasonPreferenceTaken)
	}
}

func TestAllocationKeepsSameCraftApart(t *testing.T) {
	t.Run("row of five", func(t *testing.T) {
		var apps []AllocApplication
		for i := range 4 {
			apps = append(apps, AllocApplication{ID: int64(i + 1), RegionCode: "FM", CraftCode: "zellige", ChamberRank: i + 1})
		}
		apps = append(apps, AllocApplication{ID: 9, RegionCode: "FM", CraftCode: "pottery", ChamberRank: 9})
		p := ProposeAllocation(apps, allocRow(5))
		got := allocByApp(p)
		// Three zellige fit on A1, A3, A5 without touching; the fourth cannot avoid it.
		for id, want := range map[int64]string{1: "A1", 2: "A3", 3: "A5"} {
			if got[id].StandCode != want || got[id].CraftNeighbour {
				t.Errorf("zellige %d got %+v, want %s without a zellige neighbour", id, got[id], want)
			}
		}
		if got[4].StandCode != "A2" || !got[4].CraftNeighbour {
			t.Errorf("zellige 4 got %+v, want A2 flagged as next to the same craft", got[4])
		}
		if got[9].StandCode != "A4" || got[9].CraftNeighbour {
			t.Errorf("pottery got %+v, want A4 without a flag", got[9])
		}
	})
	t.Run("already occupied neighbour", func(t *testing.T) {
		stands := allocRow(3)
		stands[0].OccupiedByCraft = "zellige"
		p := ProposeAllocation([]AllocApplication{{ID: 1, CraftCode: "zellige"}}, stands)
		if len(p.Assignments) != 1 || p.Assignments[0].StandCode != "A3" || p.Assignments[0].CraftNeighbour {
			t.Errorf("got %+v, want A3 away from the zellige already on A1", p.Assignments)
		}
	})
	t.Run("craft avoidance does not beat kind", func(t *testing.T) {
		stands := allocRow(3)
		stands[1].Kind = "corner"
		apps := []AllocApplication{
			{ID: 1, CraftCode: "zellige", ChamberRank: 1, PreferredKind: "standard"},
			{ID: 2, CraftCode: "zellige", ChamberRank: 2, PreferredKind: "corner"},
		}
		got := allocByApp(ProposeAllocation(apps, stands))
		if got[2].StandCode != "A2" || !got[2].CraftNeighbour || got[2].Reason != ReasonPreferredKind {
			t.Errorf("got %+v, want the corner A2 as asked, flagged", got[2])
		}
	})
}

func TestAllocationStandsAdjacent(t *testing.T) {
	base := AllocStand{HallID: 1, X: 0, Y: 0, Width: 300, Depth: 300}
	at := func(x, y int) AllocStand { s := base; s.X, s.Y = x, y; return s }
	tests := []struct {
		name  string
		other AllocStand
		want  bool
	}{
		{"touching side", at(300, 0), true},
		{"touching back", at(0, 300), true},
		{"partition gap of 50 cm", at(350, 0), true},
		{"gap of 51 cm", at(351, 0), false},
		{"across a 1 m aisle", at(0, 400), false},
		{"across a 2 m aisle", at(0, 500), false},
		{"shifted half a stand", at(300, 150), true},
		{"corner to corner only", at(300, 300), false},
		{"other hall", func() AllocStand { s := at(300, 0); s.HallID = 2; return s }(), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := allocStandsAdjacent(&base, &tc.other); got != tc.want {
				t.Errorf("adjacent = %v, want %v", got, tc.want)
			}
			if got := allocStandsAdjacent(&tc.other, &base); got != tc.want {
				t.Errorf("adjacent (swapped) = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAllocationSpreadsRegions(t *testing.T) {
	regions := []string{"TTA", "ORI", "FM", "RSK", "BMK", "CS", "MS", "DT", "SM", "GON", "LSH", "DOD"}
	var apps []AllocApplication
	id := int64(1)
	for ri, r := range regions {
		for rank := 1; rank <= 3; rank++ {
			// The FM artisans are the most senior and submitted first: a plain priority sort
			// would hand them stands before the other regions get any.
			verified := allocDay.AddDate(0, 0, ri*10+rank)
			if r == "FM" {
				verified = allocDay.AddDate(-5, 0, rank)
			}
			apps = append(apps, AllocApplication{ID: id, RegionCode: r, ChamberRank: rank, VerifiedAt: verified})
			id++
		}
	}
	p := ProposeAllocation(apps, allocRow(20))
	if len(p.Assignments) != 20 || len(p.Unplaced) != 16 {
		t.Fatalf("placed %d, unplaced %d; want 20 and 16", len(p.Assignments), len(p.Unplaced))
	}
	regionOf := map[int64]string{}
	for _, a := range apps {
		regionOf[a.ID] = a.RegionCode
	}
	count := map[string]int{}
	for i, a := range p.Assignments {
		r := regionOf[a.ApplicationID]
		count[r]++
		// In priority order, the first 12 assignments cover every region once.
		if i < len(regions) && count[r] > 1 {
			t.Errorf("assignment %d gives %s a second stand before every region has one", i, r)
		}
	}
	for _, r := range regions {
		if count[r] < 1 || count[r] > 2 {
			t.Errorf("region %s got %d stands, want 1 or 2", r, count[r])
		}
	}
	if count["FM"] != 2 {
		t.Errorf("FM (most senior) got %d stands, want 2", count["FM"])
	}
}

func TestAllocationPriority(t *testing.T) {
	early, late := allocDay, allocDay.AddDate(0, 1, 0)
	tests := []struct {
		name          string
		winner, loser AllocApplication
	}{
		{"rank 1 before rank 2",
			AllocApplication{ID: 20, ChamberRank: 1, VerifiedAt: late, SubmittedAt: late},
			AllocApplication{ID: 10, ChamberRank: 2, VerifiedAt: early, SubmittedAt: early}},
		{"ranked before unranked",
			AllocApplication{ID: 20, ChamberRank: 7, VerifiedAt: late, SubmittedAt: late},
			AllocApplication{ID: 10, ChamberRank: 0, VerifiedAt: early, SubmittedAt: early}},
		{"same rank: verified earlier",
			AllocApplication{ID: 20, ChamberRank: 1, VerifiedAt: early, SubmittedAt: late},
			AllocApplication{ID: 10, ChamberRank: 1, VerifiedAt: late, SubmittedAt: early}},
		{"unknown verification after a known one",
			AllocApplication{ID: 20, VerifiedAt: late, SubmittedAt: late},
			AllocApplication{ID: 10, SubmittedAt: early}},
		{"same seniority: submitted earlier",
			AllocApplication{ID: 20, VerifiedAt: early, SubmittedAt: early},
			AllocApplication{ID: 10, VerifiedAt: early, SubmittedAt: late}},
		{"all equal: lower id",
			AllocApplication{ID: 10, VerifiedAt: early, SubmittedAt: early},
			AllocApplication{ID: 20, VerifiedAt: early, SubmittedAt: early}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.winner.RegionCode, tc.loser.RegionCode = "FM", "FM"
			for _, apps := range [][]AllocApplication{{tc.winner, tc.loser}, {tc.loser, tc.winner}} {
				p := ProposeAllocation(apps, allocRow(1))
				if len(p.Assignments) != 1 || p.Assignments[0].ApplicationID != tc.winner.ID ||
					!slices.Equal(p.Unplaced, []int64{tc.loser.ID}) {
					t.Errorf("got %+v, want application %d placed and %d unplaced", p, tc.winner.ID, tc.loser.ID)
				}
			}
		})
	}
}

// allocRandomCase builds a small random plan: a few rows in two halls, random kinds, zones,
// sizes, preferences, crafts and regions, sometimes more applications than stands.
func allocRandomCase(rng *rand.Rand) ([]AllocApplication, []AllocStand) {
	kinds := []string{"standard", "corner", "island", "premium"}
	zones := []string{"A", "B", "artisanat", ""}
	var stands []AllocStand
	for i := range rng.IntN(40) {
		w := 200 + 100*rng.IntN(4)
		stands = append(stands, AllocStand{
			ID: int64(i + 1), Code: fmt.Sprintf("S%d", rng.IntN(30)), HallID: int64(1 + rng.IntN(2)),
			Zone: zones[rng.IntN(len(zones))], Kind: kinds[rng.IntN(len(kinds))],
			X: (i % 8) * 300, Y: (i / 8) * (300 + 100*rng.IntN(3)), Width: w, Depth: 300,
		})
		if rng.IntN(10) == 0 {
			stands[i].OccupiedByCraft = fmt.Sprintf("c%d", rng.IntN(4))
		}
	}
	var apps []AllocApplication
	for i := range rng.IntN(50) {
		a := AllocApplication{
			ID: int64(100 + i), RegionCode: fmt.Sprintf("R%d", rng.IntN(5)), CraftCode: fmt.Sprintf("c%d", rng.IntN(4)),
			ChamberRank: rng.IntN(4), VerifiedAt: allocDay.AddDate(0, 0, rng.IntN(5)), SubmittedAt: allocDay.Add(time.Duration(rng.IntN(5)) * time.Hour),
		}
		if rng.IntN(2) == 0 {
			a.PreferredKind = kinds[rng.IntN(len(kinds))]
		}
		if rng.IntN(2) == 0 {
			a.PreferredZone = zones[rng.IntN(len(zones)-1)]
		}
		if rng.IntN(2) == 0 {
			a.PreferredAreaCm2 = 90000 * (1 + rng.IntN(2))
		}
		apps = append(apps, a)
	}
	return apps, stands
}

func TestAllocationUsesEachStandAndApplicationOnce(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 3))
	for c := range 200 {
		apps, stands := allocRandomCase(rng)
		p := ProposeAllocation(apps, stands)

		standByID := map[int64]AllocStand{}
		free := 0
		for _, s := range stands {
			standByID[s.ID] = s
			if s.OccupiedByCraft == "" {
				free++
			}
		}
		appByID := map[int64]AllocApplication{}
		for _, a := range apps {
			appByID[a.ID] = a
		}
		usedStand, seenApp := map[int64]bool{}, map[int64]bool{}
		craftOn := map[int64]string{}
		for _, s := range stands {
			if s.OccupiedByCraft != "" {
				craftOn[s.ID] = s.OccupiedByCraft
			}
		}
		for _, a := range p.Assignments {
			s, ok := standByID[a.StandID]
			switch {
			case !ok || s.OccupiedByCraft != "":
				t.Fatalf("case %d: stand %d was not offered", c, a.StandID)
			case s.Code != a.StandCode:
				t.Fatalf("case %d: stand %d code %q, want %q", c, a.StandID, a.StandCode, s.Code)
			case usedStand[a.StandID]:
				t.Fatalf("case %d: stand %d given twice", c, a.StandID)
			case seenApp[a.ApplicationID]:
				t.Fatalf("case %d: application %d placed twice", c, a.ApplicationID)
			}
			usedStand[a.StandID], seenApp[a.ApplicationID] = true, true
			app := appByID[a.ApplicationID]
			if a.Reason == ReasonPreferredKindZone && (s.Kind != app.PreferredKind || s.Zone != app.PreferredZone) ||
				a.Reason == ReasonPreferredKind && s.Kind != app.PreferredKind ||
				a.Reason == ReasonPreferredZone && s.Zone != app.PreferredZone {
				t.Fatalf("case %d: reason %q for %+v on %+v", c, a.Reason, app, s)
			}
			// The flag says exactly whether a same-craft neighbour was there already.
			next := false
			for id, craft := range craftOn {
				other := standByID[id]
				next = next || craft == app.CraftCode && allocStandsAdjacent(&s, &other)
			}
			if next != a.CraftNeighbour {
				t.Fatalf("case %d: application %d on %s: CraftNeighbour %v, want %v", c, app.ID, s.Code, a.CraftNeighbour, next)
			}
			craftOn[s.ID] = app.CraftCode
		}
		for _, id := range p.Unplaced {
			if seenApp[id] {
				t.Fatalf("case %d: application %d both placed and unplaced", c, id)
			}
			seenApp[id] = true
		}
		if len(seenApp) != len(apps) {
			t.Fatalf("case %d: %d applications accounted for, want %d", c, len(seenApp), len(apps))
		}
		if want := min(len(apps), free); len(p.Assignments) != want {
			t.Fatalf("case %d: %d placed, want %d (a stand left free while someone waits)", c, len(p.Assignments), want)
		}
	}
}

func TestAllocationIgnoresDuplicateIDs(t *testing.T) {
	stands := append(allocRow(2), allocRow(1)...) // stand 1 twice
	apps := []AllocApplication{{ID: 1}, {ID: 1}, {ID: 2}}
	p := ProposeAllocation(apps, stands)
	if len(p.Assignments) != 2 || len(p.Unplaced) != 0 {
		t.Fatalf("got %+v, want two applications on two stands", p)
	}
	if p.Assignments[0].StandID == p.Assignments[1].StandID {
		t.Errorf("stand %d given twice", p.Assignments[0].StandID)
	}
}

func TestAllocationIsDeterministic(t *testing.T) {
	apps, stands := allocBenchInput(400, 300)
	want := ProposeAllocation(apps, stands)
	if len(want.Assignments) != 300 || len(want.Unplaced) != 100 {
		t.Fatalf("placed %d, unplaced %d; want 300 and 100", len(want.Assignments), len(want.Unplaced))
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for range 10 {
		apps, stands := slices.Clone(apps), slices.Clone(stands)
		rng.Shuffle(len(apps), func(i, j int) { apps[i], apps[j] = apps[j], apps[i] })
		rng.Shuffle(len(stands), func(i, j int) { stands[i], stands[j] = stands[j], stands[i] })
		if got := ProposeAllocation(apps, stands); !reflect.DeepEqual(got, want) {
			t.Fatal("shuffled input gave a different proposal")
		}
	}
}

func TestAllocationEmptyInputs(t *testing.T) {
	if p := ProposeAllocation(nil, nil); len(p.Assignments) != 0 || len(p.Unplaced) != 0 {
		t.Errorf("nothing in: got %+v", p)
	}
	if p := ProposeAllocation(nil, allocRow(3)); len(p.Assignments) != 0 || len(p.Unplaced) != 0 {
		t.Errorf("no applications: got %+v", p)
	}
	p := ProposeAllocation([]AllocApplication{{ID: 2}, {ID: 1}}, nil)
	if len(p.Assignments) != 0 || !slices.Equal(p.Unplaced, []int64{1, 2}) {
		t.Errorf("no stands: got %+v, want both unplaced in priority order", p)
	}
}

func TestAllocationCodeOrder(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"B2", "B12", -1}, {"B12", "B2", 1}, {"A9", "B1", -1}, {"B1", "B1", 0},
		{"B01", "B1", -1}, {"B1", "B1a", -1}, {"H2-10", "H2-9", 1}, {"", "A", -1},
	} {
		if got := allocCompareCodes(tc.a, tc.b); got != tc.want {
			t.Errorf("compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// allocBenchInput is a realistic fair: three halls of 3 × 3 m stands in back-to-back double
// rows with 2 m aisles, corners at row ends, some 6 × 3 m premium stands, a few 6 × 6 m
// islands; zones by hall quarter; applications from 12 regions in 15 crafts with mixed
// preferences. Fixed seed.
func allocBenchInput(nApps, nStands int) ([]AllocApplication, []AllocStand) {
	rng := rand.New(rand.NewPCG(42, 1500))
	regions := []string{"TTA", "ORI", "FM", "RSK", "BMK", "CS", "MS", "DT", "SM", "GON", "LSH", "DOD"}
	crafts := []string{"zellige", "pottery", "carpets", "leather", "wood", "copper", "ironwork", "jewellery",
		"embroidery", "basketry", "tadelakt", "plaster", "babouches", "clothing", "glass"}
	zones := []string{"A", "B", "C", "artisanat"}
	kinds := []string{"", "", "standard", "corner", "premium", "island"}

	var stands []AllocStand
	const perRow, rowsPerHall = 25, 20
	for hall := int64(1); len(stands) < nStands; hall++ {
		for row := 0; row < rowsPerHall && len(stands) < nStands; row++ {
			y := (row/2)*(600+200) + (row%2)*300 // double rows back to back, 2 m aisle between
			x := 0
			for col := 0; col < perRow && len(stands) < nStands; col++ {
				if col == 12 && row%4 == 1 {
					x += 600 // the island of the row in front reaches back here
					continue
				}
				s := AllocStand{
					ID: int64(len(stands) + 1), Code: fmt.Sprintf("H%d-%c%d", hall, 'A'+rune(row), col+1), HallID: hall,
					Zone: zones[(row/5)%len(zones)], Kind: "standard", X: x, Y: y, Width: 300, Depth: 300,
				}
				switch {
				case col == 0 || col == perRow-1:
					s.Kind = "corner"
				case col%8 == 4:
					s.Kind, s.Width = "premium", 600
				case col == 12 && row%4 == 0:
					s.Kind, s.Width, s.Depth = "island", 600, 600
				}
				stands = append(stands, s)
				x += s.Width
			}
		}
	}

	apps := make([]AllocApplication, nApps)
	for i := range apps {
		a := AllocApplication{
			ID: int64(10_000 + i), RegionCode: regions[rng.IntN(len(regions))], CraftCode: crafts[rng.IntN(len(crafts))],
			PreferredKind: kinds[rng.IntN(len(kinds))],
			ChamberRank:   rng.IntN(40), // 0: not ranked
			VerifiedAt:    allocDay.AddDate(-rng.IntN(10), 0, -rng.IntN(365)),
			SubmittedAt:   allocDay.Add(time.Duration(rng.IntN(90*24*60)) * time.Minute),
		}
		if rng.IntN(3) > 0 {
			a.PreferredZone = zones[rng.IntN(len(zones))]
		}
		if rng.IntN(2) == 0 {
			a.PreferredAreaCm2 = []int{90000, 180000, 360000}[rng.IntN(3)]
		}
		apps[i] = a
	}
	return apps, stands
}

func BenchmarkProposeAllocation2000x1500(b *testing.B) {
	apps, stands := allocBenchInput(2000, 1500)
	b.ReportAllocs()
	for b.Loop() {
		p := ProposeAllocation(apps, stands)
		if len(p.Assignments) != 1500 {
			b.Fatalf("placed %d, want 1500", len(p.Assignments))
		}
	}
}
