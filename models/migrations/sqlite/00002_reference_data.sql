-- +goose Up
-- Reference data: Morocco's 12 regions and their chambers of handicraft, and the trades (copied from the project brief's data files).
INSERT INTO regions (code, name_fr, name_ar, name_en, chamber_fr, chamber_ar, chamber_en, sort_order) VALUES ('TTA', 'Tanger-Tétouan-Al Hoceïma', 'طنجة تطوان الحسيمة', 'Tangier-Tetouan-Al Hoceima', 'Chambre d''Artisanat de la région Tanger-Tétouan-Al Hoceïma', 'غرفة الصناعة التقليدية لجهة طنجة تطوان الحسيمة', 'Chamber of Handicraft of the Tangier-Tetouan-Al Hoceima region', 1);
INSERT INTO regions (code, name_fr, name_ar, name_en, chamber_fr, chamber_ar, chamber_en, sort_order) VALUES ('ORI', 'L''Oriental', 'الشرق', 'Oriental', 'Chambre d''Artisanat de la région de l''Oriental', 'غرفة الصناعة التقليدية لجهة الشرق', 'Chamber of Handicraft of the Oriental region', 2);
INSERT INTO regions (code, name_fr, name_ar, name_en, chamber_fr, chamber_ar, chamber_en, sort_order) VALUES ('FM', 'Fès-Meknès', 'فاس مكناس', 'Fez-Meknes', 'Chambre d''Artisanat de la région Fès-Meknès', 'غرفة الصناعة التقليدية لجهة فاس مكناس', 'Chamber of Handicraft of the Fez-Meknes region', 3);
INSERT INTO regions (code, name_fr, name_ar, name_en, chamber_fr, chamber_ar, chamber_en, sort_order) VALUES ('RSK', 'Rabat-Salé-Kénitra', 'الرباط سلا القنيطرة', 'Rabat-Sale-Kenitra', 'Chambre d''Artisanat de la région Rabat-Salé-Kénitra', 'غرفة الصناعة التقليدية لجهة الرباط سلا القنيطرة', 'Chamber of Handicraft of the Rabat-Sale-Kenitra region', 4);
INSERT INTO regions (code, name_fr, name_ar, name_en, chamber_fr, chamber_ar, chamber_en, sort_order) VALUES ('BMK', 'Béni Mellal-Khénifra', 'بني ملال خنيفرة', 'Beni Mellal-Khenifra', 'Chambre d''Artisanat de la région Béni Mellal-Khénifra', 'غرفة الصناعة التقليدية لجهة بني ملال خنيفرة', 'Chamber of Handicraft of the Beni Mellal-Khenifra region', 5);
INSERT INTO regions (code, name_fr, name_ar, name_en, chamber_fr, chamber_ar, chamber_en, sort_order) VALUES ('CS', 'Casablanca-Settat', 'الدار البيضاء سطات', 'Casablanca-Settat', 'Chambre d''Artisanat de la région Casablanca-Settat', 'غرفة الصناعة التقليدية لجهة الدار البيضاء سطات', 'Chamber of Handicraft of the Casablanca-Settat region', 6);
INSERT INTO regions (code, name_fr, name_ar, name_en, chamber_fr, chamber_ar, chamber_en, sort_order) VALUES ('MS', 'Marrakech-Safi', 'مراكش آسفي', 'Marrakesh-Safi', 'Chambre d''Artisanat de la région Marrakech-Safi', 'غرفة الصناعة التقليدية لجهة مراكش آسفي', 'Chamber of Handicraft of the Marrakesh-Safi region', 7);
INSERT INTO regions (code, name_fr, name_ar, name_en, chamber_fr, chamber_ar, chamber_en, sort_order) VALUES ('DT', 'Drâa-Tafilalet', 'درعة تافيلالت', 'Draa-Tafilalet', 'Chambre d''Artisanat de la région Drâa-Tafilalet', 'غرفة الصناعة التقليدية لجهة درعة تافيلالت', 'Chamber of Handicraft of the Draa-Tafilalet region', 8);
INSERT INTO regions (code, name_fr, name_ar, name_en, chamber_fr, chamber_ar, chamber_en, sort_order) VALUES ('SM', 'Souss-Massa', 'سوس ماسة', 'Souss-Massa', 'Chambre d''Artisanat de la région Souss-Massa', 'غرفة الصناعة التقليدية لجهة سوس ماسة', 'Chamber of Handicraft of the Souss-Massa region', 9);
INSERT INTO regions (code, name_fr, name_ar, name_en, chamber_fr, chamber_ar, chamber_en, sort_order) VALUES ('GON', 'Guelmim-Oued Noun', 'كلميم واد نون', 'Guelmim-Oued Noun', 'Chambre d''Artisanat de la région Guelmim-Oued Noun', 'غرفة الصناعة التقليدية لجهة كلميم واد نون', 'Chamber of Handicraft of the Guelmim-Oued Noun region', 10);
INSERT INTO regions (code, name_fr, name_ar, name_en, chamber_fr, chamber_ar, chamber_en, sort_order) VALUES ('LSH', 'Laâyoune-Sakia El Hamra', 'العيون الساقية الحمراء', 'Laayoune-Sakia El Hamra', 'Chambre d''Artisanat de la région Laâyoune-Sakia El Hamra', 'غرفة الصناعة التقليدية لجهة العيون الساقية الحمراء', 'Chamber of Handicraft of the Laayoune-Sakia El Hamra region', 11);
INSERT INTO regions (code, name_fr, name_ar, name_en, chamber_fr, chamber_ar, chamber_en, sort_order) VALUES ('DOD', 'Dakhla-Oued Ed-Dahab', 'الداخلة وادي الذهب', 'Dakhla-Oued Ed-Dahab', 'Chambre d''Artisanat de la région Dakhla-Oued Ed-Dahab', 'غرفة الصناعة التقليدية لجهة الداخلة وادي الذهب', 'Chamber of Handicraft of the Dakhla-Oued Ed-Dahab region', 12);
INSERT INTO crafts (code, name_fr, name_ar, name_en, sort_order) VALUES ('zellige', 'Zellige', 'الزليج', 'Zellige tilework', 1);
INSERT INTO crafts (code, name_fr, name_ar, name_en, sort_order) VALUES ('pottery', 'Poterie et céramique', 'الفخار والخزف', 'Pottery and ceramics', 2);
INSERT INTO crafts (code, name_fr, name_ar, name_en, sort_order) VALUES ('carpets', 'Tapis', 'الزرابي', 'Carpets and rugs', 3);
INSERT INTO crafts (code, name_fr, name_ar, name_en, sort_order) VALUES ('leather', 'Maroquinerie (cuir)', 'الصناعة الجلدية', 'Leatherwork', 4);
INSERT INTO crafts (code, name_fr, name_ar, name_en, sort_order) VALUES ('wood', 'Bois (cèdre et thuya)', 'الخشب (الأرز والعرعار)', 'Woodwork (cedar and thuya)', 5);
INSERT INTO crafts (code, name_fr, name_ar, name_en, sort_order) VALUES ('copper', 'Dinanderie (cuivre et laiton)', 'النحاسيات', 'Copper and brassware', 6);
INSERT INTO crafts (code, name_fr, name_ar, name_en, sort_order) VALUES ('ironwork', 'Ferronnerie d''art', 'الحدادة الفنية', 'Wrought ironwork', 7);
INSERT INTO crafts (code, name_fr, name_ar, name_en, sort_order) VALUES ('jewellery', 'Bijouterie', 'الحلي', 'Jewellery', 8);
INSERT INTO crafts (code, name_fr, name_ar, name_en, sort_order) VALUES ('embroidery', 'Broderie et textile', 'الطرز والنسيج', 'Embroidery and textiles', 9);
INSERT INTO crafts (code, name_fr, name_ar, name_en, sort_order) VALUES ('basketry', 'Vannerie', 'صناعة السلال', 'Basketry', 10);
INSERT INTO crafts (code, name_fr, name_ar, name_en, sort_order) VALUES ('tadelakt', 'Tadelakt', 'تادلاكت', 'Tadelakt plaster', 11);
INSERT INTO crafts (code, name_fr, name_ar, name_en, sort_order) VALUES ('plaster', 'Plâtre sculpté', 'الجبص المنقوش', 'Carved plaster', 12);
INSERT INTO crafts (code, name_fr, name_ar, name_en, sort_order) VALUES ('babouches', 'Babouches', 'البلغة', 'Babouche slippers', 13);
INSERT INTO crafts (code, name_fr, name_ar, name_en, sort_order) VALUES ('clothing', 'Couture traditionnelle (caftan et djellaba)', 'الخياطة التقليدية', 'Traditional clothing (caftan and djellaba)', 14);

-- +goose Down
DELETE FROM crafts;
DELETE FROM regions;
