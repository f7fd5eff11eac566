// Command cohortload measures cohortbot end to end on this machine: the real `cohortbot
// run` binary as a child process, a throwaway PostgreSQL with fsync on (or a server you
// name), and the fake platforms on 127.0.0.1 — load generator included.
//
//	go run ./cmd/cohortload checkins [flags]   /done through the Discord gateway (DATABASE_URL: your server)
//	go run ./cmd/cohortload delivery [flags]   cards at platform speed, Discord and Slack (-database: your server)
//
// Run it from the repository's root: it builds ./cmd/cohortbot. See docs/performance.md
// for what each run measures and the figures it gave.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return // -h: the flags' usage is printed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cohortload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "checkins":
		return checkins(ctx, args[1:])
	case "delivery":
		return delivery(ctx, args[1:])
	}
	return fmt.Errorf("unknown load %q\n%s", args[0], usage)
}

const usage = `usage:
  cohortload checkins [-rates 500,1000,1500,2000] [-seconds 20] [-members 100000] [-history 59]
  cohortload delivery [-platform both|discord|slack] [-n 1000] [-setups 1000] [-setup-rate 50] [-slack-n 100]
                      [-database URL] [-bin cohortbot] [-keep]`

// flagSet is a subcommand's flags, errors returned rather than exiting.
func flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	return fs
}
