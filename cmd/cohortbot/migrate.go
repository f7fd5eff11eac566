package main

import (
	"context"
	"fmt"
	"time"

	"cohortbot/internal/config"
)

func migrateCmd(ctx context.Context, args []string, io stdio, env environ) error {
	cfg, err := config.Load(env.get)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, newLogger(io.err, cfg.LogLevel, true), time.Now, false)
	if err != nil {
		return err
	}
	defer a.Close()
	dir := "up"
	if len(args) > 0 {
		dir = args[0]
	}
	switch dir {
	case "up":
		if err := a.store.Migrate(ctx); err != nil {
			return err
		}
	case "down":
		if err := a.store.MigrateDown(ctx); err != nil {
			return err
		}
	case "status":
	default:
		return fmt.Errorf("migrate: say up, down or status, not %q", dir)
	}
	lines, err := a.store.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, l := range lines {
		fmt.Fprintln(io.out, l)
	}
	return nil
}
