package main

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"cohortbot/internal/export"
)

// TestCohortListShowExport: organizers get members, streaks and check-ins per day from
// the command line, as JSON for backups and CSV for spreadsheets.
func TestCohortListShowExport(t *testing.T) {
	t.Parallel()
	env := map[string]string{"COHORTBOT_DATA_DIR": t.TempDir()}
	seedCohorts(t, env, 2, true)

	out, err := mustRun(t, env, "", "cohort", "list")
	if err != nil || !strings.Contains(out, "Crew 0") || !strings.Contains(out, "Crew 1") || !strings.Contains(out, "day 1/93") {
		t.Errorf("list: %v\n%s", err, out)
	}

	out, err = mustRun(t, env, "", "cohort", "show", "1")
	for _, want := range []string{"Cohort 1 — Crew 0", "day 1 of 93", "Channels: fake/w1/c0", "Members: 2 · check-ins: 2", "=Bob", "Eve"} {
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("show lacks %q: %v\n%s", want, err, out)
		}
	}

	out, err = mustRun(t, env, "", "cohort", "export", "1")
	var r export.Report
	if err != nil || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("export json: %v\n%s", err, out)
	}
	if r.Cohort.Name != "Crew 0" || len(r.Members) != 2 || r.Members[0].Rank != 1 || r.Members[0].Streak != 1 ||
		len(r.Days) != 1 || r.Days[0].CheckIns != 2 || len(r.CheckIns) != 2 || r.CheckIns[0].Note != "read the docs" {
		t.Errorf("export json: %+v", r)
	}
	if strings.Contains(out, "link") {
		t.Errorf("the export shows the cohort's link code:\n%s", out)
	}

	out, err = mustRun(t, env, "", "cohort", "export", "1", "--format", "csv")
	rows, cerr := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || cerr != nil || len(rows) != 3 || strings.Join(rows[0], ",") != "member_id,platform,user_id,name,joined_at,rank,completed,streak,best_streak,day_1" {
		t.Fatalf("csv members: %v %v\n%s", err, cerr, out)
	}
	names := rows[1][3] + "," + rows[2][3]
	if !strings.Contains(names, "'=Bob") || rows[1][9] != "on time" {
		t.Errorf("csv members (formula escaped, day column): %q", rows)
	}
	out, err = mustRun(t, env, "", "cohort", "export", "--format=csv", "--table", "days", "1")
	if err != nil || !strings.HasPrefix(out, "day,date,topic,check_ins,on_time\n1,") || !strings.Contains(out, ",2,2\n") {
		t.Errorf("csv days: %v\n%s", err, out)
	}
	out, err = mustRun(t, env, "", "cohort", "export", "1", "--format", "csv", "--table", "checkins")
	if err != nil || strings.Count(out, "\n") != 3 || !strings.Contains(out, ",command,") {
		t.Errorf("csv checkins: %v\n%s", err, out)
	}

	for _, bad := range [][]string{{"cohort"}, {"cohort", "show"}, {"cohort", "show", "x"}, {"cohort", "show", "99"},
		{"cohort", "export", "1", "--format", "xml"}, {"cohort", "export", "1", "--format", "csv", "--table", "nope"}, {"cohort", "drop"}} {
		if _, err := mustRun(t, env, "", bad...); err == nil {
			t.Errorf("%v succeeded", bad)
		}
	}
}
