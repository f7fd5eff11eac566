package study

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error codes. Adapters map them to replies; the store maps driver errors to them.
const (
	EINVALID   = "invalid"
	ENOTFOUND  = "not_found"
	ECONFLICT  = "conflict"
	EFORBIDDEN = "forbidden"
	EINTERNAL  = "internal"
	// EUNAVAILABLE: the database did not answer for a while (a restart, a failover);
	// the same request will work again shortly.
	EUNAVAILABLE = "unavailable"
)

// Error is the one error type the core hands to its callers. Message is written for the
// member who typed the command: one line, specific, safe to show. Op is for operators:
// what the program was doing ("update cohort 5"), which goes to the log and never to a
// member.
type Error struct {
	Code    string
	Message string
	Op      string
}

func (e *Error) Error() string {
	if e.Op != "" {
		return fmt.Sprintf("%s: %s: %s", e.Op, e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf builds a coded error with a member-facing message. Its text arguments are often
// what the member typed, so the message is kept to one short line whatever was typed:
// each is shown on one line (oneLine), and the longest are shortened until the message
// fits maxMessage characters.
func Errorf(code, format string, args ...any) *Error {
	args = append([]any(nil), args...)
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = oneLine(s)
		}
	}
	msg := fmt.Sprintf(format, args...)
	for utf8.RuneCountInString(msg) > maxMessage {
		longest, n := -1, minClipped
		for i, a := range args {
			if s, ok := a.(string); ok {
				if l := utf8.RuneCountInString(s); l > n {
					longest, n = i, l
				}
			}
		}
		if longest < 0 {
			break // no text longer than minClipped left: the format itself is long
		}
		over := utf8.RuneCountInString(msg) - maxMessage
		keep := max(minClipped-1, n-over-1) // and "…": each shortening makes it shorter
		args[longest] = string([]rune(args[longest].(string))[:keep]) + "…"
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Message: msg}
}

// A refusal is one short line: at most maxMessage characters, which fits a Slack section
// and a Discord message with room to spare; text shortened to fit keeps minClipped.
const (
	maxMessage = 300
	minClipped = 20
)

// OpError is how a store reports a coded failure: op names what it was doing, for the
// log; the member-facing message is a generic line for the code, since a store does not
// know what the member asked for. The core replaces it wherever it knows better.
func OpError(code, op string) *Error {
	msg := map[string]string{
		ENOTFOUND:    "That does not exist (any more).",
		ECONFLICT:    "That already exists.",
		EUNAVAILABLE: unavailableMessage,
	}[code]
	if msg == "" {
		msg = internalMessage
	}
	return &Error{Code: code, Message: msg, Op: op}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other
// non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

const (
	internalMessage    = "Something went wrong on our side; the organizers can see it in the logs."
	unavailableMessage = "The bot cannot reach its database just now; please try again in a minute."
)

// Unavailable is the error a member sees when a request still met transient faults after
// it was retried for a while: op says what failed, for the log.
func Unavailable(op string, err error) *Error {
	return &Error{Code: EUNAVAILABLE, Message: unavailableMessage, Op: fmt.Sprintf("%s: %v", op, err)}
}

// Refusals a platform adapter meets before it can ask the core; their words live here
// with every other reply.

// NotInAChannel refuses a command sent outside a server's or workspace's channels (a
// direct message).
func NotInAChannel() *Error {
	return Errorf(EINVALID, "cohortbot works in server channels, not in direct messages.")
}

// Unreadable refuses a request the platform sent in a shape the adapter cannot read.
func Unreadable(platform string) *Error {
	return Errorf(EINVALID, "cohortbot could not read what %s sent for this; please try again.", platform)
}

// ErrorMessage returns the member-facing text for err. Internal errors are never shown as
// they are: they may carry driver details or, worse, connection strings.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return internalMessage
}

// ErrorReply is what a member sees when their request failed: the one-line message, only
// to them.
func ErrorReply(err error) Reply {
	return Reply{Ephemeral: true, Messages: []Message{{Sections: []Section{{Text: "⚠️ " + ErrorMessage(err)}}}}}
}

// oneLine is text a member typed, made safe to quote in a one-line refusal (Errorf applies
// it to every text argument): control characters and line separators are shown as
// escapes ("\n"), everything else as typed.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, breaksLine) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if breaksLine(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// breaksLine is true for the characters a one-line text must not hold: control
// characters (line feeds, tabs, escapes) and Unicode's line and paragraph separators.
func breaksLine(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }
