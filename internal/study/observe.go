package study

import "time"

// Observer is told what the core did, for metrics; the core works without one.
type Observer interface {
	// CommandDone reports a command's outcome: err is nil on success (the code of a coded
	// error tells a refusal from a failure).
	CommandDone(platform, command string, took time.Duration, err error)
	// CheckedIn reports a recorded check-in.
	CheckedIn(platform string, source Source)
}
