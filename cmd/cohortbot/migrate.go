package main

import (
	"context"
	"fmt"

	"cohortbot/internal/config"
	"cohortbot/internal/logging"
)

// migrateCmd applies (up), rolls back (down) or lists (status) the schema migrations. On
// PostgreSQL an advisory lock lets one process migrate at a time, so the migration job and
// starting replicas may run together.
func migrateCmd(ctx context.Context, args []string, io stdio, env environ) (err error) {
	cfg, err := config.Load(env.get)
	defer func(r *config.Redactor) { err = r.Error(err) }(cfg.Redactor())
	if err != nil {
		return err
	}
	dir := "up"
	if len(args) > 0 {
		dir = args[0]
	}
	if dir != "up" && dir != "down" && dir != "status" {
		return fmt.Errorf("migrate: say up, down or status, not %q", dir)
	}
	a, err := openApp(ctx, cfg, logging.New(io.err, logOptions(cfg, false, io.err)), env.now, false, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	switch dir {
	case "up":
		if err := a.store.Migrate(ctx); err != nil {
			return err
		}
	case "down":
		if err := a.store.MigrateDown(ctx); err != nil {
			return err
		}
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
