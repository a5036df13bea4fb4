// Command souk runs the Souk Expo portal: `souk serve` (the default) serves the web pages,
// `souk migrate` applies the database migrations, `souk seed` adds the demo data and
// `souk admin create-organizer` opens an organizer account.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/soukexpo/souk/handlers"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/payments"
	"github.com/soukexpo/souk/storage"
	"gorm.io/gorm"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "souk:", err)
		os.Exit(1)
	}
}

const usage = `usage: souk [command] [flags]

commands:
  serve                       run the portal (default)
  migrate                     apply the database migrations and exit
  seed                        add the demo accounts, fairs and catalog with photos
                              (idempotent); --products N adds N load-test products
  admin create-organizer      open an organizer account (--email, --name; password from
                              SOUK_ADMIN_PASSWORD or standard input, never a flag)

Run "souk COMMAND -h" for the flags; every flag has an environment variable too.
`

// run parses the command line and runs one subcommand; everything it needs comes in as
// arguments so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd, rest := "serve", args[1:]
	if len(rest) > 0 && (!strings.HasPrefix(rest[0], "-") || rest[0] == "-h" || rest[0] == "--help") {
		cmd, rest = rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, rest, getenv, stdout, stderr)
	case "seed":
		return seed(ctx, rest, getenv, stdout, stderr)
	case "admin":
		if len(rest) == 0 || rest[0] != "create-organizer" {
			return errors.New(`admin: the only command is "create-organizer" (see "souk help")`)
		}
		return createOrganizer(ctx, rest[1:], getenv, stdin, stdout, stderr)
	case "help", "-h", "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	default:
		return fmt.Errorf(`unknown command %q (see "souk help")`, cmd)
	}
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel)) // validated in Config.validate
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openDatabase opens and migrates the database (migrations run under a lock on PostgreSQL so
// instances starting together do not race).
func openDatabase(ctx context.Context, cfg Config, log *slog.Logger) (*gorm.DB, error) {
	db, err := models.Open(ctx, models.DBConfig{
		URL: cfg.DatabaseURL, SQLitePath: cfg.sqlitePath(), MaxOpenConns: cfg.DBMaxConns, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	n, err := models.Migrate(ctx, db, nil)
	if err != nil {
		_ = models.Close(db)
		return nil, err
	}
	if n > 0 {
		log.Info("migrations applied", slog.Int("count", n))
	}
	return db, nil
}

func openStore(ctx context.Context, cfg Config) (storage.Store, error) {
	return storage.New(ctx, storage.Config{
		Dir: cfg.objectsDir(), Endpoint: cfg.S3Endpoint, AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey,
		Bucket: cfg.S3Bucket, Region: cfg.S3Region, UseSSL: cfg.S3UseSSL,
	})
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	// --- Configuration and logging
	cfg, err := loadConfig("serve", args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	log.Info("starting souk", slog.Any("config", cfg))

	// --- Database
	db, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := models.Close(db); err != nil {
			log.Warn("close database", slog.Any("error", err))
		}
	}()

	// --- Object store
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Warn("close object store", slog.Any("error", err))
		}
	}()

	// --- Payments: Stripe Checkout with a key, else pay at the stand
	stripeCfg := cfg.Stripe
	stripeCfg.Logger = log
	gateway, err := payments.New(stripeCfg)
	if err != nil {
		return err
	}
	log.Info("payments", slog.String("gateway", gateway.Name()))

	// --- Web
	h, err := handlers.New(handlers.Deps{DB: db, Store: store, Logger: log, Gateway: gateway, Config: handlers.Config{
		BaseURL: cfg.BaseURL, TrustedProxies: cfg.trustedProxies(), BodyLimit: cfg.BodyLimitMB << 20,
		SMTPURL: cfg.SMTPURL,
	}})
	if err != nil {
		return err
	}
	app := h.App()

	// --- Background work
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	go h.RunJanitor(bgCtx, 10*time.Minute)
	// Payment reconciliation runs once across instances: River on PostgreSQL, a ticker on SQLite.
	jobs, err := models.NewJobs(ctx, db, cfg.DatabaseURL, h.PeriodicTasks(), log)
	if err != nil {
		return err
	}
	if err := jobs.Start(bgCtx); err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		if err := jobs.Stop(stopCtx); err != nil {
			log.Warn("stop jobs", slog.Any("error", err))
		}
	}()

	// --- Serve until a signal, then drain
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	serverErr := make(chan error, 1)
	go func() { serverErr <- app.Listener(ln) }()
	fmt.Fprintf(stdout, "Souk Expo is running at %s (press Ctrl+C to stop)\n", cfg.BaseURL)
	log.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("store", store.Kind()),
		slog.String("database", models.Dialect(db)))

	select {
	case err := <-serverErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", slog.Duration("grace", cfg.ShutdownTimeout))
	h.SetReady(false)
	stopBackground()
	if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig("migrate", args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	db, err := models.Open(ctx, models.DBConfig{URL: cfg.DatabaseURL, SQLitePath: cfg.sqlitePath(), MaxOpenConns: 2, Logger: log})
	if err != nil {
		return err
	}
	defer func() { _ = models.Close(db) }()
	n, err := models.Migrate(ctx, db, log)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%d migration(s) applied; schema up to date (%s)\n", n, models.Dialect(db))
	return err
}

func seed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var products, photoWidth int
	cfg, err := loadConfig("seed", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.IntVar(&products, "products", intEnv(getenv, "SOUK_SEED_PRODUCTS", 0), "also add N generated products for load tests; every run adds N more (SOUK_SEED_PRODUCTS)")
		fs.IntVar(&photoWidth, "photo-width", intEnv(getenv, "SOUK_SEED_PHOTO_WIDTH", defaultSeedPhotoWidth), "width in pixels of the generated demo photos; smaller is faster (SOUK_SEED_PHOTO_WIDTH)")
	})
	if err != nil {
		return err
	}
	if err := checkSeedFlags(getenv, products, photoWidth); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	db, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() { _ = models.Close(db) }()
	// The object store is opened before anything is written, so an unreachable MinIO stops the
	// seed at once.
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()

	password := getenv("SOUK_DEMO_PASSWORD")
	report, err := models.Seed(ctx, db, models.SeedOptions{DemoPassword: password})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(stdout, "Demo data: %d account(s), %d artisan profile(s), %d fair(s) added.\n", report.Users, report.Artisans, report.Fairs)
	cat, err := seedDemoCatalog(ctx, db, store, photoWidth, log)
	if err != nil {
		return fmt.Errorf("seed demo catalog: %w", err)
	}
	fmt.Fprintf(stdout, "Demo catalog: %d product(s) with %d photo(s) added in %s (object store: %s).\n",
		cat.Products, cat.Photos, cat.Elapsed.Round(10*time.Millisecond), store.Kind())
	fairReport, err := models.SeedDemoFair(ctx, db)
	if err != nil {
		return fmt.Errorf("seed demo fair: %w", err)
	}
	fmt.Fprintf(stdout, "Demo fair: %d stand(s), %d application(s) added.\n", fairReport.Stands, fairReport.Applications)
	demoOrders, err := models.SeedDemoOrders(ctx, db)
	if err != nil {
		return fmt.Errorf("seed demo orders: %w", err)
	}
	fmt.Fprintf(stdout, "Demo orders: %d added.\n", demoOrders)
	if products > 0 {
		load, err := models.SeedLoadProducts(ctx, db, products)
		if err != nil {
			return fmt.Errorf("seed load products: %w", err)
		}
		fmt.Fprintf(stdout, "Load data: %d product(s) added in %s (%.0f rows/s).\n",
			load.Products, load.Elapsed.Round(10*time.Millisecond), load.RowsPerSecond())
	}
	if password == "" {
		password = models.DefaultDemoPassword + " (default; set SOUK_DEMO_PASSWORD to change it)"
	}
	fmt.Fprintf(stdout, "Demo accounts:\n  %s\nPassword: %s\n", strings.Join(models.DemoAccountEmails(), "\n  "), password)
	return nil
}

// checkSeedFlags refuses seed variables that do not parse (they would silently become the
// default) and values out of range.
func checkSeedFlags(getenv func(string) string, products, photoWidth int) error {
	for _, env := range []string{"SOUK_SEED_PRODUCTS", "SOUK_SEED_PHOTO_WIDTH"} {
		if raw := getenv(env); raw != "" {
			if _, err := strconv.Atoi(raw); err != nil {
				return fmt.Errorf("invalid configuration:\n  - %s %q is not a whole number", env, raw)
			}
		}
	}
	if products < 0 || products > 1_000_000 {
		return fmt.Errorf("--products %d: must be between 0 and 1000000", products)
	}
	return checkPhotoWidth(photoWidth)
}

func createOrganizer(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	var email, name string
	cfg, err := loadConfig("admin create-organizer", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the organizer's e-mail (required)")
		fs.StringVar(&name, "name", "", "the organizer's name (default: the e-mail's local part)")
	})
	if err != nil {
		return err
	}
	if email == "" {
		return errors.New("admin create-organizer: --email is required")
	}
	if name == "" {
		name = strings.Split(email, "@")[0]
	}
	password := getenv("SOUK_ADMIN_PASSWORD")
	if password == "" {
		fmt.Fprint(stderr, "Password for the new organizer (read from standard input): ")
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	log := newLogger(cfg, stderr)
	db, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() { _ = models.Close(db) }()
	u, err := models.CreateUser(ctx, db, models.NewUser{Email: email, Name: name, Password: password, Role: models.RoleOrganizer})
	if err != nil {
		var ve *models.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("create organizer: %s", ve.Error())
		}
		return fmt.Errorf("create organizer: %w", err)
	}
	if err := models.RecordAudit(ctx, db, 0, "organizer.create", "user", u.ID, nil, map[string]any{"email": u.Email, "via": "command line"}); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "Organizer %s created (id %d).\n", u.Email, u.ID)
	return err
}
