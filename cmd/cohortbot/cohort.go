package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"

	"cohortbot/internal/config"
	"cohortbot/internal/export"
	"cohortbot/internal/logging"
)

const cohortUsage = "cohort: say list, show ID or export ID [--format json|csv] [--table members|days|checkins]"

// cohortCmd gives organizers their data from the command line, through the same core
// service the chat commands use: list cohorts, show one, export one for a spreadsheet or
// a backup.
func cohortCmd(ctx context.Context, args []string, io stdio, env environ) (err error) {
	if len(args) == 0 {
		return fmt.Errorf("%s", cohortUsage)
	}
	sub, args := args[0], args[1:]
	fl := flag.NewFlagSet("cohort "+sub, flag.ContinueOnError)
	fl.SetOutput(io.err)
	format := fl.String("format", "json", "export format: json or csv")
	table := fl.String("table", "members", "CSV table: "+strings.Join(export.Tables, ", "))
	// The cohort id may come before or after the flags.
	var pos []string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = args[:1], args[1:]
	}
	if err := fl.Parse(args); err != nil {
		return err
	}
	pos = append(pos, fl.Args()...)

	var id int64
	switch sub {
	case "list":
		if len(pos) > 0 {
			return fmt.Errorf("cohort list takes no arguments")
		}
	case "show", "export":
		if len(pos) != 1 {
			return fmt.Errorf("cohort %s: say which cohort: cohort %s ID (cohort list shows the ids)", sub, sub)
		}
		if id, err = strconv.ParseInt(pos[0], 10, 64); err != nil || id < 1 {
			return fmt.Errorf("cohort %s: %q is not a cohort id", sub, pos[0])
		}
		if sub == "export" && *format != "json" && *format != "csv" {
			return fmt.Errorf("cohort export: --format must be json or csv, not %q", *format)
		}
	default:
		return fmt.Errorf("%s", cohortUsage)
	}

	cfg, err := config.Load(env.get)
	defer func(r *config.Redactor) { err = r.Error(err) }(cfg.Redactor())
	if err != nil {
		return err
	}
	opts := logOptions(cfg, false, io.err)
	opts.Level = max(cfg.LogLevel, slog.LevelWarn) // keep stdout's data and stderr quiet
	a, err := openApp(ctx, cfg, logging.New(io.err, opts), env.now, true, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if sub == "list" {
		return listCohorts(ctx, a, io)
	}
	r, err := export.Build(ctx, a.svc, a.store, id)
	if err != nil {
		return err
	}
	switch {
	case sub == "show":
		return r.WriteText(io.out)
	case *format == "csv":
		return r.WriteCSV(io.out, *table)
	}
	return r.WriteJSON(io.out)
}

func listCohorts(ctx context.Context, a *app, io stdio) error {
	cohorts, err := a.store.Cohorts(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(io.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tSTART\tTIME\tZONE\tCADENCE\tTODAY\tMEMBERS")
	for i := range cohorts {
		c := &cohorts[i]
		v, err := a.svc.View(c)
		if err != nil {
			return err
		}
		members, err := a.store.Members(ctx, c.ID)
		if err != nil {
			return err
		}
		day := v.DayAt(a.now())
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\tday %d/%d\t%d\n", c.ID, c.Name, c.Start, c.PostAt, c.TZ, c.Cadence, day, v.Track.Len(), len(members))
	}
	return w.Flush()
}
