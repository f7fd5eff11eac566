package study

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Channel settings that say who else organizes a channel's cohort, besides the
// platform's admins: a list of people (user ids) and a role (a Discord role id).
const (
	settingOrganizers    = "organizers"
	settingOrganizerRole = "organizer-role"
)

const maxOrganizers = 50

// isOrganizer decides whether req's user may run organizer commands in its channel: the
// platform's admins, the people on the channel's organizer list, and members of its
// organizer role.
func (s *Service) isOrganizer(ctx context.Context, req Request) (bool, error) {
	if req.Admin {
		return true, nil
	}
	set, err := s.store.ChannelSettings(ctx, req.Channel)
	if ErrorCode(err) == ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("organizers of %s/%s: %w", req.Channel.Platform, req.Channel.Channel, err)
	}
	if slices.Contains(strings.Split(set[settingOrganizers], ","), req.User.ID) {
		return true, nil
	}
	role := set[settingOrganizerRole]
	return role != "" && slices.Contains(req.Roles, role), nil
}

// setOrganizers saves the channel's organizer list from mentions; "off" clears it.
// Organizers manage the list of people among themselves.
func (s *Service) setOrganizers(ctx context.Context, req Request, value string, more []string) (string, error) {
	ids, clear, err := parseOrganizers(req.Channel.Platform, append([]string{value}, more...))
	if err != nil {
		return "", err
	}
	if err := s.store.SetChannelSetting(ctx, req.Channel, settingOrganizers, strings.Join(ids, ",")); err != nil {
		return "", fmt.Errorf("set organizers: %w", err)
	}
	s.log.InfoContext(ctx, "organizers changed", "channel", req.Channel.Channel, "by", req.User.ID, "count", len(ids))
	if clear {
		return "👥 The organizer list of this channel is cleared; admins are still organizers.", nil
	}
	mentions := make([]string, len(ids))
	for i, id := range ids {
		mentions[i] = "<@" + id + ">"
	}
	return fmt.Sprintf("👥 Organizers of this channel: %s. Admins are organizers too.", strings.Join(mentions, ", ")), nil
}

// organizerRole reads the role that is to make its members organizers. A role can hold
// many people, so only the platform's admins choose it.
func organizerRole(req Request, value string) (string, error) {
	if !req.Admin {
		return "", Errorf(EFORBIDDEN, "Only members with Manage Server can choose the organizer role.")
	}
	role := value
	if m := roleMention.FindStringSubmatch(value); m != nil {
		role = m[1]
	}
	if !snowflake.MatchString(role) {
		return "", Errorf(EINVALID, "organizer-role must be a role of this server")
	}
	if role == req.Channel.Workspace {
		return "", Errorf(EINVALID, "@everyone cannot be the organizer role: pick a role that organizers have")
	}
	return role, nil
}

// saveOrganizerRole makes a role (read by organizerRole) the channel's organizer role.
func (s *Service) saveOrganizerRole(ctx context.Context, req Request, role string) (string, error) {
	if err := s.store.SetChannelSetting(ctx, req.Channel, settingOrganizerRole, role); err != nil {
		return "", fmt.Errorf("save organizer role: %w", err)
	}
	return fmt.Sprintf("👥 Organizers of this cohort: members with Manage Server and members with <@&%s>. (For them to see /cohort, also allow the role in Server Settings → Integrations → cohortbot.)", role), nil
}

var (
	// userMention is a user mention as Slack (<@U123|name>) and Discord (<@123>, <@!123>)
	// send it.
	userMention = regexp.MustCompile(`^<@!?([UW][A-Z0-9]+|[0-9]{5,21})(?:\|[^>]*)?>$`)
	roleMention = regexp.MustCompile(`^<@&([0-9]{5,21})>$`)
	// platform user ids given bare: Slack's U…/W…, Discord's snowflakes.
	userID    = regexp.MustCompile(`^([UW][A-Z0-9]{2,}|[0-9]{5,21})$`)
	snowflake = regexp.MustCompile(`^[0-9]{1,21}$`)
)

// parseOrganizers reads mentions or user ids separated by commas or spaces; "off" or
// "none" clears the list.
func parseOrganizers(platform string, items []string) (ids []string, clear bool, err error) {
	var fields []string
	for _, it := range items {
		fields = append(fields, strings.FieldsFunc(it, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })...)
	}
	usage := "/cohort set organizers:@ana,@ben (or organizers:off)"
	if len(fields) == 1 && (strings.EqualFold(fields[0], "off") || strings.EqualFold(fields[0], "none")) {
		return nil, true, nil
	}
	seen := map[string]bool{}
	for _, f := range fields {
		var id string
		switch m := userMention.FindStringSubmatch(f); {
		case m != nil:
			id = m[1]
		case userID.MatchString(f):
			id = f
		case strings.HasPrefix(f, "@"):
			return nil, false, Errorf(EINVALID, "%q is not a mention %s resolved: pick each person from the @ list as you type", f, platformTitle(platform))
		default:
			return nil, false, Errorf(EINVALID, "set organizers on their own, as mentions: %s", usage)
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, false, Errorf(EINVALID, "who? %s", usage)
	}
	if len(ids) > maxOrganizers {
		return nil, false, Errorf(EINVALID, "that is %d organizers; list at most %d", len(ids), maxOrganizers)
	}
	return ids, false, nil
}

// platformTitle is a platform's name as members know it.
func platformTitle(p string) string {
	if p == "" {
		return "the platform"
	}
	return strings.ToUpper(p[:1]) + p[1:]
}
