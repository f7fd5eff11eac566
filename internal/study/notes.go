package study

import "fmt"

// What /cohort status says about a delivery that did not go out as planned. The
// scheduler records these; the reasons inside come from the platform's poster.
const (
	NoteMissedDown    = "missed: the bot was not running on that day"
	NoteMissedExpired = "missed: could not be sent on its day"
	NoteNotComposed   = "could not prepare the post"
	NoteInternal      = "internal error while sending"
	NoteIntroInCard   = "the phase intro is part of its first day's card"
)

// NoteRateLimited is a delivery waiting out a platform's rate limit.
func NoteRateLimited(reason string) string { return "rate limited: " + reason }

// NoteGaveUp is a delivery abandoned after attempts transient failures.
func NoteGaveUp(attempts int, reason string) string {
	return fmt.Sprintf("gave up after %d attempts: %s", attempts, reason)
}
