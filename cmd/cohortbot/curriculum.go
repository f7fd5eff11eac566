package main

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"cohortbot/content"
	"cohortbot/internal/curriculum"
	"cohortbot/internal/study"
)

func curriculumCmd(args []string, io stdio) error {
	if len(args) == 0 {
		return fmt.Errorf("curriculum: say validate or show")
	}
	switch args[0] {
	case "validate":
		return curriculumValidate(args[1:], io)
	case "show":
		return curriculumShow(args[1:], io)
	}
	return fmt.Errorf("curriculum: unknown subcommand %q (validate, show)", args[0])
}

func curriculumValidate(args []string, io stdio) error {
	fl := flag.NewFlagSet("curriculum validate", flag.ContinueOnError)
	fl.SetOutput(io.err)
	stubs := fl.Bool("allow-stubs", false, "accept days that have only a topic")
	if err := fl.Parse(args); err != nil {
		return err
	}
	fsys, name, err := trackFS(fl.Arg(0))
	if err != nil {
		return err
	}
	problems := curriculum.Validate(fsys, curriculum.Options{AllowStubs: *stubs})
	for _, p := range problems {
		fmt.Fprintf(io.out, "%s: %s\n", name, p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(io.out, "%d problem(s)\n", len(problems))
		return exitError(1)
	}
	src, _ := curriculum.Load(fsys, curriculum.Options{AllowStubs: *stubs})
	fmt.Fprintf(io.out, "%s: ok: %d phases, %d days\n", name, len(src.Track.Phases), src.Track.Len())
	return nil
}

// trackFS opens a track directory, or the shipped default track when dir is empty.
func trackFS(dir string) (fs.FS, string, error) {
	if dir == "" {
		f, err := content.Track(content.DefaultTrack)
		return f, "content/tracks/" + content.DefaultTrack, err
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, "", fmt.Errorf("curriculum: %s is not a track directory", dir)
	}
	return os.DirFS(dir), strings.TrimSuffix(dir, "/"), nil
}

func curriculumShow(args []string, io stdio) error {
	fl := flag.NewFlagSet("curriculum show", flag.ContinueOnError)
	fl.SetOutput(io.err)
	day := fl.Int("day", 0, "print one card")
	asJSON := fl.Bool("json", false, "machine-readable output")
	dir := fl.String("track", "", "a track directory instead of the shipped track")
	if err := fl.Parse(args); err != nil {
		return err
	}
	fsys, _, err := trackFS(*dir)
	if err != nil {
		return err
	}
	src, err := curriculum.Load(fsys, curriculum.Options{})
	if err != nil {
		return err
	}
	t := src.Track
	if *day != 0 && (*day < 1 || *day > t.Len()) {
		return fmt.Errorf("curriculum show: day must be between 1 and %d", t.Len())
	}
	switch {
	case *asJSON && *day != 0:
		b, err := src.DayJSON(*day)
		if err != nil {
			return err
		}
		fmt.Fprintln(io.out, string(b))
	case *asJSON:
		b, err := src.JSON()
		if err != nil {
			return err
		}
		fmt.Fprintln(io.out, string(b))
	case *day != 0:
		fmt.Fprint(io.out, study.PlainText(study.CardMessage(t, *day)))
		for _, m := range study.CardThreadMessages(t, *day) {
			fmt.Fprintln(io.out, "\n───")
			fmt.Fprint(io.out, study.PlainText(m))
		}
	default:
		fmt.Fprintf(io.out, "%s (%d phases, %d days)\n", t.Title, len(t.Phases), t.Len())
		for _, p := range t.Phases {
			fmt.Fprintf(io.out, "\nPhase %d — %s %s\n", p.Number, p.Title, p.Subtitle)
			for _, d := range p.Days {
				fmt.Fprintf(io.out, "  %2d. Day %d → %s\n", d.Number, d.Day, d.Topic)
			}
			fmt.Fprintf(io.out, "  🎯 %s\n", p.Outcome)
		}
	}
	return nil
}
