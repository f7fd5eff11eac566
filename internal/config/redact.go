package config

import (
	"net/url"
	"sort"
	"strings"
)

// minRedacted is the shortest secret that is searched for in text: shorter ones would
// blank out ordinary words and cannot be told from them anyway.
const minRedacted = 4

// Secrets returns every secret value of c, and the password inside DATABASE_URL, for
// redaction.
func (c Config) Secrets() []string {
	out := []string{c.DatabaseURL.Reveal(), c.Discord.Token.Reveal(), c.Slack.BotToken.Reveal(),
		c.Slack.AppToken.Reveal(), c.Slack.SigningSecret.Reveal()}
	if u, err := url.Parse(c.DatabaseURL.Reveal()); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			out = append(out, pw, url.QueryEscape(pw), url.PathEscape(pw))
		}
	}
	if u, err := url.Parse(c.DatabaseURL.Reveal()); err == nil {
		if pw := u.Query().Get("password"); pw != "" {
			out = append(out, pw)
		}
	}
	return out
}

// Redactor replaces known secrets in text with [redacted].
type Redactor struct{ r *strings.Replacer }

// NewRedactor redacts the given secrets (longest first, so a URL goes before the password
// inside it); blank and very short values are ignored.
func NewRedactor(secrets ...string) *Redactor {
	var keep []string
	seen := map[string]bool{}
	for _, s := range secrets {
		if len(s) >= minRedacted && !seen[s] {
			seen[s] = true
			keep = append(keep, s)
		}
	}
	if len(keep) == 0 {
		return &Redactor{}
	}
	sort.Slice(keep, func(i, j int) bool { return len(keep[i]) > len(keep[j]) })
	pairs := make([]string, 0, 2*len(keep))
	for _, s := range keep {
		pairs = append(pairs, s, "[redacted]")
	}
	return &Redactor{r: strings.NewReplacer(pairs...)}
}

// Redactor redacts c's secrets.
func (c Config) Redactor() *Redactor { return NewRedactor(c.Secrets()...) }

// String returns s without secrets.
func (r *Redactor) String(s string) string {
	if r == nil || r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// Error returns err unchanged when its text holds no secret, and otherwise an error with
// the redacted text that still unwraps to err (so errors.As keeps working).
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := r.String(msg); clean != msg {
		return &redactedError{msg: clean, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
