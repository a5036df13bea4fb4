package models

// Background jobs that must run once across instances (payment reconciliation, expiring
// checkout holds). On PostgreSQL they are River periodic jobs: River elects one leader among
// the instances to insert them, each insert is unique per period, and a job is worked by
// exactly one instance. On SQLite (one instance by construction) an in-process ticker runs
// them behind the same small interface.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"gorm.io/gorm"
)

// PeriodicTask is work to run every Every, once across instances.
type PeriodicTask struct {
	// Name identifies the task (letters, digits, '_'); it is the job's argument.
	Name  string
	Every time.Duration
	Run   func(ctx context.Context) error
}

// Jobs runs periodic tasks until stopped.
type Jobs interface {
	// Start begins running the tasks; each also runs once soon after start.
	Start(ctx context.Context) error
	// RunNow asks for one run of the named task now; asks made together by several
	// instances within one period give one run.
	RunNow(ctx context.Context, name string) error
	// Stop waits for running tasks to finish (or ctx to end) and releases resources.
	Stop(ctx context.Context) error
}

// riverSchema keeps River's own tables apart from the portal's schema.
const riverSchema = "river"

// NewJobs returns River jobs on PostgreSQL (databaseURL is the same DATABASE_URL, used for
// River's own pgx pool, and River's migrations are applied here under a lock) or the
// in-process runner on SQLite.
func NewJobs(ctx context.Context, db *gorm.DB, databaseURL string, tasks []PeriodicTask, log *slog.Logger) (Jobs, error) {
	if log == nil {
		log = slog.Default()
	}
	for _, t := range tasks {
		if t.Name == "" || t.Every <= 0 || t.Run == nil {
			return nil, fmt.Errorf("new jobs: task %q needs a name, a period and a function", t.Name)
		}
	}
	if Dialect(db) != DialectPostgres {
		return &tickerJobs{tasks: tasks, log: log, now: make(chan string, len(tasks)+1)}, nil
	}
	return newRiverJobs(ctx, databaseURL, tasks, log)
}

// ---- PostgreSQL: River ----

type periodicArgs struct {
	Task string `json:"task" river:"unique"`
}

func (periodicArgs) Kind() string { return "souk_periodic" }

type periodicWorker struct {
	river.WorkerDefaults[periodicArgs]
	tasks map[string]PeriodicTask
	log   *slog.Logger
}

func (w *periodicWorker) Work(ctx context.Context, job *river.Job[periodicArgs]) error {
	t, ok := w.tasks[job.Args.Task]
	if !ok {
		return river.JobCancel(fmt.Errorf("unknown periodic task %q", job.Args.Task))
	}
	if err := t.Run(ctx); err != nil {
		w.log.Warn("periodic task failed", slog.String("task", t.Name), slog.Any("error", err))
		// The next period runs it again; no retries that would pile up meanwhile.
		return river.JobCancel(err)
	}
	return nil
}

func (w *periodicWorker) Timeout(*river.Job[periodicArgs]) time.Duration { return 5 * time.Minute }

type riverJobs struct {
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx]
	tasks  map[string]PeriodicTask
}

func insertOpts(t PeriodicTask) *river.InsertOpts {
	return &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: t.Every}, MaxAttempts: 1}
}

func newRiverJobs(ctx context.Context, databaseURL string, tasks []PeriodicTask, log *slog.Logger) (*riverJobs, error) {
	if databaseURL == "" {
		return nil, errors.New("new jobs: the PostgreSQL URL is required")
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("new jobs: parse database url: %w", err)
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("new jobs: connect: %w", errors.Join(ErrUnavailable, err))
	}
	if err := migrateRiver(ctx, pool, log); err != nil {
		pool.Close()
		return nil, err
	}
	workers := river.NewWorkers()
	byName := map[string]PeriodicTask{}
	var periodic []*river.PeriodicJob
	for _, t := range tasks {
		byName[t.Name] = t
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(t.Every),
			func() (river.JobArgs, *river.InsertOpts) { return periodicArgs{Task: t.Name}, insertOpts(t) },
			&river.PeriodicJobOpts{ID: t.Name, RunOnStart: true}))
	}
	if err := river.AddWorkerSafely(workers, &periodicWorker{tasks: byName, log: log}); err != nil {
		pool.Close()
		return nil, fmt.Errorf("new jobs: %w", err)
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:      workers,
		PeriodicJobs: periodic,
		Logger:       log,
		Schema:       riverSchema,
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("new jobs: river client: %w", err)
	}
	return &riverJobs{pool: pool, client: client, tasks: byName}, nil
}

// riverMigrationLock serialises River's migrations between instances starting together.
const riverMigrationLock = 0x736f756b726976 // "soukriv"

func migrateRiver(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate river: %w", errors.Join(ErrUnavailable, err))
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(riverMigrationLock)); err != nil {
		return fmt.Errorf("migrate river: lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(riverMigrationLock))
	}()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+riverSchema); err != nil {
		return fmt.Errorf("migrate river: create schema: %w", err)
	}
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: log, Schema: riverSchema})
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	if len(res.Versions) > 0 {
		log.Info("river migrations applied", slog.Int("count", len(res.Versions)))
	}
	return nil
}

func (j *riverJobs) Start(ctx context.Context) error {
	if err := j.client.Start(ctx); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	return nil
}

func (j *riverJobs) RunNow(ctx context.Context, name string) error {
	t, ok := j.tasks[name]
	if !ok {
		return fmt.Errorf("run task %q: %w", name, ErrNotFound)
	}
	if _, err := j.client.Insert(ctx, periodicArgs{Task: name}, insertOpts(t)); err != nil {
		return fmt.Errorf("run task %q: %w", name, err)
	}
	return nil
}

func (j *riverJobs) Stop(ctx context.Context) error {
	defer j.pool.Close()
	if err := j.client.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("stop jobs: %w", err)
	}
	return nil
}

// ---- SQLite: in-process ticker ----

type tickerJobs struct {
	tasks  []PeriodicTask
	log    *slog.Logger
	now    chan string
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex // one task at a time, as River's single queue would on one instance
}

func (j *tickerJobs) Start(ctx context.Context) error {
	ctx, j.cancel = context.WithCancel(ctx)
	for _, t := range j.tasks {
		j.wg.Add(1)
		go func() {
			defer j.wg.Done()
			tick := time.NewTicker(t.Every)
			defer tick.Stop()
			j.run(ctx, t)
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					j.run(ctx, t)
				}
			}
		}()
	}
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case name := <-j.now:
				for _, t := range j.tasks {
					if t.Name == name {
						j.run(ctx, t)
					}
				}
			}
		}
	}()
	return nil
}

func (j *tickerJobs) run(ctx context.Context, t PeriodicTask) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	if err := t.Run(ctx); err != nil {
		j.log.Warn("periodic task failed", slog.String("task", t.Name), slog.Any("error", err))
	}
}

func (j *tickerJobs) RunNow(_ context.Context, name string) error {
	for _, t := range j.tasks {
		if t.Name == name {
			select {
			case j.now <- name:
			default: // a run is already asked for
			}
			return nil
		}
	}
	return fmt.Errorf("run task %q: %w", name, ErrNotFound)
}

func (j *tickerJobs) Stop(ctx context.Context) error {
	if j.cancel != nil {
		j.cancel()
	}
	done := make(chan struct{})
	go func() { j.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop jobs: %w", ctx.Err())
	}
}
