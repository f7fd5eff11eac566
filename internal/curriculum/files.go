package curriculum

// The file types mirror the YAML a track author writes (see content/AUTHORING.md). They
// stay in this package: the core gets study.Track, and `curriculum show --json` prints
// these, so their JSON is the stable, documented shape of a track.

type trackFile struct {
	ID          string      `yaml:"id" json:"id"`
	Title       string      `yaml:"title" json:"title"`
	FinalTitle  string      `yaml:"final_title" json:"final_title,omitempty"`
	CoversIntro string      `yaml:"covers_intro" json:"covers_intro,omitempty"`
	Covers      []string    `yaml:"covers" json:"covers"`
	Phases      []phaseFile `yaml:"-" json:"phases"`
}

type phaseFile struct {
	Phase       int          `yaml:"phase" json:"phase"`
	Title       string       `yaml:"title" json:"title"`
	Subtitle    string       `yaml:"subtitle" json:"subtitle"`
	Goal        string       `yaml:"goal" json:"goal,omitempty"`
	Outcome     string       `yaml:"outcome" json:"outcome"`
	SeniorLabel string       `yaml:"senior_label" json:"senior_label,omitempty"`
	Senior      []seniorFile `yaml:"senior" json:"senior"`
	Days        []dayFile    `yaml:"days" json:"days"`
}

type seniorFile struct {
	Item string `yaml:"item" json:"item"`
	Day  int    `yaml:"day" json:"day"`
}

type dayFile struct {
	Day        int            `yaml:"day" json:"day"`
	Number     int            `yaml:"number" json:"number"`
	Topic      string         `yaml:"topic" json:"topic"`
	Slug       string         `yaml:"slug" json:"slug"`
	Objectives []string       `yaml:"objectives" json:"objectives"`
	Hook       string         `yaml:"hook" json:"hook"`
	Study      string         `yaml:"study" json:"study"`
	Task       taskFile       `yaml:"task" json:"task"`
	Questions  []questionFile `yaml:"questions" json:"questions"`
	Predict    []snippetFile  `yaml:"predict" json:"predict"`
	Script     []scriptFile   `yaml:"script" json:"script"`
	Debug      []debugFile    `yaml:"debug" json:"debug"`
	References []refFile      `yaml:"references" json:"references"`
}

type taskFile struct {
	Minutes     int    `yaml:"minutes" json:"minutes"`
	Do          string `yaml:"do" json:"do"`
	Deliverable string `yaml:"deliverable" json:"deliverable"`
	Check       string `yaml:"check" json:"check"`
}

type questionFile struct {
	Q      string   `yaml:"q" json:"q"`
	Answer string   `yaml:"answer" json:"answer"`
	Points []string `yaml:"points" json:"points"`
	Senior string   `yaml:"senior" json:"senior,omitempty"`
}

type snippetFile struct {
	Module  string   `yaml:"module" json:"module"`
	Code    string   `yaml:"code" json:"code"`
	Output  string   `yaml:"output" json:"output,omitempty"`
	Outputs []string `yaml:"outputs" json:"outputs,omitempty"`
	Why     string   `yaml:"why" json:"why,omitempty"`
}

type scriptFile struct {
	Ask       string   `yaml:"ask" json:"ask"`
	FollowUps []string `yaml:"follow_ups" json:"follow_ups,omitempty"`
	Strong    string   `yaml:"strong" json:"strong"`
}

type debugFile struct {
	Module  string `yaml:"module" json:"module"`
	Code    string `yaml:"code" json:"code"`
	Symptom string `yaml:"symptom" json:"symptom"`
	Fix     string `yaml:"fix" json:"fix"`
}

type refFile struct {
	Title string `yaml:"title" json:"title"`
	URL   string `yaml:"url" json:"url"`
}
