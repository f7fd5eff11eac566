package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"cohortbot/adapters/console"
	"cohortbot/internal/config"
	"cohortbot/internal/logging"
	"cohortbot/internal/metrics"
	"cohortbot/internal/opshttp"
	"cohortbot/internal/schedule"
	"cohortbot/internal/store"
	"cohortbot/internal/study"
)

// platformBuilder makes one platform's connection from the app, or nil when the
// configuration does not enable it.
type platformBuilder func(*app) (platform, error)

func runCmd(ctx context.Context, args []string, io stdio, env environ) (err error) {
	fl := flag.NewFlagSet("run", flag.ContinueOnError)
	fl.SetOutput(io.err)
	checkOnly := fl.Bool("check-config", false, "validate the configuration, report every problem and exit")
	if err := fl.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(env.get)
	// Whatever goes wrong from here on, the error printed never holds a secret.
	defer func(r *config.Redactor) { err = r.Error(err) }(cfg.Redactor())
	if err != nil {
		return err
	}
	if *checkOnly {
		fmt.Fprintln(io.out, "configuration ok")
		for _, l := range cfg.Summary() {
			fmt.Fprintln(io.out, "  "+l)
		}
		return nil
	}
	builders := env.platforms
	consoleMode := builders == nil && len(cfg.Platforms()) == 0
	if builders == nil {
		builders = []platformBuilder{discordPlatform, slackPlatform}
	}
	log := logging.New(io.err, logOptions(cfg, consoleMode, io.err))
	now := env.now
	var sim *schedule.SimClock
	if consoleMode {
		sim = schedule.NewSimClock(env.now)
		now = sim.Now
	}
	var m *metrics.Metrics
	if !consoleMode || cfg.HTTPAddrSet {
		m = metrics.New(version, log)
	}
	a, err := openApp(ctx, cfg, log, now, true, m)
	if err != nil {
		return err
	}
	a.sleep = env.sleep
	defer func() {
		if cerr := a.Close(); cerr != nil {
			log.Error("close the database", "err", cerr)
		}
		log.Info("stopped")
	}()
	if consoleMode {
		return runConsole(ctx, a, sim, io, env)
	}
	return runPlatforms(ctx, a, builders)
}

// runConsole serves the terminal: the console is both the command line and the channel
// that scheduled posts go to. A simulated clock (/clock) lets a newcomer watch a week of
// posts in seconds; the scheduler follows it. The HTTP listener runs only when
// COHORTBOT_HTTP_ADDR is set.
func runConsole(ctx context.Context, a *app, sim *schedule.SimClock, io stdio, env environ) error {
	name := env.get("USER")
	if name == "" {
		name = "you"
	}
	printer := console.NewPrinter(io.out, a.now)
	if a.cfg.HTTPAddrSet {
		probes := a.instrument()
		a.metrics.Platform(console.Channel.Platform)
		srv, _, err := a.serveHTTP(probes)
		if err != nil {
			return err
		}
		defer func() { shutdownHTTP(a, srv, time.Now().Add(a.cfg.ShutdownTimeout)) }()
	}
	sched, err := newScheduler(a, study.Posters{console.Channel.Platform: printer})
	if err != nil {
		return err
	}
	con := console.New(console.Config{
		Core: a.handler, Printer: printer, Log: a.log, User: name, Prompt: isTerminal(io.in),
		Clock: func(ctx context.Context, d time.Duration, reset bool) (time.Time, error) {
			return sched.Advance(ctx, sim, d, reset)
		},
		AfterLine: sched.RunOnce,
	})
	// Real time still passes in a long console session: tick like the platforms do.
	ctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sched.Run(ctx) }()
	err = con.Run(ctx, io.in)
	stop()
	<-done
	return err
}

// runPlatforms connects every configured platform, serves the HTTP listener and runs the
// scheduler until ctx ends (SIGTERM/SIGINT), then shuts down gracefully within
// COHORTBOT_SHUTDOWN_TIMEOUT: readiness turns 503, the scheduler stops ticking and
// finishes in-flight deliveries, the HTTP server finishes its requests, the platforms
// close; the caller closes the database.
func runPlatforms(ctx context.Context, a *app, builders []platformBuilder) error {
	var platforms []platform
	for _, build := range builders {
		p, err := build(a)
		if err != nil {
			return err
		}
		if p != nil {
			platforms = append(platforms, p)
		}
	}
	if len(platforms) == 0 {
		return fmt.Errorf("no platform to run: %v is configured but this build has no adapter for it", a.cfg.Platforms())
	}
	probes := a.instrument()
	posters := study.Posters{}
	started := make([]atomic.Bool, len(platforms))
	for i, p := range platforms {
		a.metrics.Platform(p.Name())
		if r, ok := p.(interface{ Reconnects() uint64 }); ok {
			a.metrics.WatchReconnects(p.Name(), r.Reconnects)
		}
		probes.Add(platformCheck(p, &started[i]))
		posters[p.Name()] = tracedPoster{platform: p.Name(), next: p.Poster(), log: a.log}
	}
	sched, err := newScheduler(a, posters)
	if err != nil {
		return err
	}
	srv, srvErr, err := a.serveHTTP(probes)
	if err != nil {
		return err
	}
	sd := &shutdown{a: a, probes: probes, srv: srv}
	for i, p := range platforms {
		if err := p.Start(ctx); err != nil {
			sd.run()
			return fmt.Errorf("start %s: %w", p.Name(), err)
		}
		started[i].Store(true)
		sd.platforms = append(sd.platforms, p)
		a.log.Info("platform connected", "platform", p.Name())
	}

	schedCtx, stopSched := context.WithCancel(ctx)
	schedDone := make(chan error, 1)
	go func() { schedDone <- sched.Run(schedCtx) }()
	sd.stopSched, sd.schedDone = stopSched, schedDone

	var runErr error
	select {
	case <-ctx.Done():
		a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout.String())
	case err := <-schedDone:
		sd.schedDone = nil
		if err != nil {
			runErr = fmt.Errorf("scheduler stopped: %w", err)
		}
	case err := <-srvErr:
		runErr = fmt.Errorf("http listener: %w", err)
	}
	sd.run()
	return runErr
}

// shutdown stops what runPlatforms started, in order, all within one deadline.
type shutdown struct {
	a         *app
	probes    *opshttp.Probes
	srv       *http.Server
	platforms []platform // started ones
	stopSched context.CancelFunc
	schedDone <-chan error
}

func (s *shutdown) run() {
	a := s.a
	deadline := time.Now().Add(a.cfg.ShutdownTimeout)
	s.probes.Drain()
	if s.stopSched != nil {
		s.stopSched()
	}
	if s.schedDone != nil {
		select {
		case <-s.schedDone:
			a.log.Info("scheduler stopped; in-flight deliveries finished")
		case <-time.After(time.Until(deadline)):
			a.log.Warn("shutdown timeout: deliveries still in flight; their leases expire and they are retried by another process or the next start")
		}
	}
	shutdownHTTP(a, s.srv, deadline)
	for i := len(s.platforms) - 1; i >= 0; i-- {
		p := s.platforms[i]
		done := make(chan error, 1)
		go func() { done <- p.Close() }()
		select {
		case err := <-done:
			if err != nil {
				a.log.Warn("close platform", "platform", p.Name(), "err", err)
			}
		case <-time.After(max(time.Until(deadline), 0)):
			a.log.Warn("shutdown timeout: platform did not close in time", "platform", p.Name())
		}
	}
}

// serveHTTP listens on COHORTBOT_HTTP_ADDR and serves a.mux with the operations
// endpoints mounted. It logs the bound address ("http listening", addr=…), which is how a
// port of 0 becomes known. Serve's error, if it stops on its own, arrives on the channel.
func (a *app) serveHTTP(probes *opshttp.Probes) (*http.Server, <-chan error, error) {
	probes.Mount(a.mux, a.metrics.Handler())
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("http listener %s: %w", a.cfg.HTTPAddr, err)
	}
	a.log.Info("http listening", "addr", ln.Addr().String())
	srv := &http.Server{Handler: a.mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	return srv, errc, nil
}

// shutdownHTTP lets in-flight requests finish until the deadline, then closes.
func shutdownHTTP(a *app, srv *http.Server, deadline time.Time) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		a.log.Warn("http shutdown", "err", err)
		srv.Close()
	}
}

// storeChecks are the readiness checks of the database: it answers, and every migration
// this build knows is applied (once seen applied, that is remembered).
func storeChecks(st *store.Store) []opshttp.Check {
	var migrated atomic.Bool
	return []opshttp.Check{
		{Name: "database", Probe: func(ctx context.Context) error {
			if err := st.Ping(ctx); err != nil {
				return fmt.Errorf("%w: %w", opshttp.Reason("unreachable"), err)
			}
			return nil
		}},
		{Name: "migrations", Probe: func(ctx context.Context) error {
			if migrated.Load() {
				return nil
			}
			pending, err := st.Pending(ctx)
			switch {
			case err != nil:
				return fmt.Errorf("%w: %w", opshttp.Reason("unknown"), err)
			case pending:
				return opshttp.Reason("pending: run cohortbot migrate up")
			}
			migrated.Store(true)
			return nil
		}},
	}
}

// platformCheck is ready once the platform has started and, if it can tell, is connected
// (an optional Ready() error method).
func platformCheck(p platform, started *atomic.Bool) opshttp.Check {
	return opshttp.Check{Name: p.Name(), Probe: func(context.Context) error {
		if !started.Load() {
			return opshttp.Reason("connecting")
		}
		if r, ok := p.(interface{ Ready() error }); ok {
			if err := r.Ready(); err != nil {
				return fmt.Errorf("%w: %w", opshttp.Reason("not connected"), err)
			}
		}
		return nil
	}}
}

// instrument counts the outbox for /metrics and makes the readiness checks over the
// store; the platforms add theirs.
func (a *app) instrument() *opshttp.Probes {
	a.metrics.WatchOutbox(a.store.OutboxDepth)
	return opshttp.New(a.log, storeChecks(a.store)...)
}

func newScheduler(a *app, posters study.Posters) (*schedule.Scheduler, error) {
	cfg := schedule.Config{Outbox: a.store, Core: a.svc, Poster: posters, Now: a.now, Log: a.log, ShutdownTimeout: a.cfg.ShutdownTimeout}
	if a.metrics != nil {
		cfg.Observer = a.metrics
	}
	return schedule.New(cfg)
}
