package models_test

import (
	"context"
	"database/sql"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3/lock"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// schemaModels lists every GORM model (every struct stored in a table) of package models.
//
// NEW MODELS MUST BE ADDED HERE: the schema test below then proves that the versioned
// migrations of both dialects create the model's table with every column it maps.
// TestSchemaModelsListIsComplete fails when a struct that looks like a table is missing.
var schemaModels = []any{
	&models.User{},
	&models.Region{},
	&models.Craft{},
	&models.Fair{},
	&models.Artisan{},
	&models.KVEntry{},
	&models.AuditEntry{},
	&models.Product{},
	&models.Photo{},
	&models.Favourite{},
	&models.Hall{},
	&models.Stand{},
	&models.Application{},
	&models.ApplicationProduct{},
	&models.FairRegionQuota{},
	&models.AllocationProposal{},
	&models.OutboxEmail{},
	&models.Cart{},
	&models.CartItem{},
	&models.ShippingRate{},
	&models.Order{},
	&models.OrderPart{},
	&models.OrderLine{},
	&models.StripeEvent{},
	&models.Refund{},
	&models.StandSale{},
}

// dbOnlyColumns are columns no model maps on purpose, each with its reason.
var dbOnlyColumns = map[string]string{
	"products.search_tsv": "generated tsvector (PostgreSQL), used only inside SQL",
}

// notTables names structs of package models that look like tables (an ID field or a
// primaryKey tag) but are not stored; add one here only with a reason.
var notTables = map[string]string{
	"AllocStand":         "input of the in-memory allocation proposal, read from stands",
	"AllocApplication":   "input of the in-memory allocation proposal, read from applications",
	"FairApplicationRow": "a row of the organizers' application list, joined from applications and artisans",
	"pagedRow":           "one row of a search page with the size of the whole result, scanned from the search query",
}

func parseModel(t *testing.T, db *gorm.DB, model any) *schema.Schema {
	t.Helper()
	s, err := schema.Parse(model, &sync.Map{}, db.NamingStrategy)
	if err != nil {
		t.Fatalf("parse model %T: %v", model, err)
	}
	return s
}

// TestSchemaModelsListIsComplete reads the package's source and fails when a struct with an ID
// field or a gorm primaryKey tag is neither in schemaModels nor in notTables, so a new model
// cannot escape the migration test by being forgotten.
func TestSchemaModelsListIsComplete(t *testing.T) {
	listed := map[string]bool{}
	for _, m := range schemaModels {
		listed[reflect.TypeOf(m).Elem().Name()] = true
	}
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return true
			}
			for _, field := range st.Fields.List {
				isID := len(field.Names) == 1 && field.Names[0].Name == "ID"
				isPK := field.Tag != nil && strings.Contains(field.Tag.Value, "primaryKey")
				if isID || isPK {
					found = append(found, ts.Name.Name)
					return true
				}
			}
			return true
		})
	}
	if len(found) < len(schemaModels) {
		t.Fatalf("found only %d table-like structs (%v) but %d are listed: is the heuristic broken?", len(found), found, len(schemaModels))
	}
	for _, name := range found {
		if !listed[name] && notTables[name] == "" {
			t.Errorf("struct %s looks like a table (ID field or primaryKey tag) but is not in schemaModels: add it there (or to notTables with a reason)", name)
		}
	}
}

// typeFamily reduces a column's database type to what a Go field of DataType dt needs.
func typeFamilyMatches(dt schema.DataType, dbType string) bool {
	t := strings.ToLower(dbType)
	switch dt {
	case schema.Int, schema.Uint:
		return strings.Contains(t, "int") || strings.Contains(t, "serial")
	case schema.String:
		return strings.Contains(t, "text") || strings.Contains(t, "char")
	case schema.Time:
		return strings.Contains(t, "time") || strings.Contains(t, "date")
	case schema.Bool:
		return strings.Contains(t, "bool")
	case schema.Bytes:
		return strings.Contains(t, "bytea") || strings.Contains(t, "blob")
	case schema.Float:
		return strings.Contains(t, "float") || strings.Contains(t, "double") || strings.Contains(t, "real") || strings.Contains(t, "numeric")
	}
	return false
}

// TestMigratedSchemaMatchesModels proves, on both dialects, that the migrations create every
// table and column the GORM models read and write, with compatible types and nullability,
// and no column the models do not know.
func TestMigratedSchemaMatchesModels(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		mig := db.Migrator()
		for _, model := range schemaModels {
			s := parseModel(t, db, model)
			t.Run(s.Name, func(t *testing.T) {
				if !mig.HasTable(s.Table) {
					t.Fatalf("table %q of model %s does not exist after migrating", s.Table, s.Name)
				}
				cols, err := mig.ColumnTypes(model)
				if err != nil {
					t.Fatalf("column types of %s: %v", s.Table, err)
				}
				byName := map[string]gorm.ColumnType{}
				for _, c := range cols {
					byName[c.Name()] = c
				}
				if len(s.DBNames) == 0 {
					t.Fatalf("model %s maps no column", s.Name)
				}
				for _, name := range s.DBNames {
					field := s.FieldsByDBName[name]
					if !mig.HasColumn(model, name) {
						t.Errorf("%s.%s (field %s) missing: HasColumn is false", s.Table, name, field.Name)
					}
					col, ok := byName[name]
					if !ok {
						t.Errorf("%s.%s (field %s) missing from the migrated table's columns", s.Table, name, field.Name)
						continue
					}
					if !typeFamilyMatches(field.DataType, col.DatabaseTypeName()) {
						t.Errorf("%s.%s: column type %q does not hold Go field %s (%s)", s.Table, name, col.DatabaseTypeName(), field.Name, field.FieldType)
					}
					if field.PrimaryKey {
						continue
					}
					nullable, ok := col.Nullable()
					if !ok {
						continue
					}
					isPtr := field.FieldType.Kind() == reflect.Pointer
					switch {
					case nullable && !isPtr:
						t.Errorf("%s.%s is nullable but field %s (%s) cannot hold NULL: reading such a row fails", s.Table, name, field.Name, field.FieldType)
					case !nullable && isPtr:
						t.Errorf("%s.%s is NOT NULL but field %s (%s) may be nil: inserting it fails", s.Table, name, field.Name, field.FieldType)
					}
				}
				for _, c := range cols {
					if _, ok := s.FieldsByDBName[c.Name()]; !ok && dbOnlyColumns[s.Table+"."+c.Name()] == "" {
						t.Errorf("%s.%s exists in the database but no field of %s maps it", s.Table, c.Name(), s.Name)
					}
				}
			})
		}
	})
}

// migrationCount counts the embedded migration files of one dialect (the test runs in the
// package folder, where migrations/ lives).
func migrationCount(t *testing.T, dialect string) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("migrations", dialect))
	if err != nil {
		t.Fatalf("read migrations: %v", err)
	}
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			n++
		}
	}
	if n == 0 {
		t.Fatalf("no migrations for %s", dialect)
	}
	return n
}

func upToDate(t *testing.T, db *gorm.DB) bool {
	t.Helper()
	ok, err := models.SchemaUpToDate(context.Background(), db)
	if err != nil {
		t.Fatalf("SchemaUpToDate: %v", err)
	}
	return ok
}

// TestMigrateDownAndUpAgain runs every migration down and up again on a migrated database.
func TestMigrateDownAndUpAgain(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		want := migrationCount(t, models.Dialect(db))
		if !upToDate(t, db) {
			t.Fatal("SchemaUpToDate is false on a freshly migrated database")
		}

		if err := models.MigrateDownAll(ctx, db); err != nil {
			t.Fatalf("MigrateDownAll: %v", err)
		}
		if upToDate(t, db) {
			t.Error("SchemaUpToDate is true after MigrateDownAll")
		}
		for _, m := range schemaModels {
			if table := parseModel(t, db, m).Table; db.Migrator().HasTable(table) {
				t.Errorf("table %s still exists after MigrateDownAll", table)
			}
		}

		ran, err := models.Migrate(ctx, db, nil)
		if err != nil {
			t.Fatalf("migrate up again: %v", err)
		}
		if ran != want {
			t.Errorf("migrate up again ran %d migrations, want %d", ran, want)
		}
		if !upToDate(t, db) {
			t.Error("SchemaUpToDate is false after migrating up again")
		}
		regions, err := models.ListRegions(ctx, db)
		if err != nil || len(regions) != 12 {
			t.Errorf("after down and up: %d regions (err %v), want 12", len(regions), err)
		}

		ran, err = models.Migrate(ctx, db, nil)
		if err != nil || ran != 0 {
			t.Errorf("migrating an up-to-date database ran %d migrations (err %v), want 0", ran, err)
		}
	})
}

// TestReferenceData checks the 12 regions (with their chambers) and 14 crafts the forms and
// the catalogue filters offer, in the three languages.
func TestReferenceData(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		regions, err := models.ListRegions(ctx, db)
		if err != nil {
			t.Fatalf("ListRegions: %v", err)
		}
		if len(regions) != 12 {
			t.Fatalf("got %d regions, want 12", len(regions))
		}
		codes := map[string]bool{}
		for i, r := range regions {
			codes[r.Code] = true
			texts := map[string]string{
				"name_fr": r.NameFR, "name_ar": r.NameAR, "name_en": r.NameEN,
				"chamber_fr": r.ChamberFR, "chamber_ar": r.ChamberAR, "chamber_en": r.ChamberEN,
			}
			for col, v := range texts {
				if strings.TrimSpace(v) == "" {
					t.Errorf("region %s has an empty %s", r.Code, col)
				}
			}
			if r.Name("ar") == r.Name("fr") {
				t.Errorf("region %s: Arabic name %q equals the French one", r.Code, r.Name("ar"))
			}
			if r.SortOrder != i+1 {
				t.Errorf("region %s at position %d has sort_order %d", r.Code, i+1, r.SortOrder)
			}
		}
		if len(codes) != 12 {
			t.Errorf("region codes are not unique: %v", codes)
		}

		crafts, err := models.ListCrafts(ctx, db)
		if err != nil {
			t.Fatalf("ListCrafts: %v", err)
		}
		if len(crafts) != 14 {
			t.Errorf("got %d crafts, want 14", len(crafts))
		}
		craftCodes := map[string]bool{}
		for _, c := range crafts {
			craftCodes[c.Code] = true
			if c.NameFR == "" || c.NameAR == "" || c.NameEN == "" {
				t.Errorf("craft %s has an empty name: %+v", c.Code, c)
			}
		}

		for _, tc := range []struct {
			set  map[string]bool
			code string
		}{
			{codes, "FM"}, {codes, "MS"}, {codes, "TTA"}, {codes, "SM"}, {codes, "BMK"},
			{craftCodes, "zellige"}, {craftCodes, "tadelakt"}, {craftCodes, "embroidery"},
			{craftCodes, "jewellery"}, {craftCodes, "carpets"}, {craftCodes, "leather"},
		} {
			if !tc.set[tc.code] {
				t.Errorf("reference code %q missing (the demo data and forms use it)", tc.code)
			}
		}

		fm, err := models.GetRegion(ctx, db, "FM")
		if err != nil || fm.NameFR != "Fès-Meknès" {
			t.Errorf("GetRegion(FM) = %+v, %v", fm, err)
		}
		if _, err := models.GetRegion(ctx, db, "XX"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("GetRegion(XX) error = %v, want ErrNotFound", err)
		}
	})
}

// TestConstraintsHold proves on both dialects that the database itself refuses rows the
// rules forbid, even when the Go validation is bypassed.
func TestConstraintsHold(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		base := models.User{Email: "case@example.com", Name: "Case", PasswordHash: "x", Role: models.RoleVisitor, Locale: "fr"}
		if err := db.WithContext(ctx).Create(&base).Error; err != nil {
			t.Fatalf("insert base user: %v", err)
		}
		fm, xx := "FM", "XX"
		start := time.Date(2027, 5, 10, 0, 0, 0, 0, time.UTC)
		cases := []struct {
			name string
			row  any
			dup  bool // must be reported as a duplicate key
		}{
			{"role outside the four", &models.User{Email: "a@example.com", Name: "A", PasswordHash: "x", Role: "admin", Locale: "fr"}, false},
			{"chamber agent without region", &models.User{Email: "b@example.com", Name: "B", PasswordHash: "x", Role: models.RoleChamber, Locale: "fr"}, false},
			{"unknown region", &models.User{Email: "c@example.com", Name: "C", PasswordHash: "x", Role: models.RoleChamber, RegionCode: &xx, Locale: "fr"}, false},
			{"same e-mail in another case", &models.User{Email: "CASE@Example.com", Name: "D", PasswordHash: "x", Role: models.RoleVisitor, Locale: "fr"}, true},
			{"fair ending before it starts", &models.Fair{Slug: "backwards", Name: "B", City: "Paris", Country: "FR", StartsOn: start, EndsOn: start.AddDate(0, 0, -1), Timezone: "Europe/Paris", Status: models.FairDraft}, false},
			{"fair country not two letters", &models.Fair{Slug: "country", Name: "C", City: "Paris", Country: "FRA", StartsOn: start, EndsOn: start, Timezone: "Europe/Paris", Status: models.FairDraft}, false},
			{"fair status unknown", &models.Fair{Slug: "status", Name: "S", City: "Paris", Country: "FR", StartsOn: start, EndsOn: start, Timezone: "Europe/Paris", Status: "cancelled-ish"}, false},
			{"artisan status unknown", &models.Artisan{UserID: base.ID, Slug: "s", BusinessName: "B", Kind: "individual", RegionCode: fm, CraftCode: "zellige", Status: "approved"}, false},
			{"artisan kind unknown", &models.Artisan{UserID: base.ID, Slug: "k", BusinessName: "B", Kind: "guild", RegionCode: fm, CraftCode: "zellige", Status: models.ArtisanDraft}, false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				err := db.WithContext(ctx).Create(tc.row).Error
				if err == nil {
					t.Fatalf("the database accepted %+v", tc.row)
				}
				if tc.dup && !errors.Is(err, gorm.ErrDuplicatedKey) {
					t.Errorf("error %v is not gorm.ErrDuplicatedKey (TranslateError)", err)
				}
			})
		}
		var n int64
		if err := db.WithContext(ctx).Model(&models.User{}).Count(&n).Error; err != nil || n != 1 {
			t.Errorf("users after refused inserts = %d (err %v), want 1", n, err)
		}
	})
}

// TestPostgresConstraintsExist checks the catalog: the rules the code relies on are real
// constraints and indexes of the PostgreSQL schema.
func TestPostgresConstraintsExist(t *testing.T) {
	db := dbtest.Postgres(t)
	ctx := context.Background()

	checks := func(table string) map[string]string {
		t.Helper()
		var rows []struct{ Conname, Def string }
		err := db.WithContext(ctx).Raw(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
			WHERE conrelid = ?::regclass AND contype = 'c'`, table).Scan(&rows).Error
		if err != nil {
			t.Fatalf("read constraints of %s: %v", table, err)
		}
		out := map[string]string{}
		for _, r := range rows {
			out[r.Conname] = r.Def
		}
		return out
	}

	t.Run("users role check lists every Go role", func(t *testing.T) {
		var def string
		for _, d := range checks("users") {
			if strings.Contains(d, "role = ANY") || strings.Contains(d, "role IN") {
				def = d
			}
		}
		if def == "" {
			t.Fatalf("no CHECK on users.role among %v", checks("users"))
		}
		for _, r := range models.Roles {
			if !strings.Contains(def, "'"+string(r)+"'") {
				t.Errorf("users role CHECK %q does not admit role %q", def, r)
			}
		}
	})
	t.Run("users chamber agents need a region", func(t *testing.T) {
		def, ok := checks("users")["users_chamber_region"]
		if !ok || !strings.Contains(def, "region_code IS NOT NULL") {
			t.Errorf("users_chamber_region = %q, %v", def, ok)
		}
	})
	t.Run("fairs end on or after they start", func(t *testing.T) {
		def, ok := checks("fairs")["fairs_dates"]
		if !ok || !strings.Contains(def, "ends_on >= starts_on") {
			t.Errorf("fairs_dates = %q, %v (all: %v)", def, ok, checks("fairs"))
		}
	})
	t.Run("users e-mail unique whatever the case", func(t *testing.T) {
		var defs []string
		if err := db.WithContext(ctx).Raw(`SELECT indexdef FROM pg_indexes
			WHERE schemaname = current_schema() AND tablename = 'users'`).Scan(&defs).Error; err != nil {
			t.Fatal(err)
		}
		found := slices.ContainsFunc(defs, func(d string) bool {
			return strings.HasPrefix(d, "CREATE UNIQUE INDEX") && strings.Contains(d, "lower(email)")
		})
		if !found {
			t.Errorf("no unique index on lower(email) among %v", defs)
		}
	})
	t.Run("slugs and one profile per user are unique", func(t *testing.T) {
		var got []string
		if err := db.WithContext(ctx).Raw(`SELECT conrelid::regclass::text || ':' || pg_get_constraintdef(oid)
			FROM pg_constraint WHERE contype = 'u' AND connamespace = current_schema()::regnamespace`).Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		sort.Strings(got)
		for _, want := range []string{"artisans:UNIQUE (slug)", "artisans:UNIQUE (user_id)", "fairs:UNIQUE (slug)"} {
			if !slices.Contains(got, want) {
				t.Errorf("unique constraint %q missing; have %v", want, got)
			}
		}
	})
}

// TestPostgresSessionSettings proves every pooled session carries the timeouts (F2): several
// connections are held at once so the check does not see one session only.
func TestPostgresSessionSettings(t *testing.T) {
	url := dbtest.PostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := models.Open(ctx, models.DBConfig{URL: url, Logger: dbtest.Logger(), StatementTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer func() { _ = models.Close(db) }()
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	if got := sqlDB.Stats().MaxOpenConnections; got <= 0 || got > 10 {
		t.Errorf("default pool bound = %d, want 1..10 (0 means unbounded)", got)
	}

	const sessions = 3
	for i := range sessions {
		conn, err := sqlDB.Conn(ctx)
		if err != nil {
			t.Fatalf("conn %d: %v", i, err)
		}
		defer func() { _ = conn.Close() }()
		for _, tc := range []struct{ setting, want string }{
			{"statement_timeout", "300ms"},
			{"lock_timeout", ""},
			{"idle_in_transaction_session_timeout", ""},
		} {
			var v string
			if err := conn.QueryRowContext(ctx, "SHOW "+tc.setting).Scan(&v); err != nil {
				t.Fatalf("SHOW %s: %v", tc.setting, err)
			}
			if v == "0" || v == "" {
				t.Errorf("session %d: %s = %q, want a limit", i, tc.setting, v)
			}
			if tc.want != "" && v != tc.want {
				t.Errorf("session %d: %s = %q, want %q (from DBConfig.StatementTimeout)", i, tc.setting, v, tc.want)
			}
		}
	}

	err = db.WithContext(ctx).Exec("SELECT pg_sleep(3)").Error
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Errorf("a 3 s statement under a 300 ms statement_timeout gave %v, want SQLSTATE 57014", err)
	}
}

// TestPostgresConcurrentMigrate starts two "instances" on one empty database at once: the
// session locker makes one wait for the other and both succeed, with each migration run once.
// The second case holds goose's advisory lock from a third session until both instances have
// tried and failed to take it, so the two really contend instead of merely starting together.
func TestPostgresConcurrentMigrate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		holdLock bool
	}{
		{"start together", false},
		{"start while the lock is held", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := dbtest.PostgresURL(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()

			const instances = 2
			dbs := make([]*gorm.DB, instances+1)
			for i := range dbs {
				db, err := models.Open(ctx, models.DBConfig{URL: url, Logger: dbtest.Logger()})
				if err != nil {
					t.Fatalf("open instance %d: %v", i, err)
				}
				t.Cleanup(func() { _ = models.Close(db) })
				dbs[i] = db
			}
			holder := dbs[instances]
			dbs = dbs[:instances]

			var lockConn *sql.Conn
			if tc.holdLock {
				sqlDB, err := holder.DB()
				if err != nil {
					t.Fatal(err)
				}
				lockConn, err = sqlDB.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = lockConn.Close() }()
				var locked bool
				if err := lockConn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", lock.DefaultLockID).Scan(&locked); err != nil || !locked {
					t.Fatalf("take the migration lock: %v, %v", locked, err)
				}
			}

			ran := make([]int, instances)
			errs := make([]error, instances)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, db := range dbs {
				wg.Go(func() {
					<-start
					ran[i], errs[i] = models.Migrate(ctx, db, nil)
				})
			}
			finished := make(chan struct{})
			go func() { wg.Wait(); close(finished) }()
			close(start)

			if tc.holdLock {
				// Wait until both instances have tried the lock, then let them go.
				for {
					var n int64
					err := holder.WithContext(ctx).Raw(`SELECT count(*) FROM pg_stat_activity
						WHERE datname = current_database() AND pid <> pg_backend_pid()
						AND query LIKE '%pg_try_advisory_lock%' AND query NOT LIKE '%pg_stat_activity%'`).Scan(&n).Error
					if err != nil {
						t.Fatalf("watch the instances: %v", err)
					}
					if n >= instances+1 { // both instances, plus the holder's own last query
						break
					}
					select {
					case <-finished:
						t.Fatalf("the instances migrated (ran %v, errors %v) while another session held the migration lock", ran, errs)
					case <-ctx.Done():
						t.Fatal("the instances never tried the migration lock")
					case <-time.After(20 * time.Millisecond):
					}
				}
				var unlocked bool
				if err := lockConn.QueryRowContext(ctx, "SELECT pg_advisory_unlock($1)", lock.DefaultLockID).Scan(&unlocked); err != nil || !unlocked {
					t.Fatalf("release the migration lock: %v, %v", unlocked, err)
				}
			}
			<-finished

			total := 0
			for i := range dbs {
				if errs[i] != nil {
					t.Errorf("instance %d: Migrate: %v", i, errs[i])
				}
				total += ran[i]
			}
			if want := migrationCount(t, models.DialectPostgres); total != want {
				t.Errorf("the two instances ran %v migrations, %d in all, want %d (each exactly once)", ran, total, want)
			}
			for i, db := range dbs {
				if !upToDate(t, db) {
					t.Errorf("instance %d: schema not up to date", i)
				}
			}
			regions, err := models.ListRegions(ctx, dbs[0])
			if err != nil || len(regions) != 12 {
				t.Errorf("%d regions (err %v), want 12: reference data applied once", len(regions), err)
			}
		})
	}
}
