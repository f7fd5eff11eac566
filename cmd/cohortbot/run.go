package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"cohortbot/adapters/console"
	"cohortbot/internal/config"
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
	log := newLogger(io.err, cfg.LogLevel, true)
	a, err := openApp(ctx, cfg, log, time.Now, true)
	if err != nil {
		return err
	}
	defer a.Close()
	name := env.get("USER")
	if name == "" {
		name = "you"
	}
	return console.New(a.svc, io.out, log, name, isTerminal(io.in)).Run(ctx, io.in)
}
