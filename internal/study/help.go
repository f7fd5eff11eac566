package study

import (
	"context"
	"strings"
)

// help lists the members' commands, and the organizers' to organizers.
func (s *Service) help(ctx context.Context, c *call) (Reply, error) {
	org, err := s.isOrganizer(ctx, c.req)
	if err != nil {
		return Reply{}, err
	}
	return s.helpReply(org, c.req.Channel.Platform), nil
}

// helpReply is /help from the command table, as the platform names the commands.
func (s *Service) helpReply(organizer bool, platform string) Reply {
	var members, organizers []string
	for _, c := range s.commands {
		name, ok := c.nameOn(platform)
		if !ok {
			continue
		}
		if len(c.Subs) == 0 {
			members = append(members, helpLine(name, c))
			continue
		}
		for _, sub := range c.Subs {
			lines := []string{helpLine(name+" "+sub.Name, sub)}
			for _, m := range sub.More {
				lines = append(lines, "/"+name+" "+sub.Name+" "+m[0]+" — "+m[1])
			}
			if c.Organizer || sub.Organizer {
				organizers = append(organizers, lines...)
			} else {
				members = append(members, lines...)
			}
		}
	}
	text := "*Members*\n" + strings.Join(members, "\n") +
		"\nReply in the day's thread or press ✅ Done on the card to check in too."
	if organizer {
		text += "\n\n*Organizers*\n" + strings.Join(organizers, "\n")
	}
	return textReply(true, "%s", text)
}

func helpLine(path string, c Command) string {
	line := "/" + path
	if u := c.usage(); u != "" {
		line += " " + u
	}
	return line + " — " + c.Summary
}

// nameOn is the command's name on a platform; ok is false when the platform does not
// have it.
func (c Command) nameOn(platform string) (string, bool) {
	if platform == "slack" && c.Slack != "" {
		if c.Slack == "-" {
			return "", false
		}
		return strings.TrimPrefix(c.Slack, "/"), true
	}
	return c.Name, true
}

// NameOn is the command's name on a platform ("" when the platform does not have it).
func (c Command) NameOn(platform string) string {
	n, _ := c.nameOn(platform)
	return n
}
