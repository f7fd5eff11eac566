package export

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Tables are the CSV tables a report can be written as.
var Tables = []string{"members", "days", "checkins"}

// WriteJSON writes the whole report.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteCSV writes one table: members (one row per member with a column per posted day),
// days (check-ins per day) or checkins (one row per check-in).
func (r *Report) WriteCSV(w io.Writer, table string) error {
	cw := csv.NewWriter(w)
	switch table {
	case "members", "":
		head := []string{"member_id", "platform", "user_id", "name", "joined_at", "rank", "completed", "streak", "best_streak"}
		for d := range r.Days {
			head = append(head, "day_"+strconv.Itoa(d+1))
		}
		cw.Write(head)
		for _, m := range r.Members {
			row := []string{itoa64(m.ID), m.Platform, cell(m.UserID), cell(m.Name), m.JoinedAt.Format(time.RFC3339),
				strconv.Itoa(m.Rank), strconv.Itoa(m.Completed), strconv.Itoa(m.Streak), strconv.Itoa(m.Best)}
			cw.Write(append(row, m.Days...))
		}
	case "days":
		cw.Write([]string{"day", "date", "topic", "check_ins", "on_time"})
		for _, d := range r.Days {
			cw.Write([]string{strconv.Itoa(d.Day), d.Date, cell(d.Topic), strconv.Itoa(d.CheckIns), strconv.Itoa(d.OnTime)})
		}
	case "checkins":
		cw.Write([]string{"member_id", "member", "day", "source", "at", "on_time", "note"})
		for _, c := range r.CheckIns {
			cw.Write([]string{itoa64(c.MemberID), cell(c.Member), strconv.Itoa(c.Day), c.Source, c.At.Format(time.RFC3339),
				strconv.FormatBool(c.OnTime), cell(c.Note)})
		}
	default:
		return fmt.Errorf("unknown table %q: use %s", table, strings.Join(Tables, ", "))
	}
	cw.Flush()
	return cw.Error()
}

// WriteText writes the summary `cohortbot cohort show` prints.
func (r *Report) WriteText(w io.Writer) error {
	c := r.Cohort
	fmt.Fprintf(w, "Cohort %d — %s\n", c.ID, c.Name)
	fmt.Fprintf(w, "Track %s (%d days) from %s, posted at %s %s, %s\n", c.Track, c.Length, c.Start, c.PostTime, c.Timezone, c.Cadence)
	fmt.Fprintf(w, "Today %s: day %d of %d\n", c.Today, c.CurrentDay, c.Length)
	if len(c.Pauses) > 0 || len(c.Skips) > 0 {
		fmt.Fprintf(w, "Pauses: %s · skipped: %s\n", orNone(c.Pauses), orNone(c.Skips))
	}
	fmt.Fprintf(w, "Channels: %s\n", orNone(c.Channels))
	fmt.Fprintf(w, "Members: %d · check-ins: %d\n\n", len(r.Members), len(r.CheckIns))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RANK\tMEMBER\tPLATFORM\tDONE\tSTREAK\tBEST\tJOINED")
	for _, m := range r.Members {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%d\t%s\n", m.Rank, m.Name, m.Platform, m.Completed, m.Streak, m.Best, m.JoinedAt.Format("2006-01-02"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(tw, "DAY\tDATE\tCHECK-INS\tON TIME\tTOPIC")
	for _, d := range r.Days {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\n", d.Day, d.Date, d.CheckIns, d.OnTime, d.Topic)
	}
	return tw.Flush()
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// cell keeps spreadsheet programs from running a member-typed value as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
