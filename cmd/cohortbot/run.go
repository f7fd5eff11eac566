package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"cohortbot/adapters/console"
	"cohortbot/internal/config"
	"cohortbot/internal/schedule"
	"cohortbot/internal/study"
)

func runCmd(ctx context.Context, args []string, io stdio, env environ) error {
	fl := flag.NewFlagSet("run", flag.ContinueOnError)
	fl.SetOutput(io.err)
	checkOnly := fl.Bool("check-config", false, "validate the configuration and exit")
	if err := fl.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(env.get)
	if err != nil {
		return err
	}
	if *checkOnly {
		fmt.Fprintln(io.out, "configuration ok")
		return nil
	}
	consoleMode := !cfg.Discord.Enabled() && !cfg.Slack.Enabled()
	log := newLogger(io.err, cfg.LogLevel, consoleMode)
	now := time.Now
	var sim *schedule.SimClock
	if consoleMode {
		sim = schedule.NewSimClock(time.Now)
		now = sim.Now
	}
	a, err := openApp(ctx, cfg, log, now, true)
	if err != nil {
		return err
	}
	defer a.Close()
	if consoleMode {
		return runConsole(ctx, a, sim, io, env)
	}
	return runPlatforms(ctx, a)
}

// runConsole serves the terminal: the console is both the command line and the channel
// that scheduled posts go to. A simulated clock (/clock) lets a newcomer watch a week of
// posts in seconds; the scheduler follows it.
func runConsole(ctx context.Context, a *app, sim *schedule.SimClock, io stdio, env environ) error {
	name := env.get("USER")
	if name == "" {
		name = "you"
	}
	con := console.New(a.svc, io.out, a.log, name, isTerminal(io.in))
	sched := newScheduler(a, study.Posters{console.Channel.Platform: con})
	con.OnClock = func(ctx context.Context, d time.Duration, reset bool) (time.Time, error) {
		return sched.Advance(ctx, sim, d, reset)
	}
	con.AfterLine = func(ctx context.Context) { sched.RunOnce(ctx) }
	// Real time still passes in a long console session: tick like the platforms do.
	ctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sched.Run(ctx) }()
	err := con.Run(ctx, io.in)
	stop()
	<-done
	return err
}

// runPlatforms connects every configured platform and runs the scheduler until ctx ends.
func runPlatforms(ctx context.Context, a *app) error {
	var platforms []platform
	for _, build := range []func(*app) (platform, error){discordPlatform, slackPlatform} {
		p, err := build(a)
		if err != nil {
			return err
		}
		if p != nil {
			platforms = append(platforms, p)
		}
	}
	posters := study.Posters{}
	for _, p := range platforms {
		if err := p.Start(ctx); err != nil {
			return fmt.Errorf("start %s: %w", p.Name(), err)
		}
		defer p.Close()
		posters[p.Name()] = p.Poster()
		a.log.Info("platform connected", "platform", p.Name())
	}

	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http listener %s: %w", a.cfg.HTTPAddr, err)
	}
	a.log.Info("http listening", "addr", ln.Addr().String())
	srv := &http.Server{Handler: a.mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("http server", "err", err)
		}
	}()

	sched := newScheduler(a, posters)
	err = sched.Run(ctx) // returns when ctx ends, after in-flight deliveries finish
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(shutdownCtx)
	return err
}

func newScheduler(a *app, posters study.Posters) *schedule.Scheduler {
	sched := schedule.New(schedule.Config{Outbox: a.store, Service: a.svc, Poster: posters, Now: a.now, Log: a.log})
	a.svc.Publisher = sched
	a.svc.CheckCron = schedule.CheckCron
	a.svc.StatusExtras = sched.StatusLines
	return sched
}
