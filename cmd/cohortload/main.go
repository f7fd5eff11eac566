// Command cohortload measures cohortbot end to end on this machine: the real `cohortbot
// run` binary, a throwaway PostgreSQL with fsync on (or DATABASE_URL), and the fake
// platforms on 127.0.0.1 — load generator included.
//
//	go run ./cmd/cohortload checkins [flags]   /done through the Discord gateway
//
// See docs/performance.md for what each run measures and the figures it gave.
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
	if err := run(ctx, os.Args[1:]); err != nil {
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
	}
	return fmt.Errorf("unknown load %q\n%s", args[0], usage)
}

const usage = `usage:
  cohortload checkins [-rates 500,1000,1500,2000] [-seconds 20] [-members 100000]`

// flagSet is a subcommand's flags, errors returned rather than exiting.
func flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	return fs
}
