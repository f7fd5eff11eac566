package schedule

import (
	"github.com/robfig/cron/v3"

	"cohortbot/internal/study"
)

// Cron reads leaderboard and recap schedules for the core: the standard five-field syntax
// plus descriptors (@weekly). The core decides what a schedule may be; this only parses.
var Cron study.CronParser = cronParser{}

type cronParser struct{}

var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func (cronParser) Parse(spec string) (study.CronSchedule, error) { return parser.Parse(spec) }
