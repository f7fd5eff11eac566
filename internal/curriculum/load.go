// Package curriculum reads tracks (track.yaml plus phases/*.yaml) into study.Track and
// checks them, reporting every problem with its file and line.
package curriculum

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"cohortbot/content"
	"cohortbot/internal/study"
)

// Problem is one thing wrong with a track, located for the author.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// ProblemsError carries every problem found, so a caller can print them all at once.
type ProblemsError []Problem

func (e ProblemsError) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%d problem(s) in the track:\n%s", len(e), strings.Join(lines, "\n"))
}

// Options tune validation.
type Options struct {
	// AllowStubs accepts days that have only a topic (drafts of a track).
	AllowStubs bool
}

// Source is a loaded track: the core's view and the authored documents behind it.
type Source struct {
	Track *study.Track
	doc   trackFile
}

// JSON is the stable, machine-readable form of the track.
func (s *Source) JSON() ([]byte, error) { return json.MarshalIndent(s.doc, "", "  ") }

// DayJSON is one card in the same shape as in JSON.
func (s *Source) DayJSON(n int) ([]byte, error) {
	for _, p := range s.doc.Phases {
		for _, d := range p.Days {
			if d.Number == n {
				return json.MarshalIndent(struct {
					Phase int `json:"phase"`
					dayFile
				}{p.Phase, d}, "", "  ")
			}
		}
	}
	return nil, fmt.Errorf("no day %d in track %s", n, s.doc.ID)
}

// Load reads and validates the track in fsys (track.yaml at its root). Any problem fails
// the load: a bot must not post from a broken track.
func Load(fsys fs.FS, opts Options) (*Source, error) {
	src, problems := load(fsys, opts)
	if len(problems) > 0 {
		return nil, ProblemsError(problems)
	}
	return src, nil
}

// Validate returns every problem in the track in fsys.
func Validate(fsys fs.FS, opts Options) []Problem {
	_, problems := load(fsys, opts)
	return problems
}

// located is a parsed file with the line of every path in it ("days[2].questions[0].q").
type located struct {
	file  string
	lines map[string]int
}

func (l located) at(path string) int {
	for path != "" {
		if n, ok := l.lines[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 1
}

func load(fsys fs.FS, opts Options) (*Source, []Problem) {
	var problems []Problem
	var doc trackFile
	trackLoc, ok := decodeFile(fsys, "track.yaml", &doc, &problems)
	names, err := fs.Glob(fsys, "phases/*.yaml")
	if err != nil {
		problems = append(problems, Problem{File: "phases", Msg: err.Error()})
	}
	sort.Strings(names)
	if len(names) == 0 {
		problems = append(problems, Problem{File: "phases/", Msg: "no phase files (phases/NN-name.yaml)"})
	}
	var locs []located
	for _, name := range names {
		var p phaseFile
		loc, ok := decodeFile(fsys, name, &p, &problems)
		if !ok {
			continue
		}
		doc.Phases = append(doc.Phases, p)
		locs = append(locs, loc)
	}
	v := validator{opts: opts, problems: problems}
	if ok {
		v.track(doc, trackLoc)
	}
	v.phases(doc.Phases, locs)
	if len(v.problems) > 0 {
		return nil, v.problems
	}
	t := convert(doc)
	// The posted-card length depends on the renderer, so it is checked on the converted track.
	for i, p := range doc.Phases {
		for j, d := range p.Days {
			if c, _, _ := t.Card(d.Number); !c.Stub() {
				if n := len([]rune(study.PlainText(study.CardMessage(t, d.Number)))); n > MaxPostedCard {
					v.add(locs[i], fmt.Sprintf("days[%d]", j), "day %d: the posted card is %d characters; the limit is %d (shorten hook, study or task)", d.Number, n, MaxPostedCard)
				}
			}
		}
	}
	if len(v.problems) > 0 {
		return nil, v.problems
	}
	return &Source{Track: t, doc: doc}, nil
}

var lineRe = regexp.MustCompile(`line (\d+)`)

// decodeFile parses one YAML file strictly (unknown fields are errors) and records the line
// of each path for later messages.
func decodeFile(fsys fs.FS, name string, into any, problems *[]Problem) (located, bool) {
	loc := located{file: name, lines: map[string]int{}}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		*problems = append(*problems, Problem{File: name, Msg: oneLine("cannot read: " + err.Error())})
		return loc, false
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(into); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, e := range te.Errors {
				*problems = append(*problems, yamlProblem(name, e))
			}
		} else {
			*problems = append(*problems, yamlProblem(name, err.Error()))
		}
		return loc, false
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil {
		walkLines(&root, "", loc.lines)
	}
	return loc, true
}

func yamlProblem(file, msg string) Problem {
	p := Problem{File: file, Msg: strings.TrimPrefix(msg, "yaml: ")}
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(p.Msg, m[0]), ":"))
	}
	p.Msg = oneLine(p.Msg)
	return p
}

// oneLine keeps a problem on its one line: messages quote the author's keys and values as
// written, line breaks included, so control characters and line separators are escaped.
func oneLine(s string) string {
	escape := func(r rune) bool { return (unicode.IsControl(r) && r != '\t') || r == '\u2028' || r == '\u2029' }
	if !strings.ContainsFunc(s, escape) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if escape(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func walkLines(n *yaml.Node, prefix string, lines map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walkLines(c, prefix, lines)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if prefix != "" {
				p = prefix + "." + p
			}
			lines[p] = n.Content[i].Line
			walkLines(n.Content[i+1], p, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", prefix, i)
			lines[p] = c.Line
			walkLines(c, p, lines)
		}
	}
}

func convert(doc trackFile) *study.Track {
	t := &study.Track{ID: doc.ID, Title: doc.Title, FinalTitle: doc.FinalTitle, CoversIntro: doc.CoversIntro, Covers: doc.Covers}
	for _, p := range doc.Phases {
		sp := study.Phase{Number: p.Phase, Title: p.Title, Subtitle: p.Subtitle, Goal: p.Goal, Outcome: p.Outcome, SeniorLabel: p.SeniorLabel}
		for _, s := range p.Senior {
			sp.Senior = append(sp.Senior, study.SeniorItem{Item: s.Item, Day: s.Day})
		}
		for _, d := range p.Days {
			c := study.Card{
				Phase: p.Phase, Day: d.Day, Number: d.Number, Topic: d.Topic, Slug: d.Slug,
				Objectives: d.Objectives, Hook: clean(d.Hook), Study: clean(d.Study),
				Task: study.Task{Minutes: d.Task.Minutes, Do: clean(d.Task.Do), Deliverable: clean(d.Task.Deliverable), Check: clean(d.Task.Check)},
			}
			for _, q := range d.Questions {
				c.Questions = append(c.Questions, study.Question{Q: clean(q.Q), Answer: clean(q.Answer), Points: q.Points, Senior: q.Senior})
			}
			for _, s := range d.Predict {
				c.Predict = append(c.Predict, study.Snippet{Module: s.Module, Code: s.Code, Outputs: s.outputs(), Why: clean(s.Why)})
			}
			for _, s := range d.Script {
				c.Script = append(c.Script, study.ScriptStep{Ask: clean(s.Ask), FollowUps: s.FollowUps, Strong: clean(s.Strong)})
			}
			for _, s := range d.Debug {
				c.Debug = append(c.Debug, study.DebugSnippet{Module: s.Module, Code: s.Code, Symptom: clean(s.Symptom), Fix: clean(s.Fix)})
			}
			for _, r := range d.References {
				c.References = append(c.References, study.Reference{Title: r.Title, URL: r.URL})
			}
			sp.Days = append(sp.Days, c)
		}
		t.Phases = append(t.Phases, sp)
	}
	return t
}

func (s snippetFile) outputs() []string {
	if s.Output != "" {
		return []string{s.Output}
	}
	return s.Outputs
}

func clean(s string) string { return strings.TrimSpace(s) }

// LoadDefault loads the track shipped in the binary.
func LoadDefault() (*Source, error) {
	fsys, err := content.Track(content.DefaultTrack)
	if err != nil {
		return nil, fmt.Errorf("open track %s: %w", content.DefaultTrack, err)
	}
	src, err := Load(fsys, Options{})
	if err != nil {
		return nil, fmt.Errorf("load track %s: %w", content.DefaultTrack, err)
	}
	return src, nil
}
