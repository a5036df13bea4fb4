package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// demoFairSlug is the upcoming demo edition that gets a hall, stands and applications.
const demoFairSlug = "demo-bruxelles-2027"

// SeedFairReport counts what SeedDemoFair added.
type SeedFairReport struct {
	Stands       int
	Applications int
}

// demoApplication is one demo artisan's application to the demo fair, in a given state.
type demoApplication struct {
	slug         string
	status       ApplicationStatus
	stand        string // assigned stand code, "" = none
	rank         int
	kind, zone   string
	sizeM2       int
	fee          FeeState
	note         string // organizers' reason
	chamberNote  string
	waitlistPos  int
	motivationFR string
}

var demoApplications = []demoApplication{
	{slug: "atelier-bennani-zellige", status: AppAccepted, stand: "B2", rank: 1, kind: "standard", zone: "Centre", sizeM2: 9, fee: FeeDue,
		motivationFR: "Nous présenterons des panneaux de fontaine et des tables en zellige taillé à la main, avec une démonstration de taille."},
	{slug: "cooperative-al-hamra-tadelakt", status: AppAccepted, stand: "B5", rank: 1, kind: "standard", zone: "Centre", sizeM2: 9, fee: FeeCovered,
		motivationFR: "La coopérative réunit douze femmes de la région de Marrakech ; le salon nous ouvre la clientèle de la diaspora."},
	{slug: "dar-tetouan-broderie", status: AppAccepted, stand: "C3", rank: 1, kind: "corner", zone: "Centre", sizeM2: 9, fee: FeePaid,
		motivationFR: "Broderie de Tétouan sur nappes et caftans : nous voulons montrer le point traditionnel devant le public."},
	{slug: "argent-de-tiznit", status: AppAccepted, rank: 1, kind: "premium", zone: "Nord", sizeM2: 9,
		motivationFR: "Bijoux en argent de Tiznit, fibules et bracelets émaillés, fabriqués dans notre atelier familial."},
	{slug: "cooperative-tapis-zayane", status: AppAccepted, rank: 1, kind: "island", sizeM2: 36,
		motivationFR: "Nos tapis Zayane demandent de la place pour être déroulés : un îlot permettrait de les présenter au sol."},
	{slug: "dinanderie-oudaya", status: AppChamberReviewed, rank: 1, kind: "standard", sizeM2: 9,
		chamberNote:  "Atelier reconnu, participation régulière aux salons régionaux.",
		motivationFR: "Plateaux et lanternes en cuivre ciselé de Rabat-Salé ; première participation à un salon à l'étranger."},
	{slug: "poterie-serghini-safi", status: AppWaitlisted, rank: 2, kind: "standard", sizeM2: 9, waitlistPos: 1,
		note:         "Tous les stands de la catégorie sont pris ; vous êtes premier sur la liste d'attente.",
		motivationFR: "Poterie de Safi vernissée, tajines et plats : nous venons avec une production adaptée au transport."},
	{slug: "atelier-thuya-mogador", status: AppWaitlisted, rank: 3, kind: "standard", sizeM2: 6, waitlistPos: 2,
		note:         "Quota de la région Marrakech-Safi atteint pour le moment.",
		motivationFR: "Coffrets et boîtes en thuya d'Essaouira, marqueterie de citronnier, pièces uniques."},
	{slug: "maison-lalla-ghita-caftans", status: AppSubmitted, kind: "premium", zone: "Nord", sizeM2: 12,
		motivationFR: "Caftans et takchitas brodés main, collection de printemps présentée en défilé sur le stand."},
	{slug: "cuirs-filali-rissani", status: AppRejected, rank: 1, kind: "standard", sizeM2: 9,
		note:         "Dossier incomplet : la carte professionnelle est expirée. Vous pourrez postuler à la prochaine édition.",
		motivationFR: "Babouches et sacs en cuir filali tanné à Rissani, teintures naturelles."},
}

// demoHallStands lays out the demo hall: a wall row, a double row back to back, another wall
// row (12 stands of 3 × 3 m each), and one 6 × 6 m island.
func demoHallStands(fairID, hallID int64) []Stand {
	var out []Stand
	rows := []struct {
		letter string
		y      int
		zone   string
	}{{"A", 0, "Nord"}, {"B", 600, "Centre"}, {"C", 900, "Centre"}, {"D", 2700, "Sud"}}
	for _, r := range rows {
		for i := 1; i <= 12; i++ {
			s := Stand{FairID: fairID, HallID: hallID, Code: fmt.Sprintf("%s%d", r.letter, i), Zone: r.zone, Kind: StandStandard,
				XCm: 300 + (i-1)*300, YCm: r.y, WidthCm: 300, DepthCm: 300, PriceCents: 45000, Status: StandAvailable}
			switch {
			case r.letter == "A" && i <= 3:
				s.Kind, s.PriceCents = StandPremium, 75000
			case (r.letter == "B" || r.letter == "C") && (i == 1 || i == 12):
				s.Kind, s.PriceCents = StandCorner, 55000
			}
			out = append(out, s)
		}
	}
	out = append(out, Stand{FairID: fairID, HallID: hallID, Code: "I1", Zone: "Centre", Kind: StandIsland,
		XCm: 4200, YCm: 1200, WidthCm: 600, DepthCm: 600, PriceCents: 90000, Status: StandAvailable})
	return out
}

// SeedDemoFair gives the upcoming demo fair an application window, a hall of 49 stands and
// applications from the demo artisans in every state (chamber ranks, assigned stands, a
// waitlist). It is idempotent: a demo fair that already has a hall is left as it is.
func SeedDemoFair(ctx context.Context, db *gorm.DB) (SeedFairReport, error) {
	var report SeedFairReport
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		report = SeedFairReport{}
		var fair Fair
		if err := tx.WithContext(ctx).Where("slug = ?", demoFairSlug).Take(&fair).Error; err != nil {
			return fmt.Errorf("demo fair: %w", translateError(err))
		}
		var halls int64
		if err := tx.WithContext(ctx).Model(&Hall{}).Where("fair_id = ?", fair.ID).Count(&halls).Error; err != nil {
			return fmt.Errorf("demo fair halls: %w", translateError(err))
		}
		if halls > 0 {
			return nil
		}
		opens, closes := day(2026, time.September, 1), day(2027, time.January, 31)
		if err := tx.WithContext(ctx).Model(&Fair{}).Where("id = ?", fair.ID).Updates(map[string]any{
			"applications_open_at": opens, "applications_close_at": closes, "venue": "Tour & Taxis — Hall de démonstration",
			"address": "Avenue du Port 86C, 1000 Bruxelles",
		}).Error; err != nil {
			return fmt.Errorf("demo fair window: %w", translateError(err))
		}
		hall := Hall{FairID: fair.ID, Name: "Hall 1", WidthCm: 5000, DepthCm: 3000}
		if err := tx.WithContext(ctx).Create(&hall).Error; err != nil {
			return fmt.Errorf("demo hall: %w", translateError(err))
		}
		stands := demoHallStands(fair.ID, hall.ID)
		if err := tx.WithContext(ctx).Create(&stands).Error; err != nil {
			return fmt.Errorf("demo stands: %w", translateError(err))
		}
		report.Stands = len(stands)
		byCode := map[string]Stand{}
		for _, s := range stands {
			byCode[s.Code] = s
		}
		var agent User
		_ = tx.WithContext(ctx).Where("email = ?", "chamber@souk.test").Take(&agent).Error // optional
		for i, d := range demoApplications {
			var a Artisan
			err := tx.WithContext(ctx).Where("slug = ? AND status = ?", d.slug, ArtisanVerified).Take(&a).Error
			if err != nil {
				continue // a demo artisan changed since the seed: skip it
			}
			submitted := day(2026, time.October, 1+i)
			app := Application{FairID: fair.ID, ArtisanID: a.ID, Status: d.status, PreferredKind: d.kind, PreferredZone: d.zone,
				PreferredSizeM2: d.sizeM2, Motivation: d.motivationFR, FeeState: FeeNone, SubmittedAt: submitted,
				DecisionNote: d.note, ChamberNote: d.chamberNote}
			if d.status != AppSubmitted {
				yes := d.status != AppRejected || d.rank > 0
				app.ChamberRecommended = &yes
				reviewed := submitted.Add(72 * time.Hour)
				app.ChamberReviewedAt = &reviewed
				if d.rank > 0 {
					r := d.rank
					app.ChamberRank = &r
				}
				if agent.ID != 0 && agent.RegionCode != nil && *agent.RegionCode == a.RegionCode {
					app.ChamberReviewedBy = &agent.ID
				}
			}
			if d.status == AppAccepted || d.status == AppWaitlisted || d.status == AppRejected {
				decided := submitted.Add(10 * 24 * time.Hour)
				app.DecidedAt = &decided
			}
			if d.waitlistPos > 0 {
				p := d.waitlistPos
				app.WaitlistPosition = &p
			}
			if s, ok := byCode[d.stand]; ok {
				app.StandID = &s.ID
				app.FeeState, app.FeeCents = d.fee, s.PriceCents
				app.FeeCovered = d.fee == FeeCovered
				if d.fee == FeePaid {
					paid := submitted.Add(20 * 24 * time.Hour)
					app.FeePaidAt, app.FeeNote = &paid, "Virement reçu (démonstration)"
				}
			}
			if err := tx.WithContext(ctx).Create(&app).Error; err != nil {
				return fmt.Errorf("demo application of %s: %w", d.slug, translateError(err))
			}
			if app.StandID != nil {
				if err := tx.WithContext(ctx).Model(&Stand{}).Where("id = ?", *app.StandID).Update("status", StandAssigned).Error; err != nil {
					return fmt.Errorf("demo stand %s: %w", d.stand, translateError(err))
				}
			}
			if err := seedDemoNotices(ctx, tx, fair, app, d); err != nil {
				return err
			}
			var productIDs []int64
			if err := tx.WithContext(ctx).Model(&Product{}).Where("artisan_id = ? AND status = ?", a.ID, ProductPublished).
				Order("id").Limit(3).Pluck("id", &productIDs).Error; err != nil {
				return fmt.Errorf("demo products of %s: %w", d.slug, translateError(err))
			}
			for _, pid := range productIDs {
				if err := tx.WithContext(ctx).Create(&ApplicationProduct{ApplicationID: app.ID, ProductID: pid}).Error; err != nil {
					return fmt.Errorf("demo application products of %s: %w", d.slug, translateError(err))
				}
			}
			report.Applications++
		}
		// Two stands the organizers keep out of the allocation: one held, one blocked (a pillar).
		for code, st := range map[string]StandStatus{"D12": StandBlocked, "A12": StandHeld} {
			if err := tx.WithContext(ctx).Model(&Stand{}).Where("id = ?", byCode[code].ID).Update("status", st).Error; err != nil {
				return fmt.Errorf("demo stand %s: %w", code, translateError(err))
			}
		}
		return nil
	})
	if errors.Is(err, ErrConflict) {
		return SeedFairReport{}, nil // another seed run, at the same time, laid out the hall
	}
	return report, err
}

// seedDemoNotices writes the e-mails the demo decisions would have sent, so the outbox page
// has something to show on a fresh install.
func seedDemoNotices(ctx context.Context, tx *gorm.DB, fair Fair, app Application, d demoApplication) error {
	base := map[string]string{"fair": fair.Name}
	type notice struct {
		kind   string
		params map[string]string
	}
	notices := []notice{{NoticeApplicationReceived, base}}
	switch d.status {
	case AppAccepted:
		notices = append(notices, notice{NoticeApplicationAccepted, base})
		if d.stand != "" {
			notices = append(notices, notice{NoticeStandAssigned, map[string]string{"fair": fair.Name, "stand": d.stand,
				"fee_state": string(app.FeeState), "fee_cents": fmt.Sprint(app.FeeCents)}})
		}
	case AppWaitlisted:
		notices = append(notices, notice{NoticeApplicationWaitlist, map[string]string{"fair": fair.Name, "note": d.note, "position": fmt.Sprint(d.waitlistPos)}})
	case AppRejected:
		notices = append(notices, notice{NoticeApplicationRejected, map[string]string{"fair": fair.Name, "note": d.note}})
	}
	for _, n := range notices {
		params := map[string]string{}
		for k, v := range n.params {
			params[k] = v
		}
		if err := notifyArtisan(ctx, tx, app.ArtisanID, n.kind, params); err != nil {
			return fmt.Errorf("demo notice for %s: %w", d.slug, err)
		}
	}
	return nil
}
