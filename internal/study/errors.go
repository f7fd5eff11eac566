package study

import (
	"errors"
	"fmt"
)

// Error codes. Adapters map them to replies; the store maps driver errors to them.
const (
	EINVALID   = "invalid"
	ENOTFOUND  = "not_found"
	ECONFLICT  = "conflict"
	EFORBIDDEN = "forbidden"
	EINTERNAL  = "internal"
)

// Error is the one error type the core hands to its callers. Message is written for the
// member who typed the command: one line, specific, safe to show.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf builds a coded error with a member-facing message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
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
	return "Something went wrong on our side; the organizers can see it in the logs."
}
