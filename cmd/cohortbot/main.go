// Command cohortbot runs study cohorts on Discord, Slack or the console.
//
//	cohortbot [run] [--check-config]   start the bot (console mode when no platform is configured)
//	cohortbot migrate [up|down|status]
//	cohortbot curriculum validate [--allow-stubs] [DIR] | show [--day N] [--json]
//	cohortbot cohort list | show ID | export ID [--format json|csv] [--table members|days|checkins]
//	cohortbot healthcheck [--path /healthz]
//	cohortbot slack manifest [--http URL]
//	cohortbot version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	// Cohort time zones must resolve even on images without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signalContext(context.Background(), func(code int) {
		fmt.Fprintln(os.Stderr, "cohortbot: second signal: exiting now")
		os.Exit(code)
	})
	env := environ{get: os.Getenv, now: time.Now}
	err := dispatch(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}, env)
	stop()
	var exit exitError
	switch {
	case errors.As(err, &exit):
		os.Exit(int(exit))
	case err != nil:
		fmt.Fprintln(os.Stderr, "cohortbot:", err)
		os.Exit(1)
	}
}

// signalContext returns a context that the first SIGTERM or SIGINT cancels (a graceful
// shutdown); a second signal calls exit with 128+signal at once. stop stops listening.
func signalContext(parent context.Context, exit func(code int)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	stopped := make(chan struct{})
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-stopped:
			return
		}
		select {
		case s := <-sigs:
			code := 1
			if n, ok := s.(syscall.Signal); ok {
				code = 128 + int(n)
			}
			exit(code)
		case <-stopped:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(stopped)
		cancel()
	}
}

// exitError ends the process with a status after the command has printed its own report.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// environ is what a command takes from its surroundings.
type environ struct {
	get func(string) string
	// now is the clock of everything the command does: cohorts' days, post instants,
	// stored timestamps. main passes time.Now; tests pass a clock set to the instant they
	// mean, so that what they expect does not depend on when the suite runs.
	now func() time.Time
	// platforms, when not nil, replaces the platforms the configuration enables: tests run
	// the real wiring with fake platforms through it.
	platforms []platformBuilder
	// sleep, when not nil, is how the platforms wait between reconnect attempts: tests
	// run a long outage on a simulated clock through it.
	sleep func(context.Context, time.Duration) error
}

func dispatch(ctx context.Context, args []string, io stdio, env environ) error {
	if env.now == nil {
		return errors.New("dispatch: no clock in the environment")
	}
	cmd := "run"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "run":
		return runCmd(ctx, args, io, env)
	case "migrate":
		return migrateCmd(ctx, args, io, env)
	case "curriculum":
		return curriculumCmd(args, io)
	case "cohort":
		return cohortCmd(ctx, args, io, env)
	case "healthcheck":
		return healthcheckCmd(ctx, args, io, env)
	case "slack":
		return slackCmd(args, io)
	case "version":
		fmt.Fprintln(io.out, "cohortbot", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(io.out, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `usage:
  cohortbot [run] [--check-config]                  start the bot (console when no platform is configured)
  cohortbot migrate [up|down|status]                apply database migrations
  cohortbot curriculum validate [--allow-stubs] [DIR]   check a track directory
  cohortbot curriculum show [--day N] [--json]      print the shipped track or one card
  cohortbot cohort list                             list cohorts
  cohortbot cohort show ID                          a cohort's members, streaks and check-ins per day
  cohortbot cohort export ID [--format json|csv] [--table members|days|checkins]
  cohortbot healthcheck [--path /healthz]           GET the running bot's /healthz (Docker HEALTHCHECK)
  cohortbot slack manifest [--http URL]             print the Slack app manifest (Socket Mode, or HTTP at URL)
  cohortbot version
`
