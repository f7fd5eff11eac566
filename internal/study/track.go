package study

// Track is a curriculum: phases of numbered study days. It is loaded by internal/curriculum
// and only read by the core.
type Track struct {
	ID          string
	Title       string
	FinalTitle  string
	CoversIntro string
	Covers      []string
	Phases      []Phase
}

// Phase groups consecutive days under a title, with the outcome members confirm at its end.
type Phase struct {
	Number      int
	Title       string
	Subtitle    string
	Goal        string
	Outcome     string
	SeniorLabel string
	Senior      []SeniorItem
	Days        []Card
}

// SeniorItem is one of the syllabus's "ADD (10+ years)" items, attached to a day of its phase.
type SeniorItem struct {
	Item string
	Day  int
}

// Card is one study day.
type Card struct {
	Phase      int
	Day        int // within the phase
	Number     int // within the track
	Topic      string
	Slug       string
	Objectives []string
	Hook       string
	Study      string
	Task       Task
	Questions  []Question
	Predict    []Snippet
	Script     []ScriptStep
	Debug      []DebugSnippet
	References []Reference
}

// Stub reports whether the card has only its topic so far.
func (c Card) Stub() bool { return c.Study == "" && len(c.Questions) == 0 }

type Task struct {
	Minutes     int
	Do          string
	Deliverable string
	Check       string
}

type Question struct {
	Q      string
	Answer string
	Points []string
	Senior string
}

type Snippet struct {
	Module  string // "commonjs" or "esm"
	Code    string
	Outputs []string // every allowed stdout; usually one
	Why     string
}

type ScriptStep struct {
	Ask       string
	FollowUps []string
	Strong    string
}

type DebugSnippet struct {
	Module  string
	Code    string
	Symptom string
	Fix     string
}

type Reference struct {
	Title string
	URL   string
}

// Len is the number of study days in the track.
func (t *Track) Len() int {
	n := 0
	for _, p := range t.Phases {
		n += len(p.Days)
	}
	return n
}

// Card returns day n (1-based across the track) and its phase.
func (t *Track) Card(n int) (Card, *Phase, bool) {
	for i := range t.Phases {
		p := &t.Phases[i]
		if n <= len(p.Days) {
			if n < 1 {
				return Card{}, nil, false
			}
			return p.Days[n-1], p, true
		}
		n -= len(p.Days)
	}
	return Card{}, nil, false
}
