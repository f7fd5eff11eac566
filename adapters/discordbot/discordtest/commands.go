package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Commands returns the last bulk-overwritten commands of scope ("global" or a guild id)
// and how many overwrites there were in all.
func (s *Server) Commands(scope string) (json.RawMessage, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[scope], s.commandPuts
}

func (s *Server) putCommands(w http.ResponseWriter, r *http.Request, body []byte) (int, any) {
	if r.PathValue("app") != AppID {
		return 404, apiError{Code: 10002, Message: "Unknown Application"}
	}
	var cmds []map[string]any
	if err := json.Unmarshal(body, &cmds); err != nil {
		return 400, apiError{Code: 50109, Message: "The request body contains invalid JSON."}
	}
	if problem := validateCommands(cmds); problem != "" {
		return 400, apiError{Code: 50035, Message: "Invalid Form Body: " + problem}
	}
	scope := "global"
	if g := r.PathValue("guild"); g != "" {
		scope = g
	}
	s.mu.Lock()
	s.commands[scope] = json.RawMessage(body)
	s.commandPuts++
	for _, c := range cmds {
		c["id"] = s.id()
		c["application_id"] = AppID
		c["version"] = s.id()
	}
	s.mu.Unlock()
	return 200, cmds
}

// validateCommands checks the limits Discord enforces on command definitions.
func validateCommands(cmds []map[string]any) string {
	if len(cmds) > 100 {
		return "more than 100 commands"
	}
	seen := map[string]bool{}
	for _, c := range cmds {
		name, _ := c["name"].(string)
		if seen[name] {
			return "duplicate command " + name
		}
		seen[name] = true
		if p := validateOption(c, 0); p != "" {
			return p
		}
	}
	return ""
}

func validateOption(o map[string]any, depth int) string {
	name, _ := o["name"].(string)
	desc, _ := o["description"].(string)
	if name == "" || len(name) > 32 || strings.ToLower(name) != name || strings.ContainsAny(name, " :") {
		return fmt.Sprintf("bad name %q", name)
	}
	if n := utf8.RuneCountInString(desc); n < 1 || n > 100 {
		return fmt.Sprintf("%s: description must be 1-100 characters", name)
	}
	opts, _ := o["options"].([]any)
	if len(opts) > 25 {
		return name + ": more than 25 options"
	}
	if choices, _ := o["choices"].([]any); len(choices) > 25 {
		return name + ": more than 25 choices"
	}
	if ac, _ := o["autocomplete"].(bool); ac {
		if choices, _ := o["choices"].([]any); len(choices) > 0 {
			return name + ": autocomplete with choices"
		}
	}
	required := true
	for _, x := range opts {
		m, _ := x.(map[string]any)
		if depth > 2 {
			return name + ": nested too deep"
		}
		if r, _ := m["required"].(bool); r && !required {
			return name + ": required options must come first"
		} else if !r {
			required = false
		}
		if p := validateOption(m, depth+1); p != "" {
			return p
		}
	}
	return ""
}
