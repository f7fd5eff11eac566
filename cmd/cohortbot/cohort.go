package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"cohortbot/internal/config"
)

func cohortCmd(ctx context.Context, args []string, io stdio, env environ) error {
	if len(args) == 0 || args[0] != "list" {
		return fmt.Errorf("cohort: say list")
	}
	cfg, err := config.Load(env.get)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, newLogger(io.err, cfg.LogLevel, true), time.Now, true)
	if err != nil {
		return err
	}
	defer a.Close()
	cohorts, err := a.store.Cohorts(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(io.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tSTART\tTIME\tZONE\tCADENCE\tTODAY")
	for i := range cohorts {
		c := &cohorts[i]
		v, err := a.svc.View(c)
		if err != nil {
			return err
		}
		day := v.Calendar.CurrentDay(v.Calendar.Today(a.now()))
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\tday %d/%d\n", c.ID, c.Name, c.Start, c.PostAt, c.TZ, c.Cadence, day, v.Track.Len())
	}
	return w.Flush()
}
