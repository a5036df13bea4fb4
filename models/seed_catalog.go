package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Picture motifs the demo photo generator (cmd/souk) draws for a demo product.
const (
	MotifStar     = "star"     // zellige: eight-pointed stars on a tiled grid
	MotifStripes  = "stripes"  // woven bands: hanbels, embroidery borders, leather
	MotifRings    = "rings"    // concentric rings and petals: plates, tagines, trays
	MotifDiamonds = "diamonds" // Beni Ouarain lozenges, Amazigh jewellery
	MotifLattice  = "lattice"  // diagonal lattice: lanterns, ironwork, carved plaster, wood
	MotifWash     = "wash"     // polished gradient: tadelakt, silk
)

// DemoProduct is one product of the demo catalog, with what the photo generator needs to draw
// its pictures.
type DemoProduct struct {
	ArtisanSlug string
	ProductInput
	// Photos is how many photos to generate (2 or 3).
	Photos int
	// Motif is one of the Motif* constants.
	Motif string
	// Colors are the palette of the pictures, "#rrggbb", the background first.
	Colors []string
}

// DemoProducts returns the demo catalog: published products of the verified demo artisans, in
// French, Arabic and English. Prices are in euro cents.
func DemoProducts() []DemoProduct {
	out := make([]DemoProduct, len(demoProducts))
	for i, p := range demoProducts {
		p.Colors = append([]string(nil), p.Colors...)
		out[i] = p
	}
	return out
}

// Palettes of the demo pictures.
var (
	palFesBlue   = []string{"#f4efe4", "#1d4e89", "#2f7bbf", "#0e2a47", "#c9a227"}
	palZellige   = []string{"#f2ede3", "#0f6e5a", "#1d4e89", "#c0392b", "#e0b43c", "#1a1a1a"}
	palEmerald   = []string{"#e9efe7", "#0b6b4f", "#13825f", "#064232", "#d8c27a"}
	palOchre     = []string{"#d9a066", "#b8652f", "#8f4a23", "#e8c39e", "#5b2e14"}
	palLinen     = []string{"#f3ece0", "#7a1f2b", "#c2883a", "#2e4a3f", "#d9c7a5"}
	palSilver    = []string{"#2b2d33", "#c8ccd2", "#9aa1ab", "#e6e8eb", "#c0392b", "#1f7a6d"}
	palWool      = []string{"#f1ebe0", "#2b2420", "#5a4d43", "#d8cdbd", "#8a7b6b"}
	palZayane    = []string{"#8e1b1b", "#c0392b", "#f0c419", "#1b1b3a", "#e8e0d0", "#2e6e4f"}
	palSafi      = []string{"#f5efe2", "#2b5d8c", "#7a3b1d", "#d89b3a", "#2f6b4f"}
	palTerracota = []string{"#c96b3c", "#a4532b", "#e3a47a", "#6b3219", "#f2d1b3"}
	palThuya     = []string{"#7a4a24", "#a8693a", "#d9a86c", "#4a2a12", "#f0e0c0"}
	palCopper    = []string{"#2a1a12", "#b8733a", "#d9955a", "#f2c185", "#7a4422"}
	palIron      = []string{"#ece6da", "#1e1e1e", "#3a3a3a", "#8a6d3b", "#c0392b"}
	palPlaster   = []string{"#f6f1e7", "#e4dccb", "#c9bda6", "#a8987c", "#f9f7f2"}
	palSilk      = []string{"#5b1a3a", "#8e2a5c", "#c9a227", "#e8cf7a", "#2e0e1e"}
	palFilali    = []string{"#e3b23c", "#b8862b", "#7a3b1d", "#1f5f7a", "#f3e3b8"}
)

func demo(slug string, photos int, motif string, colors []string, in ProductInput) DemoProduct {
	return DemoProduct{ArtisanSlug: slug, ProductInput: in, Photos: photos, Motif: motif, Colors: colors}
}

// demoProducts is the demo catalog. Stock 1 marks a one-of-a-kind piece, 0 a sold-out one;
// made-to-order pieces carry their lead time.
var demoProducts = []DemoProduct{
	// Atelier Bennani — zellige and Fès blue pottery (Fès-Meknès)
	demo("atelier-bennani-zellige", 3, MotifStar, palZellige, ProductInput{
		TitleFR:       "Panneau de fontaine murale en zellige, étoile à seize branches",
		TitleAR:       "لوحة نافورة جدارية من الزليج بنجمة ذات ستة عشر رأسا",
		TitleEN:       "Zellige wall fountain panel, sixteen-point star",
		DescriptionFR: "Panneau de fontaine taillé tesselle par tesselle dans la terre émaillée de Fès, monté sur dalle de ciment, avec vasque et bec en laiton. Réalisé sur commande aux dimensions de votre patio ; livré avec un plan de pose.",
		DescriptionAR: "لوحة نافورة منحوتة قطعة قطعة من طين فاس المزجج، مركبة على بلاطة إسمنتية، مع حوض وصنبور من النحاس الأصفر. تنجز حسب الطلب بمقاسات فنائكم وتسلم مع تصميم للتركيب.",
		DescriptionEN: "A fountain panel cut tessera by tessera from glazed Fez clay, set on a cement slab, with a basin and a brass spout. Made to order to the size of your patio and delivered with a laying plan.",
		CraftCode:     "zellige", Materials: "Terre cuite émaillée de Fès, ciment, laiton", Dimensions: "120 × 180 cm",
		WeightGrams: 95000, PriceCents: 185000, MadeToOrder: true, LeadTimeDays: 45, PickupAtFair: false, Ships: true,
	}),
	demo("atelier-bennani-zellige", 3, MotifStar, palFesBlue, ProductInput{
		TitleFR:       "Table basse en zellige bleu et blanc, plateau rond 60 cm",
		TitleAR:       "طاولة منخفضة من الزليج الأزرق والأبيض، سطح دائري 60 سم",
		TitleEN:       "Blue and white zellige coffee table, 60 cm round top",
		DescriptionFR: "Plateau en zellige de Fès serti dans un cerclage en fer forgé, pieds en fer patiné. Résiste à l'eau et à la chaleur : idéal en terrasse comme au salon.",
		DescriptionAR: "سطح من زليج فاس مرصع داخل إطار من الحديد المطروق، بأرجل من الحديد المعتق. يقاوم الماء والحرارة: مثالي في الشرفة كما في الصالون.",
		DescriptionEN: "A top of Fez zellige set in a wrought-iron ring on patinated iron legs. Water- and heat-proof: at home on a terrace as in a living room.",
		CraftCode:     "zellige", Materials: "Zellige de Fès, fer forgé", Dimensions: "Ø 60 cm, hauteur 45 cm",
		WeightGrams: 18000, PriceCents: 65000, Stock: 2, PickupAtFair: true, Ships: true,
	}),
	demo("atelier-bennani-zellige", 2, MotifRings, palFesBlue, ProductInput{
		TitleFR:       "Assiette décorative en faïence bleue de Fès, 32 cm",
		TitleAR:       "طبق زخرفي من الخزف الأزرق الفاسي، 32 سم",
		TitleEN:       "Fez blue pottery decorative plate, 32 cm",
		DescriptionFR: "Assiette tournée et peinte à la main au bleu de cobalt, décor de rosace et d'entrelacs typique de Fès. À accrocher au mur ou à poser sur un présentoir.",
		DescriptionAR: "طبق مخروط ومرسوم يدويا بالأزرق الكوبالتي، بزخرفة وردية وتشابكات مميزة لفاس. يعلق على الحائط أو يوضع على حامل.",
		DescriptionEN: "Thrown and hand-painted in cobalt blue with the rosette and interlace of Fez. Hang it on a wall or stand it on a plate holder.",
		CraftCode:     "pottery", Materials: "Faïence émaillée, bleu de cobalt", Dimensions: "Ø 32 cm",
		WeightGrams: 1400, PriceCents: 6500, Stock: 8, PickupAtFair: true, Ships: true,
	}),
	demo("atelier-bennani-zellige", 2, MotifStar, palEmerald, ProductInput{
		TitleFR:       "Dessous-de-plat en zellige vert émeraude, lot de quatre",
		TitleAR:       "أربع قواعد للأواني من الزليج الأخضر الزمردي",
		TitleEN:       "Emerald green zellige trivets, set of four",
		DescriptionFR: "Quatre carreaux de zellige 15 × 15 cm montés sur liège, pour protéger la table des tajines et des théières brûlantes.",
		DescriptionAR: "أربعة مربعات زليج 15 × 15 سم مثبتة على الفلين، لحماية المائدة من الطواجن والبراريد الساخنة.",
		DescriptionEN: "Four 15 × 15 cm zellige tiles mounted on cork, to protect the table from hot tagines and teapots.",
		CraftCode:     "zellige", Materials: "Zellige, liège", Dimensions: "15 × 15 cm (×4)",
		WeightGrams: 2200, PriceCents: 4800, Stock: 12, PickupAtFair: true, Ships: true,
	}),
	demo("atelier-bennani-zellige", 2, MotifStar, palEmerald, ProductInput{
		TitleFR:       "Zellige taillé main au mètre carré, vert émeraude",
		TitleAR:       "زليج منحوت يدويا بالمتر المربع، أخضر زمردي",
		TitleEN:       "Hand-cut zellige by the square metre, emerald green",
		DescriptionFR: "Zellige posé sur trame, pour salles de bains, hammams et fontaines. Prix au mètre carré ; devis pour les grands chantiers et les promoteurs immobiliers.",
		DescriptionAR: "زليج مركب على شبكة، للحمامات والنافورات. الثمن للمتر المربع؛ عرض أسعار للأوراش الكبرى والمنعشين العقاريين.",
		DescriptionEN: "Zellige laid on mesh for bathrooms, hammams and fountains. Price per square metre; quotes for large projects and property developers.",
		CraftCode:     "zellige", Materials: "Terre cuite émaillée de Fès", Dimensions: "1 m², tesselles de 2 à 5 cm",
		WeightGrams: 30000, PriceCents: 14000, MadeToOrder: true, LeadTimeDays: 30, PickupAtFair: false, Ships: true,
	}),

	// Coopérative Al Hamra — tadelakt and carved plaster (Marrakech-Safi)
	demo("cooperative-al-hamra-tadelakt", 3, MotifWash, palOchre, ProductInput{
		TitleFR:       "Vasque en tadelakt ocre, pièce unique",
		TitleAR:       "حوض من التادلاكت بلون المغرة، قطعة فريدة",
		TitleEN:       "Ochre tadelakt basin, one of a kind",
		DescriptionFR: "Vasque à poser modelée sur un noyau de terre, enduite de chaux de Marrakech et polie au galet pendant trois jours. Étanche, douce au toucher, chaque veinure est unique.",
		DescriptionAR: "حوض يوضع فوق السطح، مشكل على نواة من الطين ومطلي بجير مراكش ومصقول بالحجر طيلة ثلاثة أيام. عازل للماء، ناعم الملمس، وكل عرق فيه فريد.",
		DescriptionEN: "A vessel basin shaped on a clay core, coated with Marrakesh lime and stone-polished for three days. Watertight and soft to the touch; every vein is unique.",
		CraftCode:     "tadelakt", Materials: "Chaux de Marrakech, savon noir, pigments naturels", Dimensions: "Ø 42 cm, hauteur 15 cm",
		WeightGrams: 9000, PriceCents: 42000, Stock: 1, PickupAtFair: true, Ships: true,
	}),
	demo("cooperative-al-hamra-tadelakt", 2, MotifWash, palTerracota, ProductInput{
		TitleFR:       "Porte-savons en tadelakt, lot de deux",
		TitleAR:       "حاملا صابون من التادلاكت",
		TitleEN:       "Tadelakt soap dishes, set of two",
		DescriptionFR: "Deux porte-savons polis à la main, couleur terre de Marrakech. Le savon noir de la finition les rend imperméables.",
		DescriptionAR: "حاملا صابون مصقولان يدويا بلون تراب مراكش. الصابون البلدي المستعمل في التشطيب يجعلهما عازلين للماء.",
		DescriptionEN: "Two hand-polished soap dishes in Marrakesh earth red. The black-soap finish makes them waterproof.",
		CraftCode:     "tadelakt", Materials: "Chaux, savon noir", Dimensions: "12 × 9 cm",
		WeightGrams: 700, PriceCents: 2400, Stock: 20, PickupAtFair: true, Ships: true,
	}),
	demo("cooperative-al-hamra-tadelakt", 3, MotifLattice, palPlaster, ProductInput{
		TitleFR:       "Panneau en plâtre sculpté (gebs), rosace et muqarnas",
		TitleAR:       "لوحة من الجبص المنقوش بوردة ومقرنصات",
		TitleEN:       "Carved plaster (gebs) panel, rosette and muqarnas",
		DescriptionFR: "Panneau ciselé à la main dans le plâtre frais, selon les motifs des riads de Marrakech. Sur commande aux dimensions souhaitées, pour plafond, frise ou encadrement de porte.",
		DescriptionAR: "لوحة منقوشة يدويا في الجبص الطري وفق زخارف رياضات مراكش. حسب الطلب وبالمقاسات المرغوبة، للسقف أو الإفريز أو إطار الباب.",
		DescriptionEN: "Hand-carved in fresh plaster after the patterns of Marrakesh riads. Made to order to your size, for a ceiling, a frieze or a door surround.",
		CraftCode:     "plaster", Materials: "Plâtre, structure bois", Dimensions: "60 × 90 cm",
		WeightGrams: 14000, PriceCents: 38000, MadeToOrder: true, LeadTimeDays: 30, PickupAtFair: false, Ships: true,
	}),
	demo("cooperative-al-hamra-tadelakt", 2, MotifWash, palOchre, ProductInput{
		TitleFR:       "Lampe de table en tadelakt, abat-jour en lin",
		TitleAR:       "مصباح طاولة من التادلاكت بغطاء من الكتان",
		TitleEN:       "Tadelakt table lamp with a linen shade",
		DescriptionFR: "Pied de lampe galbé en tadelakt miel, abat-jour en lin naturel. Douille E27, câble textile. Épuisée — la prochaine série sort du four au printemps.",
		DescriptionAR: "قاعدة مصباح مقوسة من التادلاكت بلون العسل وغطاء من الكتان الطبيعي. نفدت الكمية — تخرج السلسلة القادمة في الربيع.",
		DescriptionEN: "A curved base in honey tadelakt with a natural linen shade, E27 socket, fabric cable. Sold out — the next series is due in spring.",
		CraftCode:     "tadelakt", Materials: "Chaux, lin", Dimensions: "Hauteur 48 cm",
		WeightGrams: 3200, PriceCents: 9500, Stock: 0, PickupAtFair: true, Ships: true,
	}),

	// Dar Tetouan Broderie — embroidery (Tanger-Tétouan-Al Hoceïma)
	demo("dar-tetouan-broderie", 3, MotifStripes, palLinen, ProductInput{
		TitleFR:       "Nappe brodée de Tétouan, huit couverts",
		TitleAR:       "مفرش مائدة مطرز تطواني لثمانية أشخاص",
		TitleEN:       "Tetouan embroidered tablecloth for eight",
		DescriptionFR: "Nappe en lin brodée main au fil de soie, motifs floraux andalous grenat et or. Trois semaines de broderie ; lavable à 30 °C.",
		DescriptionAR: "مفرش من الكتان مطرز يدويا بخيط الحرير، بزخارف نباتية أندلسية بلون العقيق والذهبي. ثلاثة أسابيع من الطرز؛ يغسل في 30 درجة.",
		DescriptionEN: "Linen hand-embroidered in silk thread with Andalusian floral patterns in garnet and gold. Three weeks of stitching; washable at 30 °C.",
		CraftCode:     "embroidery", Materials: "Lin, fil de soie", Dimensions: "180 × 280 cm",
		WeightGrams: 1300, PriceCents: 24000, Stock: 3, PickupAtFair: true, Ships: true,
	}),
	demo("dar-tetouan-broderie", 2, MotifStripes, palLinen, ProductInput{
		TitleFR:       "Paire de housses de coussin brodées au point de Tétouan",
		TitleAR:       "غطاءا وسادتين مطرزان بالغرزة التطوانية",
		TitleEN:       "Pair of cushion covers in Tetouan stitch",
		DescriptionFR: "Deux housses en coton écru brodées de rosaces vertes et dorées, fermeture à boutons d'aakad.",
		DescriptionAR: "غطاءان من القطن الخام مطرزان بورود خضراء وذهبية، يغلقان بأزرار العقاد.",
		DescriptionEN: "Two unbleached cotton covers embroidered with green and gold rosettes, closed with aakad buttons.",
		CraftCode:     "embroidery", Materials: "Coton, fil de soie", Dimensions: "45 × 45 cm (×2)",
		WeightGrams: 500, PriceCents: 7800, Stock: 6, PickupAtFair: true, Ships: true,
	}),
	demo("dar-tetouan-broderie", 2, MotifStripes, palSilk, ProductInput{
		TitleFR:       "Serviettes de table brodées au fil de soie, lot de six",
		TitleAR:       "ست مناديل مائدة مطرزة بخيط الحرير",
		TitleEN:       "Silk-embroidered table napkins, set of six",
		DescriptionFR: "Six serviettes en lin assorties à la nappe de Tétouan. Épuisées pour la saison.",
		DescriptionAR: "ست مناديل من الكتان تتناسق مع المفرش التطواني. نفدت لهذا الموسم.",
		DescriptionEN: "Six linen napkins to match the Tetouan tablecloth. Sold out for the season.",
		CraftCode:     "embroidery", Materials: "Lin, fil de soie", Dimensions: "40 × 40 cm (×6)",
		WeightGrams: 400, PriceCents: 5400, Stock: 0, PickupAtFair: true, Ships: true,
	}),

	// Argent de Tiznit — jewellery (Souss-Massa)
	demo("argent-de-tiznit", 3, MotifDiamonds, palSilver, ProductInput{
		TitleFR:       "Fibule (tizerzai) en argent de Tiznit, pièce unique",
		TitleAR:       "تيزرزاي من فضة تيزنيت، قطعة فريدة",
		TitleEN:       "Tiznit silver fibula (tizerzai), one of a kind",
		DescriptionFR: "Grande fibule triangulaire en argent massif ciselé, ornée d'émail vert et de corail, reliée par une chaîne. Poinçon de garantie.",
		DescriptionAR: "تيزرزاي مثلثة كبيرة من الفضة الخالصة المنقوشة، مزينة بالمينا الخضراء والمرجان، مرتبطة بسلسلة. تحمل طابع الضمان.",
		DescriptionEN: "A large triangular fibula in chased solid silver, set with green enamel and coral and joined by a chain. Hallmarked.",
		CraftCode:     "jewellery", Materials: "Argent 925, émail, corail", Dimensions: "14 × 9 cm",
		WeightGrams: 120, PriceCents: 16500, Stock: 1, PickupAtFair: true, Ships: true,
	}),
	demo("argent-de-tiznit", 2, MotifDiamonds, palSilver, ProductInput{
		TitleFR:       "Bracelet berbère en argent ciselé",
		TitleAR:       "دملج أمازيغي من الفضة المنقوشة",
		TitleEN:       "Chased silver Amazigh bracelet",
		DescriptionFR: "Bracelet manchette gravé au burin de motifs géométriques amazighs. Taille ajustable.",
		DescriptionAR: "دملج عريض محفور بالإزميل بزخارف هندسية أمازيغية. مقاس قابل للتعديل.",
		DescriptionEN: "A cuff engraved by hand with Amazigh geometric patterns. Adjustable size.",
		CraftCode:     "jewellery", Materials: "Argent 925", Dimensions: "Largeur 4 cm",
		WeightGrams: 65, PriceCents: 9800, Stock: 4, PickupAtFair: true, Ships: true,
	}),
	demo("argent-de-tiznit", 2, MotifRings, palSilver, ProductInput{
		TitleFR:       "Collier en argent et ambre du Souss",
		TitleAR:       "قلادة من الفضة والعنبر السوسي",
		TitleEN:       "Silver and amber necklace from the Souss",
		DescriptionFR: "Collier de perles d'ambre et de pièces d'argent martelées, fermoir en argent. Pièce unique assemblée à Tiznit.",
		DescriptionAR: "قلادة من حبات العنبر وقطع الفضة المطروقة بمشبك فضي. قطعة فريدة مجمعة بتيزنيت.",
		DescriptionEN: "Amber beads and hammered silver coins on a silver clasp. A single piece assembled in Tiznit.",
		CraftCode:     "jewellery", Materials: "Argent 925, ambre", Dimensions: "Longueur 52 cm",
		WeightGrams: 180, PriceCents: 21000, Stock: 1, PickupAtFair: true, Ships: true,
	}),
	demo("argent-de-tiznit", 2, MotifDiamonds, palSilver, ProductInput{
		TitleFR:       "Boucles d'oreilles en argent émaillé",
		TitleAR:       "أقراط من الفضة المزججة بالمينا",
		TitleEN:       "Enamelled silver earrings",
		DescriptionFR: "Pendants en argent filigrané rehaussés d'émail jaune et vert, fermoirs à crochet.",
		DescriptionAR: "أقراط متدلية من الفضة المخرمة مزينة بالمينا الصفراء والخضراء.",
		DescriptionEN: "Filigree silver drops highlighted with yellow and green enamel, on hook fastenings.",
		CraftCode:     "jewellery", Materials: "Argent 925, émail", Dimensions: "Hauteur 5 cm",
		WeightGrams: 14, PriceCents: 5200, Stock: 10, PickupAtFair: true, Ships: true,
	}),

	// Coopérative des tapis Zayane — carpets (Béni Mellal-Khénifra)
	demo("cooperative-tapis-zayane", 3, MotifDiamonds, palWool, ProductInput{
		TitleFR:       "Tapis Beni Ouarain en laine naturelle, 200 × 300 cm",
		TitleAR:       "زربية بني وراين من الصوف الطبيعي، 200 × 300 سم",
		TitleEN:       "Beni Ouarain rug in natural wool, 200 × 300 cm",
		DescriptionFR: "Tapis à poils longs noué main en laine de brebis non teinte, losanges brun foncé sur fond écru. Quatre mois de travail pour deux tisseuses.",
		DescriptionAR: "زربية بوبر طويل معقودة يدويا من صوف الغنم غير المصبوغ، معينات بنية داكنة على خلفية بيضاء. أربعة أشهر من العمل لنساجتين.",
		DescriptionEN: "A hand-knotted long-pile rug in undyed sheep's wool, dark brown lozenges on an ivory ground. Four months of work for two weavers.",
		CraftCode:     "carpets", Materials: "Laine de brebis", Dimensions: "200 × 300 cm",
		WeightGrams: 21000, PriceCents: 145000, Stock: 1, PickupAtFair: true, Ships: true,
	}),
	demo("cooperative-tapis-zayane", 3, MotifStripes, palZayane, ProductInput{
		TitleFR:       "Tapis Zayane rouge et safran, 150 × 240 cm",
		TitleAR:       "زربية زيانية حمراء وزعفرانية، 150 × 240 سم",
		TitleEN:       "Red and saffron Zayane rug, 150 × 240 cm",
		DescriptionFR: "Tapis noué aux couleurs de la tribu Zayane, laine teinte à la garance et au safran. Pièce unique signée par sa tisseuse, Itto.",
		DescriptionAR: "زربية معقودة بألوان قبيلة زيان، صوف مصبوغ بالفوة والزعفران. قطعة فريدة موقعة باسم ناسجتها إيطو.",
		DescriptionEN: "Knotted in the colours of the Zayane tribe, wool dyed with madder and saffron. A single piece signed by its weaver, Itto.",
		CraftCode:     "carpets", Materials: "Laine, teintures végétales", Dimensions: "150 × 240 cm",
		WeightGrams: 12000, PriceCents: 89000, Stock: 1, PickupAtFair: true, Ships: true,
	}),
	demo("cooperative-tapis-zayane", 2, MotifStripes, palZayane, ProductInput{
		TitleFR:       "Hanbel (kilim) en laine tissée, 120 × 180 cm",
		TitleAR:       "حنبل منسوج من الصوف، 120 × 180 سم",
		TitleEN:       "Woven wool hanbel (kilim), 120 × 180 cm",
		DescriptionFR: "Tapis plat réversible à bandes et petits losanges, léger et facile à transporter dans une valise.",
		DescriptionAR: "زربية مسطحة بوجهين بخطوط ومعينات صغيرة، خفيفة وسهلة الحمل في حقيبة سفر.",
		DescriptionEN: "A reversible flat-weave with bands and small lozenges, light enough to fit in a suitcase.",
		CraftCode:     "carpets", Materials: "Laine", Dimensions: "120 × 180 cm",
		WeightGrams: 3500, PriceCents: 42000, Stock: 2, PickupAtFair: true, Ships: true,
	}),
	demo("cooperative-tapis-zayane", 2, MotifStripes, palWool, ProductInput{
		TitleFR:       "Coussin berbère en laine tissée",
		TitleAR:       "وسادة أمازيغية من الصوف المنسوج",
		TitleEN:       "Woven wool Berber cushion",
		DescriptionFR: "Coussin de sol tissé sur le métier de la coopérative, garni de laine. Épuisé.",
		DescriptionAR: "وسادة أرضية منسوجة على منسج التعاونية ومحشوة بالصوف. نفدت الكمية.",
		DescriptionEN: "A floor cushion woven on the cooperative's loom and stuffed with wool. Sold out.",
		CraftCode:     "carpets", Materials: "Laine", Dimensions: "50 × 50 cm",
		WeightGrams: 1800, PriceCents: 4500, Stock: 0, PickupAtFair: true, Ships: false,
	}),

	// Poterie Serghini — Safi pottery (Marrakech-Safi)
	demo("poterie-serghini-safi", 3, MotifRings, palSafi, ProductInput{
		TitleFR:       "Tajine de Safi émaillé, six personnes",
		TitleAR:       "طاجين آسفي مزجج لستة أشخاص",
		TitleEN:       "Glazed Safi tagine for six",
		DescriptionFR: "Tajine de service en terre de Safi, émail bleu et brun peint à la main. Pour servir à table ; compatible lave-vaisselle.",
		DescriptionAR: "طاجين للتقديم من طين آسفي بطلاء أزرق وبني مرسوم يدويا. للتقديم على المائدة؛ يتحمل غسالة الأواني.",
		DescriptionEN: "A serving tagine in Safi clay with hand-painted blue and brown glaze. For the table; dishwasher-safe.",
		CraftCode:     "pottery", Materials: "Terre de Safi émaillée", Dimensions: "Ø 32 cm, hauteur 28 cm",
		WeightGrams: 3100, PriceCents: 6800, Stock: 10, PickupAtFair: true, Ships: true,
	}),
	demo("poterie-serghini-safi", 2, MotifRings, palTerracota, ProductInput{
		TitleFR:       "Tajine de cuisson en terre cuite non émaillée",
		TitleAR:       "طاجين طبخ من الطين غير المزجج",
		TitleEN:       "Unglazed clay cooking tagine",
		DescriptionFR: "Le vrai tajine de cuisson, pour le feu de braise ou le gaz avec un diffuseur. À culotter avant le premier usage (notice fournie).",
		DescriptionAR: "طاجين الطبخ الأصيل، للمجمر أو الغاز مع موزع حرارة. يعالج قبل الاستعمال الأول (مع دليل).",
		DescriptionEN: "The real cooking tagine, for charcoal or gas with a diffuser. Season it before first use (instructions included).",
		CraftCode:     "pottery", Materials: "Terre cuite", Dimensions: "Ø 30 cm",
		WeightGrams: 2600, PriceCents: 3200, Stock: 25, PickupAtFair: true, Ships: true,
	}),
	demo("poterie-serghini-safi", 3, MotifRings, palSafi, ProductInput{
		TitleFR:       "Vase de Safi à reflets métalliques, pièce unique",
		TitleAR:       "مزهرية آسفي ببريق معدني، قطعة فريدة",
		TitleEN:       "Safi lustreware vase, one of a kind",
		DescriptionFR: "Vase tourné, décor de reflets cuivrés obtenus par une troisième cuisson réductrice au four à bois.",
		DescriptionAR: "مزهرية مخروطة بزخرفة ذات بريق نحاسي يتم الحصول عليه بطهي ثالث مختزل في فرن الحطب.",
		DescriptionEN: "A thrown vase with a copper lustre obtained by a third, reducing firing in the wood kiln.",
		CraftCode:     "pottery", Materials: "Terre de Safi, lustre métallique", Dimensions: "Hauteur 38 cm",
		WeightGrams: 2400, PriceCents: 12500, Stock: 1, PickupAtFair: true, Ships: true,
	}),
	demo("poterie-serghini-safi", 2, MotifRings, palSafi, ProductInput{
		TitleFR:       "Plat à couscous émaillé, 40 cm",
		TitleAR:       "قصعة كسكس مزججة، 40 سم",
		TitleEN:       "Glazed couscous dish, 40 cm",
		DescriptionFR: "Grand plat creux de Safi au décor de rosace bleue, pour le couscous du vendredi en famille.",
		DescriptionAR: "قصعة كبيرة من آسفي بزخرفة وردية زرقاء، لكسكس الجمعة مع العائلة.",
		DescriptionEN: "A large, deep Safi dish with a blue rosette, for the family's Friday couscous.",
		CraftCode:     "pottery", Materials: "Terre de Safi émaillée", Dimensions: "Ø 40 cm",
		WeightGrams: 3400, PriceCents: 9500, Stock: 3, PickupAtFair: true, Ships: true,
	}),

	// Atelier Thuya Mogador — wood (Marrakech-Safi)
	demo("atelier-thuya-mogador", 3, MotifLattice, palThuya, ProductInput{
		TitleFR:       "Coffret à bijoux en cèdre et thuya, marqueterie de citronnier",
		TitleAR:       "علبة مجوهرات من الأرز والعرعار بترصيع من خشب الليمون",
		TitleEN:       "Cedar and thuya jewellery box with lemonwood marquetry",
		DescriptionFR: "Coffret en cèdre de l'Atlas doublé de velours, couvercle en loupe de thuya marquetée de citronnier et d'ébène. Le cèdre parfume et protège les bijoux.",
		DescriptionAR: "علبة من أرز الأطلس مبطنة بالمخمل، غطاؤها من جذر العرعار مرصع بخشب الليمون والأبنوس. الأرز يعطر الحلي ويحميها.",
		DescriptionEN: "An Atlas cedar box lined with velvet, its lid in thuya burl inlaid with lemonwood and ebony. Cedar scents and protects the jewellery.",
		CraftCode:     "wood", Materials: "Cèdre de l'Atlas, loupe de thuya, citronnier, ébène", Dimensions: "24 × 16 × 9 cm",
		WeightGrams: 900, PriceCents: 8900, Stock: 5, PickupAtFair: true, Ships: true,
	}),
	demo("atelier-thuya-mogador", 2, MotifLattice, palThuya, ProductInput{
		TitleFR:       "Boîte en cèdre sculpté, motif d'entrelacs",
		TitleAR:       "صندوق من الأرز المنحوت بزخرفة متشابكة",
		TitleEN:       "Carved cedar box with interlace pattern",
		DescriptionFR: "Boîte à thé ou à épices sculptée au ciseau dans un bloc de cèdre, finition à la cire d'abeille.",
		DescriptionAR: "علبة للشاي أو التوابل منحوتة بالإزميل في كتلة من الأرز، بتشطيب بشمع النحل.",
		DescriptionEN: "A tea or spice box chisel-carved from a block of cedar, finished with beeswax.",
		CraftCode:     "wood", Materials: "Cèdre, cire d'abeille", Dimensions: "18 × 12 × 8 cm",
		WeightGrams: 600, PriceCents: 6200, Stock: 7, PickupAtFair: true, Ships: true,
	}),
	demo("atelier-thuya-mogador", 3, MotifLattice, palThuya, ProductInput{
		TitleFR:       "Échiquier en thuya et marqueterie, pièces incluses",
		TitleAR:       "رقعة شطرنج من العرعار المرصع مع القطع",
		TitleEN:       "Thuya marquetry chessboard with pieces",
		DescriptionFR: "Plateau marqueté de thuya et de citronnier, pièces tournées à la main rangées dans le tiroir. Pièce unique.",
		DescriptionAR: "رقعة مرصعة بالعرعار وخشب الليمون، وقطع مخروطة يدويا محفوظة في الدرج. قطعة فريدة.",
		DescriptionEN: "A board inlaid with thuya and lemonwood, hand-turned pieces stored in its drawer. One of a kind.",
		CraftCode:     "wood", Materials: "Thuya, citronnier", Dimensions: "45 × 45 cm",
		WeightGrams: 3800, PriceCents: 19500, Stock: 1, PickupAtFair: true, Ships: true,
	}),

	// Dinanderie et ferronnerie des Oudayas — copper and ironwork (Rabat-Salé-Kénitra)
	demo("dinanderie-oudaya", 3, MotifLattice, palCopper, ProductInput{
		TitleFR:       "Grande lanterne en cuivre ciselé et ajouré",
		TitleAR:       "فانوس كبير من النحاس المنقوش والمخرم",
		TitleEN:       "Large pierced and chased copper lantern",
		DescriptionFR: "Lanterne hexagonale percée au poinçon de milliers de motifs étoilés, qui projettent au mur une dentelle de lumière. Électrifiée, chaîne fournie.",
		DescriptionAR: "فانوس سداسي مثقوب بالمنقاش بآلاف النجوم التي ترسم على الحائط دانتيلا من الضوء. مجهز بالكهرباء مع سلسلة.",
		DescriptionEN: "A hexagonal lantern punched with thousands of stars that cast a lace of light on the walls. Wired, chain included.",
		CraftCode:     "copper", Materials: "Cuivre", Dimensions: "Hauteur 70 cm",
		WeightGrams: 4200, PriceCents: 24500, Stock: 3, PickupAtFair: true, Ships: true,
	}),
	demo("dinanderie-oudaya", 2, MotifRings, palCopper, ProductInput{
		TitleFR:       "Plateau en laiton gravé, 60 cm",
		TitleAR:       "صينية من النحاس الأصفر المنقوش، 60 سم",
		TitleEN:       "Engraved brass tray, 60 cm",
		DescriptionFR: "Plateau à thé gravé au burin d'une rosace centrale et d'une frise calligraphiée. Se pose sur un pied pliant (vendu séparément).",
		DescriptionAR: "صينية شاي محفورة بالإزميل بوردة مركزية وإفريز من الخط العربي. توضع على حامل قابل للطي (يباع منفصلا).",
		DescriptionEN: "A tea tray engraved with a central rosette and a calligraphic frieze. Sits on a folding stand (sold separately).",
		CraftCode:     "copper", Materials: "Laiton", Dimensions: "Ø 60 cm",
		WeightGrams: 2800, PriceCents: 17500, Stock: 2, PickupAtFair: true, Ships: true,
	}),
	demo("dinanderie-oudaya", 3, MotifLattice, palIron, ProductInput{
		TitleFR:       "Miroir en fer forgé, arc outrepassé",
		TitleAR:       "مرآة من الحديد المطروق بقوس حدوي",
		TitleEN:       "Wrought-iron mirror, horseshoe arch",
		DescriptionFR: "Miroir encadré de fer forgé à chaud, volutes et arc outrepassé, patine noire cirée. Forgé sur commande.",
		DescriptionAR: "مرآة بإطار من الحديد المطروق على الساخن، بلوالب وقوس حدوي وطلاء أسود مشمع. تصنع حسب الطلب.",
		DescriptionEN: "A mirror framed in hot-forged iron with scrolls and a horseshoe arch, black waxed patina. Forged to order.",
		CraftCode:     "ironwork", Materials: "Fer forgé, miroir", Dimensions: "70 × 110 cm",
		WeightGrams: 11000, PriceCents: 21500, MadeToOrder: true, LeadTimeDays: 21, PickupAtFair: true, Ships: true,
	}),
	demo("dinanderie-oudaya", 2, MotifLattice, palIron, ProductInput{
		TitleFR:       "Applique murale en fer forgé et verre coloré",
		TitleAR:       "مصباح حائطي من الحديد المطروق والزجاج الملون",
		TitleEN:       "Wrought-iron and coloured glass wall light",
		DescriptionFR: "Applique en fer forgé garnie de verres rouges et ambrés, pour un couloir ou une terrasse couverte.",
		DescriptionAR: "مصباح حائطي من الحديد المطروق بزجاج أحمر وعنبري، لممر أو شرفة مسقوفة.",
		DescriptionEN: "A wrought-iron wall light glazed in red and amber glass, for a hallway or a covered terrace.",
		CraftCode:     "ironwork", Materials: "Fer forgé, verre", Dimensions: "30 × 45 cm",
		WeightGrams: 2300, PriceCents: 13500, Stock: 4, PickupAtFair: true, Ships: true,
	}),

	// Maison Lalla Ghita — caftans (Casablanca-Settat)
	demo("maison-lalla-ghita-caftans", 3, MotifWash, palSilk, ProductInput{
		TitleFR:       "Caftan en soie brodé de sfifa, sur mesure",
		TitleAR:       "قفطان من الحرير مطرز بالسفيفة، حسب المقاس",
		TitleEN:       "Silk caftan trimmed with sfifa, made to measure",
		DescriptionFR: "Caftan en crêpe de soie prune, sfifa et aakad dorés faits main, ceinture brodée. Coupé à vos mesures : prise de mesures au stand pendant le salon.",
		DescriptionAR: "قفطان من كريب الحرير البرقوقي، بسفيفة وعقاد ذهبية مصنوعة يدويا وحزام مطرز. يفصل على مقاسكم: أخذ المقاسات في الرواق أثناء المعرض.",
		DescriptionEN: "A plum silk crêpe caftan with handmade gold sfifa and aakad buttons and an embroidered belt. Cut to your measurements, taken at the stand during the fair.",
		CraftCode:     "clothing", Materials: "Crêpe de soie, fil doré", Dimensions: "Sur mesure",
		WeightGrams: 1500, PriceCents: 68000, MadeToOrder: true, LeadTimeDays: 60, PickupAtFair: true, Ships: true,
	}),
	demo("maison-lalla-ghita-caftans", 2, MotifStripes, palLinen, ProductInput{
		TitleFR:       "Djellaba homme en laine fine",
		TitleAR:       "جلابة رجالية من الصوف الرفيع",
		TitleEN:       "Men's fine wool djellaba",
		DescriptionFR: "Djellaba à capuche en laine fine beige, finitions au fil de soie. Tailles M à XXL.",
		DescriptionAR: "جلابة بقب من الصوف الرفيع البيج، بتشطيبات بخيط الحرير. المقاسات من M إلى XXL.",
		DescriptionEN: "A hooded djellaba in fine beige wool with silk-thread finishing. Sizes M to XXL.",
		CraftCode:     "clothing", Materials: "Laine, fil de soie", Dimensions: "M à XXL",
		WeightGrams: 1100, PriceCents: 29000, Stock: 4, PickupAtFair: true, Ships: true,
	}),
	demo("maison-lalla-ghita-caftans", 2, MotifWash, palSilk, ProductInput{
		TitleFR:       "Caftan pour enfant en velours",
		TitleAR:       "قفطان للأطفال من المخمل",
		TitleEN:       "Children's velvet caftan",
		DescriptionFR: "Petit caftan de fête en velours bordeaux, pour les 4 à 8 ans. Épuisé.",
		DescriptionAR: "قفطان صغير للمناسبات من المخمل العنابي، للأطفال من 4 إلى 8 سنوات. نفدت الكمية.",
		DescriptionEN: "A festive burgundy velvet caftan for ages 4 to 8. Sold out.",
		CraftCode:     "clothing", Materials: "Velours, fil doré", Dimensions: "4 à 8 ans",
		WeightGrams: 500, PriceCents: 11500, Stock: 0, PickupAtFair: true, Ships: true,
	}),

	// Cuirs Filali du Tafilalet — leather and babouches (Drâa-Tafilalet)
	demo("cuirs-filali-rissani", 3, MotifRings, palFilali, ProductInput{
		TitleFR:       "Pouf en cuir filali brodé",
		TitleAR:       "بوف من الجلد الفيلالي المطرز",
		TitleEN:       "Embroidered filali leather pouf",
		DescriptionFR: "Pouf rond en cuir de chèvre tanné au végétal, brodé de soie. Livré vide pour voyager à plat ; à garnir de vieux textiles ou de mousse.",
		DescriptionAR: "بوف دائري من جلد الماعز المدبوغ نباتيا، مطرز بالحرير. يسلم فارغا ليسافر مسطحا؛ يحشى بأقمشة قديمة أو إسفنج.",
		DescriptionEN: "A round pouf in vegetable-tanned goatskin, embroidered with silk. Delivered unstuffed so it travels flat; fill it with old textiles or foam.",
		CraftCode:     "leather", Materials: "Cuir de chèvre tanné au végétal, soie", Dimensions: "Ø 50 cm, hauteur 30 cm",
		WeightGrams: 1200, PriceCents: 11000, Stock: 8, PickupAtFair: true, Ships: true,
	}),
	demo("cuirs-filali-rissani", 2, MotifStripes, palFilali, ProductInput{
		TitleFR:       "Babouches en cuir jaune safran, pointures 38 à 45",
		TitleAR:       "بلغة من الجلد الأصفر الزعفراني، المقاسات من 38 إلى 45",
		TitleEN:       "Saffron yellow leather babouches, sizes 38 to 45",
		DescriptionFR: "Les babouches classiques, cousues main, semelle en cuir de vache. Indiquez la pointure à la commande ou essayez-les au stand.",
		DescriptionAR: "البلغة الكلاسيكية مخيطة يدويا بنعل من جلد البقر. حددوا المقاس عند الطلب أو جربوها في الرواق.",
		DescriptionEN: "The classic babouches, hand-stitched on cowhide soles. Give your size when ordering or try them on at the stand.",
		CraftCode:     "babouches", Materials: "Cuir filali, cuir de vache", Dimensions: "Pointures 38 à 45",
		WeightGrams: 450, PriceCents: 3500, Stock: 30, PickupAtFair: true, Ships: true,
	}),
	demo("cuirs-filali-rissani", 2, MotifDiamonds, palFilali, ProductInput{
		TitleFR:       "Babouches brodées pour femme, fil d'or",
		TitleAR:       "بلغة نسائية مطرزة بخيط الذهب",
		TitleEN:       "Women's gold-thread embroidered babouches",
		DescriptionFR: "Babouches de cérémonie en velours et cuir, brodées au fil d'or. Épuisées — nouvelle série sur commande au salon.",
		DescriptionAR: "بلغة للمناسبات من المخمل والجلد، مطرزة بخيط الذهب. نفدت — سلسلة جديدة بالطلب في المعرض.",
		DescriptionEN: "Ceremonial babouches in velvet and leather, embroidered with gold thread. Sold out — a new series can be ordered at the fair.",
		CraftCode:     "babouches", Materials: "Velours, cuir, fil doré", Dimensions: "Pointures 36 à 41",
		WeightGrams: 350, PriceCents: 4200, Stock: 0, PickupAtFair: true, Ships: true,
	}),
	demo("cuirs-filali-rissani", 2, MotifStripes, palFilali, ProductInput{
		TitleFR:       "Sacoche en cuir tanné au végétal",
		TitleAR:       "محفظة كتف من الجلد المدبوغ نباتيا",
		TitleEN:       "Vegetable-tanned leather satchel",
		DescriptionFR: "Sacoche à rabat cousue main, bandoulière réglable, doublure en coton. Le cuir prend une belle patine avec le temps.",
		DescriptionAR: "محفظة بغطاء مخيطة يدويا، بحزام كتف قابل للتعديل وبطانة من القطن. يكتسب الجلد لمعة جميلة مع الوقت.",
		DescriptionEN: "A hand-stitched flap satchel with an adjustable strap and cotton lining. The leather takes on a fine patina with time.",
		CraftCode:     "leather", Materials: "Cuir de chèvre, coton", Dimensions: "32 × 25 × 8 cm",
		WeightGrams: 800, PriceCents: 12800, Stock: 2, PickupAtFair: true, Ships: true,
	}),
}

// DemoProductExists tells whether the artisan already has a product with this French title
// (the idempotency key of the demo catalog).
func DemoProductExists(ctx context.Context, db *gorm.DB, artisanSlug, titleFR string) (bool, error) {
	var n int64
	err := db.WithContext(ctx).Table("products p").Joins("JOIN artisans a ON a.id = p.artisan_id").
		Where("a.slug = ? AND p.title_fr = ?", artisanSlug, titleFR).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("find demo product %q: %w", titleFR, translateError(err))
	}
	return n > 0, nil
}

// SeedDemoProduct creates one demo product with its already stored photos and publishes it, in
// one transaction, unless the artisan already has a product with the same French title; it
// reports whether it created it (when not, the caller deletes the photos' objects). The
// artisan's row is locked first, so two seed runs at once cannot both create it.
func SeedDemoProduct(ctx context.Context, db *gorm.DB, p DemoProduct, photos []Photo) (bool, error) {
	if len(photos) == 0 {
		return false, fmt.Errorf("seed demo product %q: %w", p.TitleFR, ErrNoPhoto)
	}
	created := false
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		// A no-op write takes the row lock on PostgreSQL and the write lock on SQLite before
		// the existence check reads anything.
		res := tx.WithContext(ctx).Exec("UPDATE artisans SET updated_at = updated_at WHERE slug = ?", p.ArtisanSlug)
		if res.Error != nil {
			return fmt.Errorf("lock artisan %s: %w", p.ArtisanSlug, translateError(res.Error))
		}
		var a Artisan
		if err := tx.WithContext(ctx).Where("slug = ?", p.ArtisanSlug).Take(&a).Error; err != nil {
			return fmt.Errorf("seed demo product: artisan %s: %w", p.ArtisanSlug, translateError(err))
		}
		exists, err := DemoProductExists(ctx, tx, p.ArtisanSlug, p.TitleFR)
		if err != nil || exists {
			return err
		}
		prod, err := CreateProduct(ctx, tx, a.ID, p.ProductInput)
		if err != nil {
			return fmt.Errorf("seed demo product %q: %w", p.TitleFR, err)
		}
		for _, ph := range photos {
			if _, err := AddPhoto(ctx, tx, a.ID, prod.ID, ph); err != nil {
				return fmt.Errorf("seed demo product %q: %w", p.TitleFR, err)
			}
		}
		if err := SetProductStatus(ctx, tx, a.ID, prod.ID, ProductPublished); err != nil {
			return fmt.Errorf("seed demo product %q: %w", p.TitleFR, err)
		}
		created = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return created, nil
}

// ErrNoDemoArtisans means the load data has no verified demo artisan to belong to: run the
// demo seed first.
var ErrNoDemoArtisans = errors.New("no verified demo artisan: run the demo seed first")

// LoadReport says what SeedLoadProducts added and how fast.
type LoadReport struct {
	Products int
	Elapsed  time.Duration
}

// RowsPerSecond is the insert rate.
func (r LoadReport) RowsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Products) / r.Elapsed.Seconds()
}
