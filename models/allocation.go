package models

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// AllocStand is a free stand offered to the proposal. Geometry in centimetres.
type AllocStand struct {
	ID                 int64
	Code               string // "B12"
	HallID             int64
	Zone               string // free text, e.g. "A", "artisanat", "" (none)
	Kind               string // "standard", "corner", "island", "premium"
	X, Y, Width, Depth int    // cm, top-left origin, within the hall
	// OccupiedByCraft, when set, marks a stand already given to an exhibitor of that craft:
	// it is not offered, it only keeps the same craft off its neighbours.
	OccupiedByCraft string
}

// AllocApplication is an accepted application waiting for a stand.
type AllocApplication struct {
	ID               int64
	RegionCode       string    // one of 12 regions, e.g. "FM"
	CraftCode        string    // e.g. "zellige"
	PreferredKind    string    // "" = any
	PreferredZone    string    // "" = any
	PreferredAreaCm2 int       // preferred stand area in cm² (e.g. 9 m² = 90000); 0 = any
	ChamberRank      int       // 1 = best within its region; 0 = not ranked (after ranked ones)
	VerifiedAt       time.Time // artisan verified since (earlier = more senior = higher priority)
	SubmittedAt      time.Time // earlier = higher priority
}

// AllocReason says why a stand was chosen; the page translates it.
type AllocReason string

// Reasons, from the best match down.
const (
	ReasonPreferredKindZone AllocReason = "kind_zone" // kind and zone as asked
	ReasonPreferredKind     AllocReason = "kind"      // kind as asked, other zone
	ReasonPreferredZone     AllocReason = "zone"      // zone as asked, other kind
	ReasonClosestSize       AllocReason = "size"      // neither available: the closest size
	ReasonPreferenceTaken   AllocReason = "taken"     // kind and zone asked are all taken, no size asked: first free stand on the plan
	ReasonNoPreference      AllocReason = "any"       // nothing asked: first free stand on the plan
)

// AllocReasons lists every reason, so a test can check each one has a translation.
func AllocReasons() []AllocReason {
	return []AllocReason{ReasonPreferredKindZone, ReasonPreferredKind, ReasonPreferredZone,
		ReasonClosestSize, ReasonPreferenceTaken, ReasonNoPreference}
}

// AllocAssignment is one application placed on one stand.
type AllocAssignment struct {
	ApplicationID  int64
	StandID        int64
	StandCode      string
	Reason         AllocReason
	CraftNeighbour bool // true when a same-craft neighbour could not be avoided
}

// AllocProposal is the organizer's draft: applied or discarded as a whole.
type AllocProposal struct {
	Assignments []AllocAssignment // in priority order
	Unplaced    []int64           // application ids left without a stand (more applications than stands)
}

// allocNeighbourGapCm is the widest gap that still makes two stands neighbours: an aisle
// (1 m or more) separates exhibitors, a partition or a narrow gap does not.
const allocNeighbourGapCm = 50

// ProposeAllocation is deterministic: same input (in any order) → same proposal.
//
// Applications choose in turn: the first of every region (by chamber rank, seniority,
// submission), then the second of every region, and so on, so when stands run out every
// region has some. Each takes the free stand that best matches its kind and zone, then is not
// next to the same craft, then is closest to the area asked, then comes first on the plan.
// Preferences are wishes, not conditions: nobody is left out while a stand is free.
// Duplicate ids are ignored after the first (in priority or plan order).
func ProposeAllocation(apps []AllocApplication, stands []AllocStand) AllocProposal {
	queue := allocTurnOrder(apps)
	plan := newAllocPlan(stands)
	proposal := AllocProposal{Assignments: make([]AllocAssignment, 0, min(len(queue), plan.free))}
	for _, i := range queue {
		app := &apps[i]
		a, ok := plan.place(app)
		if !ok {
			proposal.Unplaced = append(proposal.Unplaced, app.ID)
			continue
		}
		proposal.Assignments = append(proposal.Assignments, a)
	}
	return proposal
}

// allocTurnOrder returns indices into apps in the order they pick stands: round r holds the
// r-th application of every region (each region in its own priority order), and a round is in
// priority order too.
func allocTurnOrder(apps []AllocApplication) []int32 {
	// Indices, not structs: sorting 2,000 structs full of strings and times costs more than
	// the whole placement.
	order := allocIndices(len(apps))
	slices.SortFunc(order, func(i, j int32) int { return allocComparePriority(&apps[i], &apps[j]) })

	seen := make(map[int64]struct{}, len(order))
	kept := order[:0]
	for _, i := range order {
		if _, dup := seen[apps[i].ID]; !dup {
			seen[apps[i].ID] = struct{}{}
			kept = append(kept, i)
		}
	}

	type turn struct {
		round, priority int32
	}
	turns := make([]turn, len(kept))
	perRegion := map[string]int32{}
	for p, i := range kept {
		region := apps[i].RegionCode
		turns[p] = turn{round: perRegion[region], priority: int32(p)}
		perRegion[region]++
	}
	slices.SortFunc(turns, func(x, y turn) int {
		return cmp.Or(cmp.Compare(x.round, y.round), cmp.Compare(x.priority, y.priority))
	})
	out := make([]int32, len(kept))
	for k, t := range turns {
		out[k] = kept[t.priority]
	}
	return out
}

// allocIndices returns 0, 1, …, n-1.
func allocIndices(n int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

// allocComparePriority orders applications: ranked before unranked, lower rank first, then
// earlier verification, earlier submission, lower id. The remaining fields only make the
// order total, so duplicate ids resolve the same way whatever the input order.
func allocComparePriority(a, b *AllocApplication) int {
	if c := cmp.Compare(allocRankKey(a.ChamberRank), allocRankKey(b.ChamberRank)); c != 0 {
		return c
	}
	if c := allocCompareSince(a.VerifiedAt, b.VerifiedAt); c != 0 {
		return c
	}
	if c := allocCompareSince(a.SubmittedAt, b.SubmittedAt); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ID, b.ID); c != 0 {
		return c
	}
	return cmp.Or(strings.Compare(a.RegionCode, b.RegionCode), strings.Compare(a.CraftCode, b.CraftCode),
		strings.Compare(a.PreferredKind, b.PreferredKind), strings.Compare(a.PreferredZone, b.PreferredZone),
		cmp.Compare(a.PreferredAreaCm2, b.PreferredAreaCm2))
}

// allocRankKey puts unranked applications (0, or nonsense below it) after every ranked one.
func allocRankKey(rank int) int {
	if rank < 1 {
		return math.MaxInt
	}
	return rank
}

// allocCompareSince puts earlier first and an unknown (zero) time last: a missing date must
// not look like the most senior one.
func allocCompareSince(a, b time.Time) int {
	if az, bz := a.IsZero(), b.IsZero(); az != bz {
		if az {
			return 1
		}
		return -1
	}
	return a.Compare(b)
}

// allocCompareStands is plan order: stand code as people read it (B2 before B12), then hall,
// then id; the other fields only make the order total.
func allocCompareStands(a, b *AllocStand) int {
	if c := allocCompareCodes(a.Code, b.Code); c != 0 {
		return c
	}
	if c := cmp.Compare(a.HallID, b.HallID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ID, b.ID); c != 0 {
		return c
	}
	return cmp.Or(strings.Compare(a.Zone, b.Zone), strings.Compare(a.Kind, b.Kind),
		cmp.Compare(a.X, b.X), cmp.Compare(a.Y, b.Y), cmp.Compare(a.Width, b.Width), cmp.Compare(a.Depth, b.Depth),
		strings.Compare(a.OccupiedByCraft, b.OccupiedByCraft))
}

// allocCompareCodes compares codes with digit runs taken as numbers ("B2" < "B12"), falling
// back to plain byte order so "B01" and "B1" still differ.
func allocCompareCodes(a, b string) int {
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' }
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if !isDigit(a[i]) || !isDigit(b[j]) {
			if c := cmp.Compare(a[i], b[j]); c != 0 {
				return c
			}
			i, j = i+1, j+1
			continue
		}
		si, sj := i, j
		for i < len(a) && isDigit(a[i]) {
			i++
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		na, nb := strings.TrimLeft(a[si:i], "0"), strings.TrimLeft(b[sj:j], "0")
		if c := cmp.Or(cmp.Compare(len(na), len(nb)), strings.Compare(na, nb)); c != 0 {
			return c
		}
	}
	return cmp.Or(cmp.Compare(len(a)-i, len(b)-j), strings.Compare(a, b))
}

// allocStandsAdjacent tells whether two stands are neighbours: same hall, overlapping on one
// axis and at most allocNeighbourGapCm apart on the other. Stands touching only at a corner
// are not neighbours.
func allocStandsAdjacent(a, b *AllocStand) bool {
	if a.HallID != b.HallID {
		return false
	}
	// Positive: the spans overlap by that much; negative: the gap between them.
	dx := min(a.X+max(a.Width, 0), b.X+max(b.Width, 0)) - max(a.X, b.X)
	dy := min(a.Y+max(a.Depth, 0), b.Y+max(b.Depth, 0)) - max(a.Y, b.Y)
	return (dy > 0 && dx >= -allocNeighbourGapCm) || (dx > 0 && dy >= -allocNeighbourGapCm)
}

// Preference ids: a stand's kind or zone is a non-negative id.
const (
	allocAny     int32 = -1 // nothing asked
	allocUnknown int32 = -2 // asked for something no stand has
	allocNoCraft int32 = -1 // free stand, or an exhibitor without a craft: never a conflict
)

// allocTierNone is worse than any match tier (0: kind and zone … 3: neither).
const allocTierNone = 4

// allocStandGroup holds the offered stands of one kind, zone and area in plan order, so an
// application compares a few dozen groups instead of every stand.
type allocStandGroup struct {
	kind, zone int32
	area       int64
	members    []int32 // stand indices, plan order
	next       int     // members before next are all taken
}

// firstFree skips taken members and tells whether any is left.
func (g *allocStandGroup) firstFree(taken []bool) bool {
	for g.next < len(g.members) && taken[g.members[g.next]] {
		g.next++
	}
	return g.next < len(g.members)
}

// allocPlan is the state of one proposal: the stands in plan order, who their neighbours
// are, which are taken and by which craft.
type allocPlan struct {
	stands         []AllocStand // plan order; an index is a stand's rank on the plan
	neighbourStart []int32      // neighbours of i: neighbours[neighbourStart[i]:neighbourStart[i+1]]
	neighbours     []int32
	groups         []allocStandGroup
	kinds, zones   map[string]int32
	crafts         map[string]int32
	taken          []bool
	craftAt        []int32 // craft on each stand, allocNoCraft when free
	free           int
}

func newAllocPlan(in []AllocStand) *allocPlan {
	order := allocIndices(len(in))
	slices.SortFunc(order, func(i, j int32) int { return allocCompareStands(&in[i], &in[j]) })
	seen := make(map[int64]struct{}, len(order))
	stands := make([]AllocStand, 0, len(order))
	for _, i := range order {
		if _, dup := seen[in[i].ID]; !dup {
			seen[in[i].ID] = struct{}{}
			stands = append(stands, in[i])
		}
	}

	p := &allocPlan{
		stands:  stands,
		kinds:   map[string]int32{},
		zones:   map[string]int32{},
		crafts:  map[string]int32{},
		taken:   make([]bool, len(stands)),
		craftAt: make([]int32, len(stands)),
	}
	type groupKey struct {
		kind, zone int32
		area       int64
	}
	groupOf := map[groupKey]int{}
	for i := range stands {
		s := &stands[i]
		if s.OccupiedByCraft != "" {
			p.taken[i] = true
			p.craftAt[i] = p.craftID(s.OccupiedByCraft)
			continue
		}
		p.craftAt[i] = allocNoCraft
		p.free++
		key := groupKey{
			kind: allocIntern(p.kinds, s.Kind),
			zone: allocIntern(p.zones, s.Zone),
			area: int64(max(s.Width, 0)) * int64(max(s.Depth, 0)),
		}
		g, ok := groupOf[key]
		if !ok {
			g = len(p.groups)
			groupOf[key] = g
			p.groups = append(p.groups, allocStandGroup{kind: key.kind, zone: key.zone, area: key.area})
		}
		p.groups[g].members = append(p.groups[g].members, int32(i))
	}
	p.linkNeighbours()
	return p
}

func allocIntern(ids map[string]int32, s string) int32 {
	id, ok := ids[s]
	if !ok {
		id = int32(len(ids)) //nolint:gosec // at most one id per stand or application: far below 2^31
		ids[s] = id
	}
	return id
}

// craftID interns a craft; "" never conflicts with anyone.
func (p *allocPlan) craftID(craft string) int32 {
	if craft == "" {
		return allocNoCraft
	}
	return allocIntern(p.crafts, craft)
}

// preferenceID maps an asked kind or zone to the stands' ids.
func allocPreferenceID(ids map[string]int32, asked string) int32 {
	if asked == "" {
		return allocAny
	}
	if id, ok := ids[asked]; ok {
		return id
	}
	return allocUnknown
}

// linkNeighbours finds every adjacent pair with a sweep along x per hall: only stands starting
// within reach of a stand's right edge can touch it, so rows of stands cost a few comparisons
// each rather than one per pair.
func (p *allocPlan) linkNeighbours() {
	n := len(p.stands)
	byX := allocIndices(n)
	slices.SortFunc(byX, func(i, j int32) int {
		a, b := &p.stands[i], &p.stands[j]
		return cmp.Or(cmp.Compare(a.HallID, b.HallID), cmp.Compare(a.X, b.X), cmp.Compare(i, j))
	})
	var pairs [][2]int32
	degree := make([]int32, n+1)
	for k, i := range byX {
		a := &p.stands[i]
		reach := a.X + max(a.Width, 0) + allocNeighbourGapCm
		for _, j := range byX[k+1:] {
			b := &p.stands[j]
			if b.HallID != a.HallID || b.X > reach {
				break
			}
			if allocStandsAdjacent(a, b) {
				pairs = append(pairs, [2]int32{i, j})
				degree[i]++
				degree[j]++
			}
		}
	}
	p.neighbourStart = make([]int32, n+1)
	for i := range n {
		p.neighbourStart[i+1] = p.neighbourStart[i] + degree[i]
	}
	p.neighbours = make([]int32, p.neighbourStart[n])
	fill := slices.Clone(p.neighbourStart[:n])
	for _, pr := range pairs {
		i, j := pr[0], pr[1]
		p.neighbours[fill[i]] = j
		fill[i]++
		p.neighbours[fill[j]] = i
		fill[j]++
	}
}

// nextToCraft tells whether stand s has a neighbour already given to craft.
func (p *allocPlan) nextToCraft(s int32, craft int32) bool {
	if craft == allocNoCraft {
		return false
	}
	for _, n := range p.neighbours[p.neighbourStart[s]:p.neighbourStart[s+1]] {
		if p.craftAt[n] == craft {
			return true
		}
	}
	return false
}

// allocTier ranks how well a group matches what was asked: 0 kind and zone, 1 kind, 2 zone,
// 3 neither. Kind weighs more than zone: it is the stand's shape, the zone only its place.
func allocTier(kind, zone int32, g *allocStandGroup) int {
	kindOK := kind == allocAny || kind == g.kind
	zoneOK := zone == allocAny || zone == g.zone
	switch {
	case kindOK && zoneOK:
		return 0
	case kindOK:
		return 1
	case zoneOK:
		return 2
	default:
		return 3
	}
}

// place gives app the best free stand, or reports that none is left. Best is, in order: the
// best kind/zone tier; not next to the same craft (within that tier); area closest to the one
// asked; first on the plan.
func (p *allocPlan) place(app *AllocApplication) (AllocAssignment, bool) {
	if p.free == 0 {
		return AllocAssignment{}, false
	}
	kind := allocPreferenceID(p.kinds, app.PreferredKind)
	zone := allocPreferenceID(p.zones, app.PreferredZone)
	craft := p.craftID(app.CraftCode)
	want := int64(max(app.PreferredAreaCm2, 0))

	bestTier := allocTierNone
	for gi := range p.groups {
		g := &p.groups[gi]
		if g.firstFree(p.taken) {
			bestTier = min(bestTier, allocTier(kind, zone, g))
		}
	}

	best, bestBlocked, bestDiff := int32(-1), true, int64(math.MaxInt64)
	for gi := range p.groups {
		g := &p.groups[gi]
		if g.next == len(g.members) || allocTier(kind, zone, g) != bestTier {
			continue
		}
		diff := int64(0)
		if want > 0 {
			diff = max(g.area-want, want-g.area)
		}
		if !bestBlocked && diff > bestDiff {
			continue
		}
		// Members are in plan order: the first free one unblocked is this group's best.
		for _, s := range g.members[g.next:] {
			if p.taken[s] {
				continue
			}
			if best >= 0 && !bestBlocked && (diff > bestDiff || diff == bestDiff && s > best) {
				break
			}
			blocked := p.nextToCraft(s, craft)
			better := best < 0 ||
				!blocked && bestBlocked ||
				blocked == bestBlocked && (diff < bestDiff || diff == bestDiff && s < best)
			if better {
				best, bestBlocked, bestDiff = s, blocked, diff
			}
			if !blocked {
				break
			}
		}
	}

	p.taken[best] = true
	p.craftAt[best] = craft
	p.free--
	stand := &p.stands[best]
	return AllocAssignment{
		ApplicationID:  app.ID,
		StandID:        stand.ID,
		StandCode:      stand.Code,
		Reason:         allocReasonFor(app, stand),
		CraftNeighbour: bestBlocked,
	}, true
}

// allocReasonFor names what the chosen stand satisfies of what was asked.
func allocReasonFor(app *AllocApplication, s *AllocStand) AllocReason {
	kindAsked, zoneAsked := app.PreferredKind != "", app.PreferredZone != ""
	kindOK, zoneOK := kindAsked && s.Kind == app.PreferredKind, zoneAsked && s.Zone == app.PreferredZone
	switch {
	case kindOK && zoneOK:
		return ReasonPreferredKindZone
	case kindOK:
		return ReasonPreferredKind
	case zoneOK:
		return ReasonPreferredZone
	case app.PreferredAreaCm2 > 0:
		return ReasonClosestSize
	case kindAsked || zoneAsked:
		return ReasonPreferenceTaken
	default:
		return ReasonNoPreference
	}
}
