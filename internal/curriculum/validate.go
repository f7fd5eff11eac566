package curriculum

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// Limits of a card, from content/AUTHORING.md.
const (
	MaxPostedCard  = 1800
	maxHook        = 220
	minStudyWords  = 80
	maxStudyWords  = 200
	maxAnswerWords = 120
	maxTaskDo      = 320
	maxDeliverable = 140
	maxCheck       = 180
	maxSnippetLine = 15
)

// AllowedHosts are the official sources a reference may point at (a host or its subdomain).
var AllowedHosts = []string{
	"nodejs.org", "expressjs.com", "mongodb.com", "mongoosejs.com", "owasp.org",
	"developer.mozilla.org", "ietf.org", "rfc-editor.org", "12factor.net", "sre.google",
	"libuv.org", "docs.docker.com", "nginx.org", "pm2.keymetrics.io", "opentelemetry.io",
	"prometheus.io", "grafana.com", "redis.io", "kubernetes.io", "docs.github.com", "v8.dev",
}

var slugRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

type validator struct {
	opts      Options
	problems  []Problem
	slugs     map[string]string // slug -> where first seen
	questions map[string]string // normalized question -> where first seen
	number    int
}

func (v *validator) add(l located, path, format string, args ...any) {
	v.problems = append(v.problems, Problem{File: l.file, Line: l.at(path), Msg: oneLine(fmt.Sprintf(format, args...))})
}

func (v *validator) track(t trackFile, l located) {
	if !slugRe.MatchString(t.ID) {
		v.add(l, "id", "id %q must be a lower-case slug (a-z, 0-9, -)", t.ID)
	}
	if strings.TrimSpace(t.Title) == "" {
		v.add(l, "title", "title is required")
	}
}

func (v *validator) phases(phases []phaseFile, locs []located) {
	v.slugs = map[string]string{}
	v.questions = map[string]string{}
	for i, p := range phases {
		v.phase(i+1, p, locs[i])
	}
}

func (v *validator) phase(want int, p phaseFile, l located) {
	if p.Phase != want {
		v.add(l, "phase", "phase is %d; files in order make it phase %d", p.Phase, want)
	}
	required(v, l, "title", p.Title)
	required(v, l, "subtitle", p.Subtitle)
	required(v, l, "outcome", p.Outcome)
	if len(p.Days) == 0 {
		v.add(l, "days", "a phase needs at least one day")
	}
	seen := map[int]bool{}
	for i, d := range p.Days {
		at := fmt.Sprintf("days[%d]", i)
		v.number++
		if seen[d.Day] {
			v.add(l, at+".day", "duplicate day %d in phase %d", d.Day, p.Phase)
		} else if d.Day != i+1 {
			v.add(l, at+".day", "day is %d; in order it is day %d of the phase", d.Day, i+1)
		}
		seen[d.Day] = true
		if d.Number != v.number {
			v.add(l, at+".number", "number is %d; counting from the first phase it is %d", d.Number, v.number)
			v.number = d.Number // report one gap once, not every day after it
		}
		v.day(p, d, l, at)
	}
	for i, s := range p.Senior {
		at := fmt.Sprintf("senior[%d]", i)
		required(v, l, at+".item", s.Item)
		if s.Day < 1 || s.Day > len(p.Days) {
			v.add(l, at+".day", "senior item %q names day %d; the phase has days 1–%d", s.Item, s.Day, len(p.Days))
			continue
		}
		d := p.Days[s.Day-1]
		if stub(d) {
			continue
		}
		covered := false
		for _, q := range d.Questions {
			covered = covered || q.Senior == s.Item
		}
		if !covered {
			v.add(l, at, "senior item %q has no question on day %d (set `senior: %s` on one)", s.Item, s.Day, s.Item)
		}
	}
}

func stub(d dayFile) bool { return d.Study == "" && len(d.Questions) == 0 && d.Hook == "" }

func required(v *validator, l located, path, val string) {
	if strings.TrimSpace(val) == "" {
		v.add(l, path, "%s is required", path)
	}
}

func (v *validator) day(p phaseFile, d dayFile, l located, at string) {
	required(v, l, at+".topic", d.Topic)
	if !slugRe.MatchString(d.Slug) {
		v.add(l, at+".slug", "slug %q must be lower-case a-z, 0-9 and '-'", d.Slug)
	} else if prev, dup := v.slugs[d.Slug]; dup {
		v.add(l, at+".slug", "slug %q is already used by %s", d.Slug, prev)
	} else {
		v.slugs[d.Slug] = fmt.Sprintf("day %d", d.Number)
	}
	if stub(d) {
		if !v.opts.AllowStubs {
			v.add(l, at, "day %d (%s) has only a topic: write the card (or validate with --allow-stubs)", d.Number, d.Topic)
		}
		return
	}
	if n := len(d.Objectives); n < 2 || n > 4 {
		v.add(l, at+".objectives", "%d objectives; write 2–4", n)
	}
	for i, o := range d.Objectives {
		if r := []rune(strings.TrimSpace(o)); len(r) == 0 || !unicode.IsUpper(r[0]) {
			v.add(l, fmt.Sprintf("%s.objectives[%d]", at, i), "an objective starts with a verb, capitalized (\"Explain …\")")
		}
	}
	required(v, l, at+".hook", d.Hook)
	if n := len([]rune(clean(d.Hook))); n > maxHook {
		v.add(l, at+".hook", "hook is %d characters; the limit is %d", n, maxHook)
	}
	if n := words(d.Study); n < minStudyWords || n > maxStudyWords {
		v.add(l, at+".study", "study is %d words; write %d–%d", n, minStudyWords, maxStudyWords)
	}
	v.task(d.Task, l, at+".task")
	if n := len(d.Questions); n < 3 || n > 5 {
		v.add(l, at+".questions", "%d questions; write 3–5", n)
	}
	for i, q := range d.Questions {
		v.question(p, q, l, fmt.Sprintf("%s.questions[%d]", at, i), d.Number)
	}
	for i, s := range d.Predict {
		v.snippet(s, l, fmt.Sprintf("%s.predict[%d]", at, i))
	}
	for i, s := range d.Script {
		qa := fmt.Sprintf("%s.script[%d]", at, i)
		required(v, l, qa+".ask", s.Ask)
		required(v, l, qa+".strong", s.Strong)
	}
	for i, s := range d.Debug {
		da := fmt.Sprintf("%s.debug[%d]", at, i)
		v.module(s.Module, l, da+".module")
		required(v, l, da+".code", s.Code)
		required(v, l, da+".symptom", s.Symptom)
		required(v, l, da+".fix", s.Fix)
	}
	if n := len(d.References); n < 1 || n > 3 {
		v.add(l, at+".references", "%d references; give 1–3", n)
	}
	for i, r := range d.References {
		ra := fmt.Sprintf("%s.references[%d]", at, i)
		required(v, l, ra+".title", r.Title)
		if msg := checkURL(r.URL); msg != "" {
			v.add(l, ra+".url", "%s", msg)
		}
	}
}

func (v *validator) task(t taskFile, l located, at string) {
	if t.Minutes < 30 || t.Minutes > 60 {
		v.add(l, at+".minutes", "task takes %d minutes; plan 30–60", t.Minutes)
	}
	for _, f := range []struct {
		name, val string
		max       int
	}{{"do", t.Do, maxTaskDo}, {"deliverable", t.Deliverable, maxDeliverable}, {"check", t.Check, maxCheck}} {
		required(v, l, at+"."+f.name, f.val)
		if n := len([]rune(clean(f.val))); n > f.max {
			v.add(l, at+"."+f.name, "task %s is %d characters; the limit is %d", f.name, n, f.max)
		}
	}
}

func (v *validator) question(p phaseFile, q questionFile, l located, at string, day int) {
	required(v, l, at+".q", q.Q)
	required(v, l, at+".answer", q.Answer)
	if n := words(q.Answer); n > maxAnswerWords {
		v.add(l, at+".answer", "model answer is %d words; the limit is %d", n, maxAnswerWords)
	}
	if n := len(q.Points); n < 2 || n > 5 {
		v.add(l, at+".points", "%d must-mention points; give 2–5", n)
	}
	if key := normalize(q.Q); key != "" {
		if prev, dup := v.questions[key]; dup {
			v.add(l, at+".q", "question repeats one on %s: %q", prev, clean(q.Q))
		} else {
			v.questions[key] = fmt.Sprintf("day %d", day)
		}
	}
	if q.Senior != "" {
		found := false
		for _, s := range p.Senior {
			found = found || s.Item == q.Senior
		}
		if !found {
			v.add(l, at+".senior", "senior %q is not one of phase %d's senior items", q.Senior, p.Phase)
		}
	}
}

func (v *validator) snippet(s snippetFile, l located, at string) {
	v.module(s.Module, l, at+".module")
	required(v, l, at+".code", s.Code)
	if n := len(strings.Split(strings.TrimRight(s.Code, "\n"), "\n")); n > maxSnippetLine {
		v.add(l, at+".code", "snippet is %d lines; the limit is %d", n, maxSnippetLine)
	}
	switch {
	case s.Output != "" && len(s.Outputs) > 0:
		v.add(l, at, "give output or outputs, not both")
	case s.Output == "" && len(s.Outputs) == 0:
		v.add(l, at, "a snippet needs its exact output (output) or every allowed output (outputs)")
	case len(s.Outputs) > 1 && strings.TrimSpace(s.Why) == "":
		v.add(l, at+".why", "several allowed outputs need a why")
	}
}

func (v *validator) module(m string, l located, at string) {
	if m != "commonjs" && m != "esm" {
		v.add(l, at, "module %q must be commonjs or esm", m)
	}
}

func checkURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Sprintf("reference %q must be an https URL", raw)
	}
	host := strings.ToLower(u.Hostname())
	for _, h := range AllowedHosts {
		if host == h || strings.HasSuffix(host, "."+h) {
			return ""
		}
	}
	return fmt.Sprintf("reference host %s is not an official source (see content/AUTHORING.md)", host)
}

func words(s string) int { return len(strings.Fields(s)) }

func normalize(q string) string {
	return strings.TrimRight(strings.ToLower(strings.Join(strings.Fields(q), " ")), "?. ")
}
