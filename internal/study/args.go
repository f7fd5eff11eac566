package study

import (
	"strings"
	"unicode"
)

// Args are a command's arguments, whichever way they arrived: Slack and the console send
// one text string ("start:2026-03-02 time:09:00"), Discord sends typed options. Both end
// up here, so the core parses and validates them once.
type Args struct {
	Named      map[string]string
	Positional []string
}

// Get returns a named argument, trimmed.
func (a Args) Get(key string) string { return strings.TrimSpace(a.Named[key]) }

// ParseArgs splits text into key:value / key=value tokens and positional words. A token is
// named only when its key is one of keys, so a note such as "tricky bit: closures" stays
// text. Double quotes (straight or curly, as phones type them) group words into one value.
func ParseArgs(text string, keys ...string) (Args, error) { return parseArgs(text, keys, false) }

// ParseOptions is ParseArgs for commands that take only options: a token shaped like an
// option with an unknown key ("strat:2026-03-02") is refused rather than ignored.
func ParseOptions(text string, keys ...string) (Args, error) { return parseArgs(text, keys, true) }

func parseArgs(text string, keys []string, strict bool) (Args, error) {
	a := Args{Named: map[string]string{}}
	tokens, err := tokenize(text)
	if err != nil {
		return a, err
	}
	known := map[string]bool{}
	for _, k := range keys {
		known[k] = true
	}
	for _, tok := range tokens {
		if k, v, ok := splitKey(tok); ok && known[k] {
			if _, dup := a.Named[k]; dup {
				return a, Errorf(EINVALID, "%s is given twice", k)
			}
			a.Named[k] = v
			continue
		} else if ok && strict && looksLikeOption(k) {
			return a, unknownOption(k, keys)
		}
		a.Positional = append(a.Positional, tok)
	}
	return a, nil
}

// unknownOption refuses an option the command does not have.
func unknownOption(k string, keys []string) error {
	if len(keys) == 0 {
		return Errorf(EINVALID, "unknown option %q: this command takes no options", k)
	}
	return Errorf(EINVALID, "unknown option %q: this command takes %s", k, strings.Join(keys, ", "))
}

// splitKey splits "key:value" or "key=value" at the first separator.
func splitKey(tok string) (key, val string, ok bool) {
	i := strings.IndexAny(tok, ":=")
	if i <= 0 {
		return "", "", false
	}
	return strings.ToLower(tok[:i]), tok[i+1:], true
}

// looksLikeOption is true for keys shaped like option names (letters and '-'), so a typo
// such as "strat:2026-03-02" is refused instead of silently ignored.
func looksLikeOption(k string) bool {
	for _, r := range k {
		if !unicode.IsLetter(r) && r != '-' && r != '_' {
			return false
		}
	}
	return true
}

func tokenize(text string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inQuote, has := false, false
	for _, r := range text {
		switch {
		case r == '"' || r == '“' || r == '”':
			inQuote, has = !inQuote, true
		case unicode.IsSpace(r) && !inQuote:
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if inQuote {
		return nil, Errorf(EINVALID, "a quote is not closed")
	}
	if has {
		out = append(out, cur.String())
	}
	return out, nil
}

// SplitCommandLine reads a typed line such as "/cohort setup start:…" into its command,
// subcommand (for /cohort) and the rest of the text.
func SplitCommandLine(line string) (cmd, sub, rest string) {
	line = strings.TrimSpace(line)
	cmd, rest, _ = strings.Cut(line, " ")
	cmd = strings.ToLower(strings.TrimPrefix(cmd, "/"))
	rest = strings.TrimSpace(rest)
	if cmd == "cohort" {
		sub, rest, _ = strings.Cut(rest, " ")
		sub = strings.ToLower(sub)
		rest = strings.TrimSpace(rest)
	}
	return cmd, sub, rest
}
