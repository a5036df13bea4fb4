package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// DefaultDemoPassword is the demo accounts' password when SOUK_DEMO_PASSWORD is not set.
const DefaultDemoPassword = "souk-demo-2026" //nolint:gosec // documented demo password, printed by souk seed

// SeedOptions tunes the demo data.
type SeedOptions struct {
	DemoPassword string
}

// SeedReport says what a seed run added (zero everywhere on a second run).
type SeedReport struct {
	Users    int
	Artisans int
	Fairs    int
}

type demoAccount struct {
	email, name string
	role        Role
	region      string
	artisan     *demoArtisan
}

type demoArtisan struct {
	slug, business, kind, region, craft, city, phone string
	registry, card                                   string // valid formats, unique across the demo
	bioFR, bioAR, bioEN                              string
	status                                           ArtisanStatus
}

// demoAccounts are the fixed demo logins listed in the README. The verified artisans span eight
// regions and the demo catalog (seed_catalog.go) thirteen crafts; the Chouara leather workshop
// waits, with a complete profile, in the Fès-Meknès chamber agent's queue.
var demoAccounts = []demoAccount{
	{email: "organizer@souk.test", name: "Salma Idrissi (SMAP EVENTS)", role: RoleOrganizer},
	{email: "chamber@souk.test", name: "Youssef Alaoui", role: RoleChamber, region: "FM"},
	{email: "visitor@souk.test", name: "Nadia El Amrani", role: RoleVisitor},
	{email: "artisan@souk.test", name: "Karim Bennani", role: RoleArtisan, artisan: &demoArtisan{
		slug: "atelier-bennani-zellige", business: "Atelier Bennani — Zellige de Fès", kind: "individual",
		region: "FM", craft: "zellige", city: "Fès", phone: "+212 535 63 41 07", status: ArtisanVerified,
		registry: "FM-2011-004127", card: "CPFM11004127",
		bioFR: "Maâlem zelligeur depuis trente ans dans le quartier des potiers d'Aïn Nokbi, Karim Bennani taille à la main chaque tesselle (furma) dans la terre de Fès émaillée. L'atelier réalise fontaines, tables et panneaux sur mesure, et quelques pièces de faïence bleue.",
		bioAR: "معلم زلايجي منذ ثلاثين سنة في حي الفخارين بعين النقبي، ينحت كريم بناني كل قطعة زليج يدويا من طين فاس المزجج. تنجز الورشة النافورات والطاولات واللوحات حسب الطلب، وبعض قطع الخزف الأزرق الفاسي.",
		bioEN: "A zellige master for thirty years in the potters' quarter of Ain Nokbi, Karim Bennani hand-cuts every tessera from glazed Fez clay. The workshop makes fountains, tables and panels to order, and a few pieces of Fez blue pottery.",
	}},
	{email: "tadelakt@souk.test", name: "Fatima Zahra Ouali", role: RoleArtisan, artisan: &demoArtisan{
		slug: "cooperative-al-hamra-tadelakt", business: "Coopérative Al Hamra — Tadelakt", kind: "cooperative",
		region: "MS", craft: "tadelakt", city: "Marrakech", phone: "+212 524 38 12 90", status: ArtisanVerified,
		registry: "MS-2016-011542", card: "CPMS16011542",
		bioFR: "Douze artisanes et artisans de Marrakech travaillent ensemble la chaux de la palmeraie, polie au galet et au savon noir : vasques, lampes et objets en tadelakt, ainsi que le plâtre sculpté (gebs) des riads.",
		bioAR: "اثنا عشر حرفيا وحرفية من مراكش يشتغلون معا بجير النخيل المصقول بالحجر والصابون البلدي: أحواض ومصابيح وتحف من التادلاكت، إلى جانب الجبص المنقوش للرياضات.",
		bioEN: "Twelve women and men of Marrakesh work the lime of the palm grove together, polished with a river stone and black soap: basins, lamps and objects in tadelakt, and the carved plaster (gebs) of riads.",
	}},
	{email: "broderie@souk.test", name: "Amina Tetouani", role: RoleArtisan, artisan: &demoArtisan{
		slug: "dar-tetouan-broderie", business: "Dar Tetouan Broderie", kind: "individual",
		region: "TTA", craft: "embroidery", city: "Tétouan", phone: "+212 539 96 27 15", status: ArtisanVerified,
		registry: "TTA-2012-000874", card: "CPTTA12000874",
		bioFR: "Amina Tetouani brode au fil de soie les motifs andalous de Tétouan, transmis par sa grand-mère : nappes, coussins et linge de table, brodés à la main sur lin et coton.",
		bioAR: "تطرز أمينة التطوانية بخيط الحرير الزخارف الأندلسية لتطوان التي ورثتها عن جدتها: مفارش وأغطية وسائد وبياضات مائدة مطرزة يدويا على الكتان والقطن.",
		bioEN: "Amina Tetouani embroiders Tetouan's Andalusian patterns in silk thread, as her grandmother taught her: tablecloths, cushions and table linen, hand-stitched on linen and cotton.",
	}},
	{email: "bijoux@souk.test", name: "Brahim Aït Ouaziz", role: RoleArtisan, artisan: &demoArtisan{
		slug: "argent-de-tiznit", business: "Argent de Tiznit", kind: "company",
		region: "SM", craft: "jewellery", city: "Tiznit", phone: "+212 528 86 04 33", status: ArtisanVerified,
		registry: "SM-2009-002210", card: "CPSM09002210",
		bioFR: "Bijoutiers à Tiznit depuis trois générations, les Aït Ouaziz façonnent l'argent selon les formes amazighes du Souss : fibules, bracelets ciselés, colliers d'ambre et émaux.",
		bioAR: "صاغة في تيزنيت منذ ثلاثة أجيال، يشكل آل آيت واعزيز الفضة وفق الأشكال الأمازيغية لسوس: تيزرزاي وأساور منقوشة وقلائد العنبر والمينا.",
		bioEN: "Silversmiths in Tiznit for three generations, the Aït Ouaziz family shape silver in the Amazigh forms of the Souss: fibulae, chased bracelets, amber necklaces and enamels.",
	}},
	{email: "tapis@souk.test", name: "Itto Zayani", role: RoleArtisan, artisan: &demoArtisan{
		slug: "cooperative-tapis-zayane", business: "Coopérative des tapis Zayane", kind: "cooperative",
		region: "BMK", craft: "carpets", city: "Khénifra", phone: "+212 535 58 70 21", status: ArtisanVerified,
		registry: "BMK-2015-000415", card: "CPBMK15000415",
		bioFR: "Trente tisseuses du Moyen Atlas filent et teignent la laine de leurs brebis pour nouer des tapis Zayane et Beni Ouarain, et tisser des hanbels. Chaque tapis porte le prénom de celle qui l'a noué.",
		bioAR: "ثلاثون نساجة من الأطلس المتوسط يغزلن صوف أغنامهن ويصبغنه لعقد زرابي زيان وبني وراين ونسج الحنبل. تحمل كل زربية اسم من عقدتها.",
		bioEN: "Thirty weavers of the Middle Atlas spin and dye the wool of their own sheep to knot Zayane and Beni Ouarain rugs and weave hanbels. Every rug carries the name of the woman who knotted it.",
	}},
	{email: "poterie@souk.test", name: "Abdellah Serghini", role: RoleArtisan, artisan: &demoArtisan{
		slug: "poterie-serghini-safi", business: "Poterie Serghini — Safi", kind: "individual",
		region: "MS", craft: "pottery", city: "Safi", phone: "+212 524 62 18 55", status: ArtisanVerified,
		registry: "MS-2008-003391", card: "CPMS08003391",
		bioFR: "Sur la colline des potiers de Safi, Abdellah Serghini tourne, émaille et cuit au four à bois des tajines, plats et vases à reflets métalliques, dans la tradition de la famille Serghini.",
		bioAR: "على تلة الفخارين بآسفي، يخرط عبد الله السرغيني الطواجن والأطباق والمزهريات ذات البريق المعدني ويزججها ويطهوها في فرن الحطب، وفق تقاليد عائلة السرغيني.",
		bioEN: "On the potters' hill of Safi, Abdellah Serghini throws, glazes and wood-fires tagines, dishes and lustre vases in the tradition of the Serghini family.",
	}},
	{email: "bois@souk.test", name: "Rachid Amghar", role: RoleArtisan, artisan: &demoArtisan{
		slug: "atelier-thuya-mogador", business: "Atelier Thuya Mogador", kind: "individual",
		region: "MS", craft: "wood", city: "Essaouira", phone: "+212 524 47 53 68", status: ArtisanVerified,
		registry: "MS-2013-007718", card: "CPMS13007718",
		bioFR: "Ébéniste d'Essaouira, Rachid Amghar travaille la loupe de thuya et le cèdre de l'Atlas, incrustés de citronnier, de nacre et de fil d'argent : coffrets, échiquiers et boîtes sculptées.",
		bioAR: "نجار فني من الصويرة، يشتغل رشيد أمغار بجذور العرعار وأرز الأطلس المطعمين بخشب الليمون والصدف وخيط الفضة: علب وصناديق مجوهرات ورقع شطرنج منحوتة.",
		bioEN: "A cabinetmaker in Essaouira, Rachid Amghar works thuya burl and Atlas cedar inlaid with lemonwood, mother-of-pearl and silver wire: jewellery boxes, chessboards and carved boxes.",
	}},
	{email: "dinanderie@souk.test", name: "Mustapha Lahlou", role: RoleArtisan, artisan: &demoArtisan{
		slug: "dinanderie-oudaya", business: "Dinanderie et ferronnerie des Oudayas", kind: "company",
		region: "RSK", craft: "copper", city: "Salé", phone: "+212 537 78 09 64", status: ArtisanVerified,
		registry: "RSK-2010-005063", card: "CPRSK10005063",
		bioFR: "À Salé, l'atelier de Mustapha Lahlou cisèle le cuivre et le laiton au marteau et au poinçon, et forge le fer : lanternes ajourées, plateaux gravés, miroirs et appliques.",
		bioAR: "في سلا، تنقش ورشة مصطفى لحلو النحاس الأحمر والأصفر بالمطرقة والمنقاش، وتطرق الحديد: فوانيس مخرمة وصواني منقوشة ومرايا ومصابيح حائطية.",
		bioEN: "In Salé, Mustapha Lahlou's workshop chases copper and brass with hammer and punch, and forges iron: pierced lanterns, engraved trays, mirrors and wall lights.",
	}},
	{email: "caftan@souk.test", name: "Ghita Benjelloun", role: RoleArtisan, artisan: &demoArtisan{
		slug: "maison-lalla-ghita-caftans", business: "Maison Lalla Ghita — Caftans", kind: "company",
		region: "CS", craft: "clothing", city: "Casablanca", phone: "+212 522 26 41 80", status: ArtisanVerified,
		registry: "CS-2018-012906", card: "CPCS18012906",
		bioFR: "Maison de couture traditionnelle à Casablanca : caftans, takchitas et djellabas cousus main, ornés de sfifa et d'aakad réalisés dans l'atelier, sur mesure ou en petites séries.",
		bioAR: "دار للخياطة التقليدية بالدار البيضاء: قفاطين وتكشيطات وجلابيب مخيطة يدويا ومزينة بالسفيفة والعقاد المصنوعة في الورشة، حسب المقاس أو في سلاسل صغيرة.",
		bioEN: "A traditional couture house in Casablanca: caftans, takchitas and djellabas sewn by hand, trimmed with sfifa braid and aakad buttons made in the workshop, to measure or in small series.",
	}},
	{email: "filali@souk.test", name: "Lahcen Oubaha", role: RoleArtisan, artisan: &demoArtisan{
		slug: "cuirs-filali-rissani", business: "Cuirs Filali du Tafilalet", kind: "cooperative",
		region: "DT", craft: "leather", city: "Rissani", phone: "+212 535 57 51 19", status: ArtisanVerified,
		registry: "DT-2014-001482", card: "CPDT14001482",
		bioFR: "La coopérative de Rissani tanne au végétal le cuir de chèvre filali, teint au safran, au henné ou à l'indigo, et le coud en poufs brodés, babouches et sacoches.",
		bioAR: "تدبغ تعاونية الريصاني الجلد الفيلالي بالمواد النباتية وتصبغه بالزعفران أو الحناء أو النيلة، وتخيطه بوفات مطرزة وبلاغي ومحافظ.",
		bioEN: "The Rissani cooperative vegetable-tans filali goatskin, dyes it with saffron, henna or indigo, and sews it into embroidered poufs, babouches and satchels.",
	}},
	{email: "cuir@souk.test", name: "Hamid Chouari", role: RoleArtisan, artisan: &demoArtisan{
		slug: "maroquinerie-chouara", business: "Maroquinerie Chouara", kind: "individual",
		region: "FM", craft: "leather", city: "Fès", phone: "+212 535 74 26 38", status: ArtisanPending,
		registry: "FM-2021-007756", card: "CPFM21007756",
		bioFR: "Maroquinier installé près de la tannerie Chouara de Fès : sacs, ceintures et portefeuilles en cuir tanné à la main. Profil envoyé à la chambre de Fès-Meknès pour vérification.",
		bioAR: "حرفي في الصناعة الجلدية قرب دار الدباغة شوارة بفاس: حقائب وأحزمة ومحافظ من جلد مدبوغ يدويا. أرسل الملف إلى غرفة فاس مكناس للتحقق.",
		bioEN: "A leatherworker next to the Chouara tannery in Fez: bags, belts and wallets in hand-tanned leather. Profile sent to the Fez-Meknes chamber for verification.",
	}},
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// demoFairs are the two 2026 editions from the announcement (past, archived) and one upcoming
// edition that is plainly demo data.
var demoFairs = []Fair{
	{Slug: "bruxelles-2026", Name: "Salon SMAP — Bruxelles 2026", City: "Bruxelles", Country: "BE",
		StartsOn: day(2026, time.March, 27), EndsOn: day(2026, time.March, 29), Timezone: "Europe/Brussels", Status: FairArchived},
	{Slug: "paris-2026", Name: "Salon SMAP — Paris 2026", City: "Paris", Country: "FR",
		StartsOn: day(2026, time.June, 12), EndsOn: day(2026, time.June, 14), Timezone: "Europe/Paris", Status: FairArchived},
	{Slug: "demo-bruxelles-2027", Name: "Souk Expo Bruxelles 2027 (démonstration)", City: "Bruxelles", Country: "BE",
		Venue: "Hall de démonstration", Address: "Bruxelles, Belgique",
		StartsOn: day(2027, time.March, 19), EndsOn: day(2027, time.March, 21), Timezone: "Europe/Brussels", Status: FairOpen, IsDemo: true},
}

// Seed adds the demo accounts, artisans and fairs. It is idempotent: rows that already exist
// (same e-mail, same slug) are left as they are.
func Seed(ctx context.Context, db *gorm.DB, opts SeedOptions) (SeedReport, error) {
	var report SeedReport
	password := opts.DemoPassword
	if password == "" {
		password = DefaultDemoPassword
	}
	if err := CheckPassword(password); err != nil {
		return report, fmt.Errorf("demo password: %w", err)
	}
	for _, f := range demoFairs {
		added, err := seedFair(ctx, db, f)
		if err != nil {
			return report, err
		}
		if added {
			report.Fairs++
		}
	}
	for _, acc := range demoAccounts {
		userAdded, artisanAdded, err := seedAccount(ctx, db, acc, password)
		if err != nil {
			return report, err
		}
		if userAdded {
			report.Users++
		}
		if artisanAdded {
			report.Artisans++
		}
	}
	return report, nil
}

func seedFair(ctx context.Context, db *gorm.DB, f Fair) (bool, error) {
	var n int64
	if err := db.WithContext(ctx).Model(&Fair{}).Where("slug = ?", f.Slug).Count(&n).Error; err != nil {
		return false, fmt.Errorf("seed fair %s: %w", f.Slug, translateError(err))
	}
	if n > 0 {
		return false, nil
	}
	if err := db.WithContext(ctx).Create(&f).Error; err != nil {
		err = translateError(err)
		if errors.Is(err, ErrConflict) {
			return false, nil // another seed run won the race
		}
		return false, fmt.Errorf("seed fair %s: %w", f.Slug, err)
	}
	return true, nil
}

// seedAccount adds a demo account and its artisan profile unless they exist. Two seed runs at
// once are fine: the loser of each insert race finds the winner's row.
func seedAccount(ctx context.Context, db *gorm.DB, acc demoAccount, password string) (userAdded, artisanAdded bool, err error) {
	u, err := GetUserByEmail(ctx, db, acc.email)
	if errors.Is(err, ErrNotFound) {
		u, err = CreateUser(ctx, db, NewUser{Email: acc.email, Name: acc.name, Password: password, Role: acc.role, RegionCode: acc.region})
		var ve *ValidationError
		switch {
		case errors.As(err, &ve) && ve.Fields["email"] == "EmailTaken":
			u, err = GetUserByEmail(ctx, db, acc.email)
		case err == nil:
			userAdded = true
		}
	}
	if err != nil {
		return false, false, fmt.Errorf("seed user %s: %w", acc.email, err)
	}
	if acc.artisan == nil {
		return userAdded, false, nil
	}
	a := demoArtisanRow(u.ID, *acc.artisan)
	res := db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&a)
	if res.Error != nil {
		return userAdded, false, fmt.Errorf("seed artisan %s: %w", a.Slug, translateError(res.Error))
	}
	if res.RowsAffected == 1 {
		return userAdded, true, nil
	}
	// The profile exists: complete what an older seed left empty (identity numbers, bios), and
	// change nothing else.
	if err := completeDemoProfile(ctx, db, *acc.artisan); err != nil {
		return userAdded, false, err
	}
	return userAdded, false, nil
}

func demoArtisanRow(userID int64, d demoArtisan) Artisan {
	reg, card := d.registry, d.card
	a := Artisan{UserID: userID, Slug: d.slug, BusinessName: d.business, Kind: d.kind,
		RegionCode: d.region, CraftCode: d.craft, City: d.city, Phone: d.phone,
		BioFR: d.bioFR, BioAR: d.bioAR, BioEN: d.bioEN, RegistryNumber: &reg, CardNumber: &card, Status: d.status}
	now := time.Now().UTC()
	switch a.Status {
	case ArtisanVerified:
		submitted := now.AddDate(0, 0, -21)
		a.SubmittedAt, a.VerifiedAt = &submitted, &now
	case ArtisanPending:
		submitted := now.AddDate(0, 0, -2)
		a.SubmittedAt = &submitted
	}
	return a
}

// completeDemoProfile fills the empty identity and bio fields of an existing demo artisan.
func completeDemoProfile(ctx context.Context, db *gorm.DB, d demoArtisan) error {
	for _, f := range []struct {
		col, cond string
		val       any
	}{
		{"registry_number", "registry_number IS NULL", d.registry},
		{"card_number", "card_number IS NULL", d.card},
		{"bio_fr", "bio_fr = ''", d.bioFR},
		{"bio_ar", "bio_ar = ''", d.bioAR},
		{"bio_en", "bio_en = ''", d.bioEN},
		{"phone", "phone = ''", d.phone},
	} {
		err := db.WithContext(ctx).Model(&Artisan{}).Where("slug = ? AND "+f.cond, d.slug).Update(f.col, f.val).Error
		if err = translateError(err); err != nil && !errors.Is(err, ErrConflict) {
			return fmt.Errorf("complete demo artisan %s: %w", d.slug, err)
		}
	}
	return nil
}

// DemoAccountEmails lists the demo logins, for the seed command's output.
func DemoAccountEmails() []string {
	out := make([]string, 0, len(demoAccounts))
	for _, a := range demoAccounts {
		out = append(out, a.email+" ("+string(a.role)+")")
	}
	return out
}
