package study

import (
	"context"
	"fmt"
	"strings"
)

// OptionType says what an option holds. The core reads every value as text; platforms
// with typed options (Discord) pick their widget from it, and help shows its format.
type OptionType int

const (
	OptText     OptionType = iota
	OptInteger             // a whole number within Min..Max
	OptDate                // YYYY-MM-DD
	OptTime                // HH:MM
	OptZone                // an IANA time zone, offered by autocomplete where the platform can
	OptChoice              // one of Choices
	OptRole                // a platform role (Discord)
	OptMentions            // people, as @mentions
	OptSchedule            // a cron schedule or off
	OptDuration            // hours and minutes, like 2h or 90m
)

// Choice is one allowed value of an OptChoice option.
type Choice struct {
	Label string
	Value string
}

// Option is one argument of a command: key:value in text, a typed option on Discord.
type Option struct {
	Name      string
	Summary   string
	Type      OptionType
	Required  bool
	Choices   []Choice
	MaxLength int
	Min, Max  int // OptInteger
	// Platform limits the option to one platform ("" is everywhere): Slack has no roles.
	Platform string
}

// Command is one entry of the command table. The table drives dispatch, /help, Discord's
// command registration, the metrics' command labels and the Slack app manifest: a new
// command is an entry, its handler and its test.
type Command struct {
	Name    string
	Summary string
	// Usage follows the command in /help ("[day] [note]"); empty: derived from Options.
	Usage string
	// More are further usages /help lists on lines of their own: {usage, what it does}.
	More    [][2]string
	Options []Option
	// Subs makes this a group (/cohort): the first word of the text picks the subcommand.
	Subs []Command
	// Organizer commands are refused to members; a group marks all its subcommands.
	Organizer bool
	// Public replies are shown to the channel; the rest only to the member who asked.
	Public bool
	// Free lets positional words through (a note); otherwise an unknown key:value is refused.
	Free bool
	// Slack is the command's name on Slack when it cannot be the same ("-": not on Slack).
	Slack string

	run func(s *Service, ctx context.Context, c *call) (Reply, error)
}

// Path is the command as members type it: "done", "cohort setup".
func (c Command) Path(group string) string {
	if group == "" {
		return c.Name
	}
	return group + " " + c.Name
}

// Commands is the command table, in the order /help lists it.
func Commands() []Command {
	return commandTable
}

var commandTable = []Command{
	{Name: "today", Summary: "Today's card (only you see it)", run: (*Service).today},
	{Name: "done", Summary: "Check in for today, or catch up a past day", Usage: "[day] [note]", Free: true,
		Options: []Option{
			{Name: "day", Summary: "A past day to catch up (default: today)", Type: OptInteger, Min: 1, Max: 10000},
			{Name: "note", Summary: "What you did or learned (optional)", MaxLength: MaxNote},
		}, run: (*Service).done},
	{Name: "progress", Summary: "Your days, streak and rank", run: (*Service).progress},
	{Name: "leaderboard", Summary: "The top 10 and your place", run: (*Service).leaderboard},
	// Slack keeps /me and /away for its own commands: there they are /mystudy and /studybreak.
	{Name: "me", Summary: "Your settings: your time zone and a daily reminder", Slack: "mystudy", Options: []Option{
		{Name: "tz", Summary: "Your time zone (IANA), e.g. Asia/Tokyo: your dates and times", Type: OptZone, MaxLength: 64},
		{Name: "remind", Summary: "A reminder at HH:MM your time on days you have not checked in, or off", Type: OptTime},
	}, run: withCohort((*Service).me)},
	{Name: "away", Summary: "Away for a while: your streak waits (up to 21 days)", Usage: "until:YYYY-MM-DD | off", Slack: "studybreak", Options: []Option{
		{Name: "until", Summary: "Your last day away, YYYY-MM-DD, or off when you are back", Type: OptDate, Required: true},
	}, run: withCohort((*Service).away)},
	{Name: "help", Summary: "What cohortbot can do", Slack: "-", run: (*Service).help},
	{Name: "cohort", Summary: "Run this channel's study cohort (organizers)", Organizer: true, Subs: []Command{
		{Name: "setup", Summary: "Start a cohort in this channel", Public: true, Options: []Option{
			{Name: "start", Summary: "First study day, YYYY-MM-DD", Type: OptDate, Required: true},
			{Name: "time", Summary: "Daily post time, HH:MM (24-hour, in the cohort's time zone)", Type: OptTime, Required: true},
			{Name: "tz", Summary: "Time zone (IANA), e.g. Europe/Berlin", Type: OptZone, Required: true, MaxLength: 64},
			cadenceOption, nameOption,
			{Name: "track", Summary: "The curriculum (default: the shipped one)", Platform: "-"},
		}, run: (*Service).setup},
		{Name: "status", Summary: "Today's day, next post, projected end, members and delivery problems", run: withCohort((*Service).status)},
		{Name: "pause", Summary: "Pause the course (the rest shifts; streaks are kept)", Public: true, Options: []Option{
			{Name: "from", Summary: "First paused day, YYYY-MM-DD (default: today)", Type: OptDate},
			{Name: "until", Summary: "Last paused day, YYYY-MM-DD (default: until /cohort resume)", Type: OptDate},
		}, run: withCohort((*Service).pause)},
		{Name: "resume", Summary: "End the current pause", Public: true, run: withCohort((*Service).resume)},
		{Name: "skip", Summary: "No card on one day (the course shifts by one)", Public: true, Options: []Option{
			{Name: "date", Summary: "The day to skip, YYYY-MM-DD", Type: OptDate, Required: true},
		}, run: withCohort((*Service).skip)},
		{Name: "set", Summary: "Change a setting", Public: true,
			Usage: `time:HH:MM | tz:Area/City | cadence:daily|weekdays | name:"…" | start:YYYY-MM-DD | leaderboard:"0 17 * * FRI"|off | recap:"0 18 * * SUN"|off | reminder:20:00|off | grace:4h | freezes:off|1|2|3`,
			More: [][2]string{
				{"organizers:@ana,@ben", "who else may use /cohort here (admins always can); organizers:off clears the list"},
				{"organizer-role:@role", "on Discord, a role whose members may use /cohort too"},
			},
			Options: []Option{
				{Name: "time", Summary: "Daily post time, HH:MM", Type: OptTime},
				{Name: "tz", Summary: "Time zone (IANA), e.g. Europe/Berlin", Type: OptZone, MaxLength: 64},
				cadenceOption, nameOption,
				{Name: "start", Summary: "First study day, YYYY-MM-DD (only before days are posted)", Type: OptDate},
				{Name: "leaderboard", Summary: `Leaderboard schedule, cron like "0 17 * * FRI", or off`, Type: OptSchedule},
				{Name: "recap", Summary: `Weekly recap schedule, cron like "0 18 * * SUN", or off`, Type: OptSchedule},
				{Name: "reminder", Summary: "Daily reminder time HH:MM, or off", Type: OptTime},
				{Name: "grace", Summary: "How long a day stays on time after the next card, 0h–12h (default 4h)", Type: OptDuration},
				{Name: "freezes", Summary: "Streak freezes a member may hold: off, 1, 2 or 3 (default 2)", Type: OptChoice, Choices: []Choice{
					{Label: "off", Value: "off"}, {Label: "1", Value: "1"}, {Label: "2", Value: "2"}, {Label: "3", Value: "3"},
				}},
				{Name: settingOrganizers, Summary: "Members who may also run /cohort, as @mentions, or off", Type: OptMentions},
				{Name: settingOrganizerRole, Summary: "A role whose members may also run /cohort", Type: OptRole, Platform: "discord"},
			}, run: withCohort((*Service).set)},
		{Name: "preview", Summary: "See any day's card (only you)", Options: []Option{
			{Name: "day", Summary: "The day to show", Type: OptInteger, Required: true, Min: 1, Max: 10000},
		}, run: withCohort((*Service).preview)},
		{Name: "post", Summary: "Post now: today's card, the leaderboard or the recap", Options: []Option{
			{Name: "kind", Summary: "What to post", Type: OptChoice, Required: true, Choices: []Choice{
				{Label: "today's card", Value: "today"}, {Label: "leaderboard", Value: "leaderboard"}, {Label: "recap", Value: "recap"},
			}},
		}, run: withCohort((*Service).postNow)},
		{Name: "link", Summary: "Follow a cohort from this channel too (same days, one leaderboard)", Public: true, Options: []Option{
			{Name: "code", Summary: "The link code /cohort status shows in the cohort's channel", Required: true, MaxLength: 32},
		}, run: (*Service).link},
	}},
}

var (
	cadenceOption = Option{Name: "cadence", Summary: "Study days", Type: OptChoice, Choices: []Choice{
		{Label: "daily — every day", Value: "daily"}, {Label: "weekdays — Monday to Friday", Value: "weekdays"},
	}}
	nameOption = Option{Name: "name", Summary: "The cohort's name", MaxLength: maxName}
)

// CommandNames are the commands and subcommands ("cohort setup"), the bounded label set
// of per-command metrics.
func CommandNames() []string {
	var out []string
	for _, c := range commandTable {
		out = append(out, c.Name)
		for _, s := range c.Subs {
			out = append(out, s.Path(c.Name))
		}
	}
	return out
}

// CommandName is the metrics label of a request: its command path if the table has it,
// "other" for anything a member mistyped.
func CommandName(req Request) string {
	c, group := lookup(req.Command, req.Sub)
	if c == nil {
		if group != nil {
			return group.Name
		}
		return "other"
	}
	if group != nil {
		return c.Path(group.Name)
	}
	return c.Name
}

// lookup finds a command, or for a group with an unknown or missing subcommand, the group
// alone.
func lookup(name, sub string) (c, group *Command) { return table(commandTable).lookup(name, sub) }

// table is a command table. Handlers reach it through their Service, never through the
// package variable, which refers to them.
type table []Command

func (t table) lookup(name, sub string) (c, group *Command) {
	for i := range t {
		top := &t[i]
		if top.Name != name {
			continue
		}
		if len(top.Subs) == 0 {
			return top, nil
		}
		for j := range top.Subs {
			if top.Subs[j].Name == sub {
				return &top.Subs[j], top
			}
		}
		return nil, top
	}
	return nil, nil
}

// PublicReply reports whether a command's answer is shown to the channel, so that a
// platform that must acknowledge before the answer exists (Discord's deferral) can pick
// the same visibility. Errors are always personal.
func PublicReply(name, sub string) bool {
	c, _ := lookup(name, sub)
	return c != nil && c.Public
}

// OrganizerCommand reports whether a command is refused to members, so that a platform
// can take the trouble to learn who is an admin only when it matters.
func OrganizerCommand(name, sub string) bool {
	c, group := lookup(name, sub)
	return (c != nil && c.Organizer) || (group != nil && group.Organizer)
}

// call is one command being handled: the request, its parsed arguments, and the cohort
// of its channel once resolved.
type call struct {
	req    Request
	args   Args
	cmd    *Command
	cohort CohortView
}

func withCohort(f func(s *Service, ctx context.Context, c *call) (Reply, error)) func(*Service, context.Context, *call) (Reply, error) {
	return func(s *Service, ctx context.Context, c *call) (Reply, error) {
		v, err := s.cohortFor(ctx, c.req.Channel)
		if err != nil {
			return Reply{}, err
		}
		c.cohort = v
		return f(s, ctx, c)
	}
}

func (c Command) optionNames() []string {
	names := make([]string, 0, len(c.Options))
	for _, o := range c.Options {
		names = append(names, o.Name)
	}
	return names
}

// usage is the command's arguments as help shows them.
func (c Command) usage() string {
	if c.Usage != "" {
		return c.Usage
	}
	var parts []string
	for _, o := range c.Options {
		if o.Platform == "-" {
			continue
		}
		v := o.Name + ":" + o.format()
		if !o.Required {
			v = "[" + v + "]"
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, " ")
}

func (o Option) format() string {
	switch o.Type {
	case OptInteger:
		return "N"
	case OptDate:
		return "YYYY-MM-DD"
	case OptTime:
		return "HH:MM"
	case OptZone:
		return "Area/City"
	case OptChoice:
		vals := make([]string, len(o.Choices))
		for i, c := range o.Choices {
			vals[i] = c.Value
		}
		return strings.Join(vals, "|")
	case OptRole:
		return "@role"
	case OptMentions:
		return "@ana,@ben"
	case OptSchedule:
		return `"cron"|off`
	case OptDuration:
		return "2h"
	}
	if o.Name == "name" {
		return `"…"`
	}
	return strings.ToUpper(o.Name)
}

// unknownSub is the refusal of a /cohort word the table does not have.
func unknownSub(group *Command, sub string) error {
	names := make([]string, len(group.Subs))
	for i, s := range group.Subs {
		names[i] = s.Name
	}
	list := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	return Errorf(EINVALID, "unknown /%s command %q: use %s", group.Name, sub, list)
}

func (c Command) String() string { return fmt.Sprintf("/%s", c.Name) }
